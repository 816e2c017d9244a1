using System;
using System.Linq;
using OptGen.Samples.Digits;

namespace OptGen.Samples.Tests;

public class TrainingTests
{
    private static TrainingSetup Setup(int epochs, int seed = 42)
    {
        (int[] train, int[] test) = DigitsData.StratifiedSplit(DataTests.Digits, TrainingDefaults.TestFraction, Seeds.Split(seed));
        return new TrainingSetup(DataTests.Digits.Subset(train), DataTests.Digits.Subset(test), epochs, TrainingDefaults.BatchSize, seed);
    }

    private static RunSpec Spec(string key) =>
        Experiments.Optimizers.Concat(Experiments.Schedules).Concat(Experiments.Transforms).Single(r => r.Key == key);

    [Fact]
    public void Two_epochs_of_Adam_are_reproducible_and_reduce_the_loss()
    {
        TrainingSetup setup = Setup(epochs: 2);
        var first = new TrainingRun(Spec("adam"), setup);
        RunResult a = first.Run();
        var second = new TrainingRun(Spec("adam"), setup);
        RunResult b = second.Run();

        Assert.Equal(a.TrainLoss, b.TrainLoss);
        Assert.Equal(a.TestAccuracy, b.TestAccuracy);
        Assert.Equal(first.Model.Store.Parameters.ToArray(), second.Model.Store.Parameters.ToArray());

        Assert.Equal(3, a.TrainLoss.Length);
        Assert.InRange(a.TrainLoss[0], 2.0, 3.0);                 // about ln 10 from the He-initialised start
        Assert.True(a.TrainLoss[1] < a.TrainLoss[0] && a.TrainLoss[2] < a.TrainLoss[1], string.Join(", ", a.TrainLoss));
        Assert.True(a.TrainLoss[2] < 0.7 * a.TrainLoss[0], string.Join(", ", a.TrainLoss));
        Assert.True(a.TestAccuracy > 0.5, $"test accuracy {a.TestAccuracy}");
        Assert.Equal(setup.Steps, a.LearningRates.Length);
        Assert.All(a.LearningRates, rate => Assert.Equal(1e-3, rate));
    }

    [Fact]
    public void Another_seed_gives_other_losses()
    {
        RunResult a = new TrainingRun(Spec("adam"), Setup(epochs: 1, seed: 42)).Run();
        RunResult b = new TrainingRun(Spec("adam"), Setup(epochs: 1, seed: 43)).Run();
        Assert.NotEqual(a.TrainLoss[1], b.TrainLoss[1]);
    }

    [Fact]
    public void Running_in_parallel_gives_the_same_results_as_one_at_a_time()
    {
        TrainingSetup setup = Setup(epochs: 1);
        RunSpec[] runs = [Spec("sgd"), Spec("rmsprop"), Spec("adam-cosine"), Experiments.SweepRules[0] with { Group = RunGroup.Sweep, BaseLearningRate = 0.1 }];
        RunResult[] parallel = Experiments.RunAll(runs, setup, new NoProgress());
        for (int i = 0; i < runs.Length; i++)
        {
            RunResult alone = new TrainingRun(runs[i], setup).Run();
            Assert.Equal(alone.TrainLoss, parallel[i].TrainLoss);
            Assert.Equal(alone.LearningRates, parallel[i].LearningRates);
        }

        Assert.All(parallel[3].LearningRates, rate => Assert.Equal(0.1, rate));
    }

    [Fact]
    public void Schedules_set_the_rate_of_each_step()
    {
        TrainingSetup setup = Setup(epochs: 2);
        RunResult cosine = new TrainingRun(Spec("adam-cosine"), setup).Run();
        for (int step = 0; step < setup.Steps; step++)
        {
            double expected = ScheduleSteps.BaseRate * (1 + Math.Cos(Math.PI * step / ScheduleSteps.Total)) / 2;
            Assert.Equal(expected, cosine.LearningRates[step], 1e-12);
        }

        RunResult warmup = new TrainingRun(Spec("adam-warmup-cosine"), setup).Run();
        Assert.Equal(0.01 * ScheduleSteps.BaseRate, warmup.LearningRates[0], 1e-12);
        Assert.True(warmup.LearningRates[^1] > warmup.LearningRates[0]);
    }

    [Fact]
    public void Schedule_free_runs_are_measured_at_the_evaluation_point_and_keep_training_at_y()
    {
        var run = new TrainingRun(Spec("schedule-free-adamw"), Setup(epochs: 2));
        run.RunEpoch();
        float[] y = run.Model.Store.Parameters.ToArray();
        RunResult result = run.Result();
        Assert.True(run.Model.Store.Parameters.SequenceEqual(y), "The parameters being trained (y) were not restored bit for bit.");

        // The accuracy reported is the model's at x, written by the optimizer itself.
        var x = new float[y.Length];
        ((IEvaluationPoint<float>)run.Optimizer).WriteEvaluationPoint(y, x);
        Assert.False(x.SequenceEqual(y));
        x.CopyTo(run.Model.Store.Parameters);
        Assert.Equal(run.Model.Accuracy(Setup(epochs: 2).Test), result.TestAccuracy);
        Assert.Equal(run.Model.MeanLoss(Setup(epochs: 2).Train), result.FinalTrainLoss);
    }

    [Fact]
    public void Clipped_runs_log_the_gradient_norm_of_every_step()
    {
        TrainingSetup setup = Setup(epochs: 2);
        RunResult clipped = new TrainingRun(Spec("adamw-clipped"), setup).Run();
        Assert.Equal(setup.Steps, clipped.GradientNorms!.Length);
        Assert.All(clipped.GradientNorms, norm => Assert.True(double.IsFinite(norm) && norm > 0, $"norm {norm}"));
        Assert.Equal(WholeModel.MaxGradientNorm, clipped.ClipThreshold);
        double expected = clipped.GradientNorms.Count(norm => norm + 1e-6 > WholeModel.MaxGradientNorm) / (double)setup.Steps;
        Assert.Equal(expected, clipped.ClippedStepFraction);
        Assert.InRange(clipped.ClippedStepFraction, 0.1, 1.0); // the first steps' norms are well above the threshold

        RunResult plain = new TrainingRun(Spec("adamw-plain"), setup).Run();
        Assert.False(plain.Clipped);
        Assert.Equal(0, plain.ClippedStepFraction);
    }

    [Fact]
    public void A_frozen_layer_keeps_its_initial_weights_while_the_others_train()
    {
        var run = new TrainingRun(Spec("adamw-frozen-fc1"), Setup(epochs: 1));
        var initial = new Mlp(TrainingDefaults.BatchSize);
        initial.Initialize(Seeds.Initialization(42));
        run.Run();
        foreach (string frozen in new[] { Mlp.Fc1Weight, Mlp.Fc1Bias })
        {
            Assert.True(run.Model.Store.Parameter(frozen).SequenceEqual(initial.Store.Parameter(frozen)), frozen);
        }

        Assert.False(run.Model.Store.Parameter(Mlp.Fc2Weight).SequenceEqual(initial.Store.Parameter(Mlp.Fc2Weight)));
        Assert.Equal(0, run.Model.Store.GetLearningRateScale(Mlp.Fc1Weight));
    }

    [Fact]
    public void A_training_epoch_allocates_nothing()
    {
        foreach (string key in new[] { "adam-warmup-cosine", "adamw-clipped-no-bias-decay" })
        {
            var run = new TrainingRun(Spec(key), Setup(epochs: 3));
            run.RunEpoch(); // the first epoch compiles the code paths
            long before = GC.GetAllocatedBytesForCurrentThread();
            run.RunEpoch();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
        }
    }

    [Fact]
    public void Epochs_to_target_is_the_first_epoch_at_or_below_it()
    {
        var result = new RunResult(Spec("adam"), 1e-3, [2.3, 0.5, 0.1, 0.2, 0.05], [], 0.9, 0, 0);
        Assert.Equal(2, result.EpochsTo(0.1));
        Assert.Null(result.EpochsTo(0.01));
        Assert.Equal(0.05, result.FinalTrainLoss);
    }

    private sealed class NoProgress : IRunProgress
    {
        public void RunStarted(int run)
        {
        }

        public void EpochDone(int run, int epoch)
        {
        }

        public void RunDone(int run, RunResult result)
        {
        }
    }
}
