using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace OptGen.Samples.Digits;

/// <summary>Receives the progress of runs that may train in parallel; calls may come from several threads.</summary>
internal interface IRunProgress
{
    void RunStarted(int run);

    void EpochDone(int run, int epoch);

    void RunDone(int run, RunResult result);
}

/// <summary>The runs this sample compares, and running them.</summary>
internal static class Experiments
{
    /// <summary>
    /// Five base rates, evenly spaced over three decades: 1e-3, 5.6e-3, 3.2e-2, 0.18, 1. From SGD's and Adam's default up
    /// to where Adam and RMSprop fail and SGD does best, so every rule's best rate and its failures are in range.
    /// </summary>
    public static IReadOnlyList<double> SweepRates { get; } = [.. Enumerable.Range(0, 5).Select(i => Math.Pow(10, -3 + 0.75 * i))];

    /// <summary>Each update rule at its default learning rate.</summary>
    public static IReadOnlyList<RunSpec> Optimizers { get; } =
    [
        new("sgd", "SGD", "constant", RunGroup.Optimizers, n => new Sgd(n)),
        new("nesterov", "SGD Nesterov 0.9", "constant", RunGroup.Optimizers, n => new NesterovSgd(n)),
        new("adagrad", "AdaGrad", "constant", RunGroup.Optimizers, n => new AdaGrad(n)),
        new("rmsprop", "RMSprop", "constant", RunGroup.Optimizers, n => new RmsProp(n)),
        new("adam", "Adam", "constant", RunGroup.Optimizers, n => new Adam(n)),
        new("adamw", "AdamW", "constant", RunGroup.Optimizers, n => new AdamW(n)),
        new("adadelta", "Adadelta", "constant", RunGroup.Optimizers, n => new Adadelta(n)),
        new("adamax", "Adamax", "constant", RunGroup.Optimizers, n => new Adamax(n)),
        new("asgd", "ASGD", "constant", RunGroup.Optimizers, n => new Asgd(n)),
        new("nadam", "NAdam", "constant", RunGroup.Optimizers, n => new NAdam(n)),
        new("radam", "RAdam", "constant", RunGroup.Optimizers, n => new RAdam(n)),
        new("rprop", "Rprop", "constant", RunGroup.Optimizers, n => new Rprop(n)),
        new("lion", "Lion", "constant", RunGroup.Optimizers, n => new Lion(n)),
        new("schedule-free-adamw", "Schedule-Free AdamW", "constant", RunGroup.Optimizers, n => new ScheduleFreeAdamW(n)),
    ];

    /// <summary>Adam at base rate 0.03 (<see cref="ScheduleSteps.BaseRate"/>), constant and under each schedule.</summary>
    public static IReadOnlyList<RunSpec> Schedules { get; } =
    [
        new("adam-constant", "Adam", "constant", RunGroup.Schedules, n => new AdamConstant(n)),
        new("adam-step", "Adam", "step", RunGroup.Schedules, n => new AdamStepDecay(n)),
        new("adam-exponential", "Adam", "exponential", RunGroup.Schedules, n => new AdamExponentialDecay(n)),
        new("adam-polynomial", "Adam", "linear (polynomial)", RunGroup.Schedules, n => new AdamPolynomialDecay(n)),
        new("adam-cosine", "Adam", "cosine", RunGroup.Schedules, n => new AdamCosineDecay(n)),
        new("adam-warmup-cosine", "Adam", "warm-up + cosine", RunGroup.Schedules, n => new AdamWarmupCosine(n)),
    ];

    /// <summary>
    /// AdamW at 0.03 with weight decay 0.1 (<see cref="WholeModel"/>), plain and with the transforms a
    /// <c>Step(store)</c> applies by tensor name: no decay on the biases, clipping by the norm over the whole model,
    /// both, and a first layer at a tenth of the rate or frozen, set on the store at run time.
    /// </summary>
    public static IReadOnlyList<RunSpec> Transforms { get; } =
    [
        new("adamw-plain", "AdamW", "constant", RunGroup.Transforms, n => new TransformAdamW(n)),
        new("adamw-no-bias-decay", "AdamW, biases not decayed", "constant", RunGroup.Transforms, n => new TransformAdamWNoBiasDecay(n)),
        new("adamw-clipped", "AdamW, clipped", "constant", RunGroup.Transforms, n => new TransformAdamWClipped(n)),
        new("adamw-clipped-no-bias-decay", "AdamW, clipped, biases not decayed", "constant", RunGroup.Transforms, n => new TransformAdamWClippedNoBiasDecay(n)),
        new("adamw-slow-fc1", $"AdamW, fc1.* at {Report.Rate(WholeModel.SlowLayerScale)}× the rate", "constant", RunGroup.Transforms, n => new TransformAdamW(n),
            ConfigureStore: store => store.SetLearningRateScale("fc1.*", WholeModel.SlowLayerScale)),
        new("adamw-frozen-fc1", "AdamW, fc1.* frozen", "constant", RunGroup.Transforms, n => new TransformAdamW(n),
            ConfigureStore: store => store.SetLearningRateScale("fc1.*", 0)),
    ];

    /// <summary>
    /// Adam at its default rate with fewer bytes: 8-bit moments, bfloat16 weights and gradients (rounded to nearest,
    /// with float master weights, or stochastically), and both.
    /// </summary>
    public static IReadOnlyList<RunSpec> Precision { get; } =
    [
        new("adam-8bit", "Adam, 8-bit state", "constant", RunGroup.Precision, n => new Adam8Bit(n)),
        new("adam-bf16", "Adam, bf16 weights", "constant", RunGroup.Precision, n => new Bf16Training(m => new Bf16Adam(m), n),
            ConfigureStore: Bf16Training.RoundWeights),
        new("adam-bf16-master", "Adam, bf16 weights + fp32 master", "constant", RunGroup.Precision, n => new Bf16Training(m => new Bf16AdamMasterWeights(m), n),
            ConfigureStore: Bf16Training.RoundWeights),
        new("adam-bf16-master-8bit", "Adam, bf16 weights + fp32 master, 8-bit state", "constant", RunGroup.Precision, n => new Bf16Training(m => new Bf16AdamMasterWeights8Bit(m), n),
            ConfigureStore: Bf16Training.RoundWeights),
        new("adam-bf16-stochastic", "Adam, bf16 weights, stochastic rounding", "constant", RunGroup.Precision, n => new Bf16Training(m => new Bf16AdamStochastic(m), n),
            ConfigureStore: Bf16Training.RoundWeights),
        new("adam-bf16-stochastic-8bit", "Adam, bf16 weights, stochastic rounding, 8-bit state", "constant", RunGroup.Precision, n => new Bf16Training(m => new Bf16AdamStochastic8Bit(m), n),
            ConfigureStore: Bf16Training.RoundWeights),
    ];

    /// <summary>The rules the sweep runs at each of <see cref="SweepRates"/>; selected by the same names.</summary>
    public static IReadOnlyList<RunSpec> SweepRules { get; } =
        [.. Optimizers.Where(r => r.Key is not ("nesterov" or "adamw"))];

    /// <summary>Every name <c>--optimizers</c> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Optimizers.Concat(Schedules).Concat(Precision).Concat(Transforms).Select(r => r.Key)];

    /// <summary>
    /// The runs to make: those named (all when <paramref name="names"/> is null; the transforms only with
    /// <paramref name="transforms"/>), then their sweeps.
    /// </summary>
    public static List<RunSpec> Select(IReadOnlyCollection<string>? names, bool sweep, bool transforms = true)
    {
        bool Selected(RunSpec run) => names is null || names.Contains(run.Key, StringComparer.OrdinalIgnoreCase);
        var runs = Optimizers.Concat(Schedules).Concat(Precision).Concat(transforms ? Transforms : []).Where(Selected).ToList();
        if (sweep)
        {
            foreach (RunSpec rule in SweepRules.Where(Selected))
            {
                runs.AddRange(SweepRates.Select(rate => rule with { Group = RunGroup.Sweep, BaseLearningRate = rate }));
            }
        }

        return runs;
    }

    /// <summary>
    /// Trains every run, as many at a time as there are cores. Each run owns its model, optimizer and random
    /// generators, so its results are the same however the runs are scheduled.
    /// </summary>
    public static RunResult[] RunAll(IReadOnlyList<RunSpec> runs, TrainingSetup setup, IRunProgress progress)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(progress);
        var results = new RunResult[runs.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, runs.Count, options, run =>
        {
            progress.RunStarted(run);
            results[run] = new TrainingRun(runs[run], setup).Run(epoch => progress.EpochDone(run, epoch));
            progress.RunDone(run, results[run]);
        });

        return results;
    }
}
