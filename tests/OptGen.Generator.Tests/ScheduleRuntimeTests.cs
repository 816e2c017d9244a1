using System;
using System.Linq;
using System.Reflection;

namespace OptGen.Generator.Tests;

/// <summary>
/// Learning-rate schedules at run time: optimizers generated in memory and loaded, driven only through
/// <see cref="IOptimizer{T}"/> (plus the generated <c>ReportMetric</c>), against the schedules' formulas written out here.
/// </summary>
public sealed class ScheduleRuntimeTests : IClassFixture<ScheduleRuntimeTests.Optimizers>
{
    private const string Source =
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.5, ElementType = typeof(double))]
        [StepDecay(StepSize = 3, Gamma = 0.5)]
        public partial class StepSgd;

        [Optimizer(UpdateRule.Sgd, LearningRate = 1, ElementType = typeof(double))]
        [MultiStepDecay(Milestones = new[] { 2, 5 }, Gamma = 0.1)]
        public partial class MultiStepSgd;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.1, ElementType = typeof(double))]
        [LinearWarmup(Steps = 4, StartFactor = 0.25)]
        [CosineDecay(TotalSteps = 10, MinLearningRate = 0.01)]
        public partial class WarmCosineSgd;

        [Optimizer(UpdateRule.Adam)]
        [LinearWarmup(Steps = 4)]
        public partial class WarmupAdam;

        [Optimizer(UpdateRule.Sgd, LearningRate = 1, ElementType = typeof(double))]
        [ReduceOnPlateau(Factor = 0.5, Patience = 2, Cooldown = 1, MinLearningRate = 0.2)]
        public partial class PlateauSgd;

        [Optimizer(UpdateRule.Sgd, LearningRate = 1, ElementType = typeof(double))]
        [ReduceOnPlateau(Mode = PlateauMode.Maximize, ThresholdMode = PlateauThresholdMode.Absolute, Threshold = 0.1, Patience = 0, Factor = 0.1)]
        public partial class MaximizingPlateauSgd;

        [Optimizer(UpdateRule.Sgd, LearningRate = 1, ElementType = typeof(double))]
        [OneCycle(TotalSteps = 20, WarmupFraction = 0.25, Anneal = AnnealStrategy.Linear, ThreePhase = true)]
        public partial class OneCycleSgd;

        [Optimizer(UpdateRule.AdaGrad, LearningRate = 1, ElementType = typeof(double))]
        [LearningRateDecay(1)]
        [StepDecay(StepSize = 2, Gamma = 0.5)]
        public partial class DecayedAdaGrad;
        """;

    private readonly Optimizers _optimizers;

    public ScheduleRuntimeTests(Optimizers optimizers) => _optimizers = optimizers;

    [Fact]
    public void Step_decay_halves_every_three_steps_and_each_step_uses_the_rate_before_it()
    {
        IOptimizer<double> optimizer = _optimizers.Create("StepSgd");
        double[] parameters = [0];
        for (int k = 0; k < 10; k++)
        {
            double expected = 0.5 * Math.Pow(0.5, k / 3);
            Assert.Equal(k, optimizer.StepCount);
            Assert.Equal(expected, optimizer.LearningRate);

            // SGD without momentum moves by exactly lr·g: the step used the rate LearningRate showed before it.
            double before = parameters[0];
            optimizer.Step(parameters, [1.0]);
            Assert.Equal(before - expected, parameters[0]);
        }

        Assert.Equal(0.5 * 0.125, optimizer.LearningRate); // k = 10: three halvings.
    }

    [Fact]
    public void Setting_step_count_jumps_the_schedule_and_reset_restarts_it()
    {
        IOptimizer<double> optimizer = _optimizers.Create("StepSgd");
        optimizer.StepCount = 7;
        Assert.Equal(0.125, optimizer.LearningRate);
        optimizer.Step(new double[1], [0.0]);
        Assert.Equal(0.125, optimizer.LearningRate); // k = 8
        optimizer.Step(new double[1], [0.0]);
        Assert.Equal(0.0625, optimizer.LearningRate); // k = 9

        optimizer.StepCount = 2;
        Assert.Equal(0.5, optimizer.LearningRate);

        optimizer.StepCount = 300;
        Assert.Equal(0.5 * Math.Pow(0.5, 100), optimizer.LearningRate);

        optimizer.Reset();
        Assert.Equal(0, optimizer.StepCount);
        Assert.Equal(0.5, optimizer.LearningRate);
    }

    [Fact]
    public void Base_learning_rate_scales_the_schedule()
    {
        IOptimizer<double> optimizer = _optimizers.Create("StepSgd");
        optimizer.StepCount = 6;
        Assert.Equal(0.125, optimizer.LearningRate);
        optimizer.BaseLearningRate = 4;
        Assert.Equal(1.0, optimizer.LearningRate);
        optimizer.StepCount = 0;
        Assert.Equal(4.0, optimizer.LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.BaseLearningRate = 0);
        Assert.Equal(4.0, optimizer.BaseLearningRate);
    }

    [Fact]
    public void Multi_step_decay_drops_at_each_milestone()
    {
        IOptimizer<double> optimizer = _optimizers.Create("MultiStepSgd");
        double[] expected = [1, 1, 0.1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1];
        foreach (double rate in expected)
        {
            Assert.Equal(rate, optimizer.LearningRate, 15);
            optimizer.Step(new double[1], [0.0]);
        }
    }

    [Fact]
    public void Warmup_then_cosine_follows_the_closed_form()
    {
        IOptimizer<double> optimizer = _optimizers.Create("WarmCosineSgd");
        double[] parameters = [0];
        for (int k = 0; k < 30; k++)
        {
            double expected = k < 4
                ? 0.1 * (0.25 + (0.75 * k / 4))
                : 0.01 + ((0.1 - 0.01) * (1 + Math.Cos(Math.PI * (k - 4) / 10)) / 2);
            Assert.Equal(expected, optimizer.LearningRate, 1e-15);
            double before = parameters[0];
            optimizer.Step(parameters, [1.0]);
            Assert.Equal(before - expected, parameters[0], 1e-15);
        }

        optimizer.StepCount = 4;
        Assert.Equal(0.1, optimizer.LearningRate, 1e-15); // the decay's first step is the base rate
        optimizer.StepCount = 14;
        Assert.Equal(0.01, optimizer.LearningRate, 1e-15); // the decay's floor, 10 steps after the warm-up
    }

    [Fact]
    public void Linear_warmup_alone_holds_the_base_rate_after_the_warmup_in_a_float_optimizer()
    {
        IOptimizer optimizer = _optimizers.Create<IOptimizer<float>>("WarmupAdam");
        double[] expected = [1e-3 / 3, 1e-3 * ((1.0 / 3) + (2.0 / 3 / 4)), 1e-3 * ((1.0 / 3) + (2.0 / 3 / 2)), 1e-3 * ((1.0 / 3) + (2.0 / 3 * 3 / 4)), 1e-3, 1e-3];
        foreach (double rate in expected)
        {
            Assert.Equal(rate, optimizer.LearningRate, 1e-18);
            optimizer.StepCount++;
        }

        optimizer.StepCount = OptimizerLimits.MaxStepCount;
        Assert.Equal(1e-3, optimizer.LearningRate, 1e-18);
    }

    [Fact]
    public void Three_phase_linear_one_cycle_passes_through_its_phase_ends()
    {
        // PyTorch's phases for total_steps = 20, pct_start = 0.25: up to step 4, down to step 8, then to step 19.
        IOptimizer<double> optimizer = _optimizers.Create("OneCycleSgd");
        (long Step, double Rate)[] points =
        [
            (0, 0.04), (2, 0.52), (4, 1), (6, 0.52), (8, 0.04),
            (19, 0.04 / 1e4), (20, 0.04 / 1e4), (1000, 0.04 / 1e4),
        ];
        foreach ((long step, double rate) in points)
        {
            optimizer.StepCount = step;
            Assert.Equal(rate, optimizer.LearningRate, 1e-15);
        }

        optimizer.StepCount = 13;
        Assert.Equal(0.04 + ((4e-6 - 0.04) * 5 / 11), optimizer.LearningRate, 1e-15);
    }

    [Fact]
    public void AdaGrad_lr_decay_applies_on_top_of_the_schedule()
    {
        // PyTorch: clr = lr / (1 + (t - 1)·lr_decay), with lr the scheduled rate; LearningRate shows lr only.
        // With sum = g² = 1 after the first step, AdaGrad moves by clr·g/(√sum + ε) and sum grows by 1 each step.
        IOptimizer<double> optimizer = _optimizers.Create("DecayedAdaGrad");
        double[] parameters = [0];
        for (int k = 0; k < 6; k++)
        {
            double scheduled = Math.Pow(0.5, k / 2);
            Assert.Equal(scheduled, optimizer.LearningRate);
            double before = parameters[0];
            optimizer.Step(parameters, [1.0]);
            double clr = scheduled / (1 + k);
            Assert.Equal(before - (clr / (Math.Sqrt(k + 1) + 1e-10)), parameters[0], 1e-14);
        }
    }

    [Fact]
    public void Plateau_reduces_after_patience_is_exceeded_respecting_cooldown_and_floor()
    {
        IOptimizer<double> optimizer = _optimizers.Create("PlateauSgd");
        Assert.Equal(1.0, optimizer.LearningRate);

        // Patience 2: the third report in a row without improvement reduces; cooldown 1 then ignores one report.
        // 9.9995 is not an improvement on 10 with the default relative threshold 1e-4 (it must be below 9.999).
        (double Metric, bool Reduced, double Rate)[] reports =
        [
            (10, false, 1), (10, false, 1), (9.9995, false, 1), (10, true, 0.5),
            (10, false, 0.5), // cooldown
            (10, false, 0.5), (10, false, 0.5), (10, true, 0.25),
            (5, false, 0.25), // an improvement resets the count (the cooldown is used up here too)
            (6, false, 0.25), (6, false, 0.25), (6, true, 0.2), // floored at MinLearningRate
            (6, false, 0.2), (6, false, 0.2), (6, false, 0.2), (6, false, 0.2), // at the floor: no further reduction
        ];
        foreach ((double metric, bool reduced, double rate) in reports)
        {
            Assert.Equal(reduced, ReportMetric(optimizer, metric));
            Assert.Equal(rate, optimizer.LearningRate);
        }

        // Steps do not move a plateau schedule, and they use its current rate.
        double[] parameters = [0];
        optimizer.Step(parameters, [1.0]);
        Assert.Equal(-0.2, parameters[0]);
        Assert.Equal(0.2, optimizer.LearningRate);

        // Reset restarts at the base rate and forgets the best metric.
        optimizer.Reset();
        Assert.Equal(1.0, optimizer.LearningRate);
        Assert.False(ReportMetric(optimizer, 100));
        Assert.Equal(100, Tracker(optimizer).Best);

        Assert.Throws<ArgumentOutOfRangeException>(() => ReportMetric(optimizer, double.NaN));
    }

    [Fact]
    public void Plateau_base_learning_rate_sets_the_current_rate_and_keeps_the_reports()
    {
        IOptimizer<double> optimizer = _optimizers.Create("PlateauSgd");
        foreach (double metric in new double[] { 3, 3, 3, 3 })
        {
            ReportMetric(optimizer, metric);
        }

        Assert.Equal(0.5, optimizer.LearningRate);
        optimizer.BaseLearningRate = 2;
        Assert.Equal(2.0, optimizer.LearningRate);
        PlateauTracker tracker = Tracker(optimizer);
        Assert.Equal(3, tracker.Best);
        Assert.Equal(1, tracker.CooldownRemaining);
    }

    [Fact]
    public void Maximizing_plateau_with_absolute_threshold_reduces_when_the_metric_does_not_rise_enough()
    {
        IOptimizer<double> optimizer = _optimizers.Create("MaximizingPlateauSgd");
        Assert.False(ReportMetric(optimizer, 0.5)); // first report: always an improvement on −∞
        Assert.False(ReportMetric(optimizer, 0.61)); // > 0.5 + 0.1
        Assert.Equal(1.0, optimizer.LearningRate);
        Assert.True(ReportMetric(optimizer, 0.7)); // not > 0.71: patience 0 reduces at once
        Assert.Equal(0.1, optimizer.LearningRate, 1e-15);
        Assert.True(ReportMetric(optimizer, 0.3)); // lower is worse
        Assert.Equal(0.01, optimizer.LearningRate, 1e-15);
        Assert.False(ReportMetric(optimizer, 0.8)); // > 0.71
        Assert.Equal(0.01, optimizer.LearningRate, 1e-15);
        Assert.Equal(0.8, Tracker(optimizer).Best);
    }

    [Fact]
    public void Only_plateau_optimizers_have_ReportMetric()
    {
        Assert.Null(_optimizers.Create("StepSgd").GetType().GetMethod("ReportMetric"));
        MethodInfo? method = _optimizers.Create("PlateauSgd").GetType().GetMethod("ReportMetric");
        Assert.NotNull(method);
        Assert.Equal(typeof(bool), method!.ReturnType);
        Assert.Equal([typeof(double)], method.GetParameters().Select(p => p.ParameterType));
    }

    private static bool ReportMetric(IOptimizer optimizer, double metric)
    {
        try
        {
            return (bool)optimizer.GetType().GetMethod("ReportMetric")!.Invoke(optimizer, [metric])!;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception.InnerException).Throw();
            throw;
        }
    }

    private static PlateauTracker Tracker(IOptimizer optimizer) =>
        (PlateauTracker)optimizer.GetType().GetProperty("PlateauTracker")!.GetValue(optimizer)!;

    /// <summary>The optimizers of <see cref="Source"/>, generated, compiled and loaded once for the class.</summary>
    public sealed class Optimizers : IDisposable
    {
        private readonly LoadedAssembly _assembly;

        public Optimizers()
        {
            GeneratorRun run = GeneratorHarness.RunClean(Source);
            Assert.Equal(8, run.GeneratedSources.Count);
            _assembly = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
        }

        public IOptimizer<double> Create(string name) => Create<IOptimizer<double>>(name);

        public T Create<T>(string name) => _assembly.Create<T>("Demo." + name, 1);

        public void Dispose() => _assembly.Dispose();
    }
}
