using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace OptGen.Tests;

[Optimizer(UpdateRule.Adam)]
[CosineWarmRestarts(FirstPeriod = 10, PeriodMultiplier = 65_536)]
internal sealed partial class RestartsBy65536Adam;

[Optimizer(UpdateRule.Adam)]
[CosineWarmRestarts(FirstPeriod = 16, PeriodMultiplier = 1 << 30, MinLearningRate = 1e-5)]
internal sealed partial class RestartsBy2To30Adam;

[Optimizer(UpdateRule.Adam)]
[CosineWarmRestarts(FirstPeriod = 1, PeriodMultiplier = 4)]
internal sealed partial class RestartsBy4Adam;

[Optimizer(UpdateRule.AdamW)]
[CosineWarmRestarts(FirstPeriod = 3, PeriodMultiplier = 2)]
internal sealed partial class RestartsBy2AdamW;

[Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]
[StepDecay(StepSize = 3)]
internal sealed partial class StepDecaySgd;

[Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]
[MultiStepDecay(Milestones = new[] { 2, 5, int.MaxValue })]
internal sealed partial class MultiStepDecaySgd;

[Optimizer(UpdateRule.Adam)]
[ExponentialDecay(Gamma = 0.5, DecaySteps = 7)]
internal sealed partial class ExponentialDecayAdam;

[Optimizer(UpdateRule.Adam)]
[PolynomialDecay(TotalSteps = int.MaxValue, Power = 2, EndLearningRate = 1e-6)]
internal sealed partial class PolynomialDecayAdam;

[Optimizer(UpdateRule.RMSprop)]
[CosineDecay(TotalSteps = 7, MinLearningRate = 1e-5)]
internal sealed partial class CosineDecayRmsProp;

[Optimizer(UpdateRule.Adam)]
[OneCycle(TotalSteps = 100, ThreePhase = true, Anneal = AnnealStrategy.Linear)]
internal sealed partial class OneCycleAdam;

[Optimizer(UpdateRule.AdaGrad, LearningRate = 0.1)]
[LearningRateDecay(0.5)]
[LinearWarmup(Steps = 3)]
[InverseSquareRootDecay(WarmupSteps = 1000)]
internal sealed partial class WarmupInverseSquareRootAdaGrad;

/// <summary>
/// Step counts at the edge of what an optimizer accepts: every schedule at extreme counts, the largest count a step may
/// start from, and the other values that used to be accepted and then broke the optimizer later.
/// </summary>
public sealed class RuntimeLimitsTests
{
    private static readonly long[] ExtremeSteps =
    [
        0, 1, 2, 1L << 31, 17_000_000_000, 300_000_000_000_000, 3_000_000_000_000_000, 1L << 52, OptimizerLimits.MaxStepCount - 1, OptimizerLimits.MaxStepCount,
        7_000_000_000_000_000_000, long.MaxValue - 1, long.MaxValue,
    ];

    public static TheoryData<string> ScheduledOptimizers => new(
        "RestartsBy65536Adam", "RestartsBy2To30Adam", "RestartsBy4Adam", "RestartsBy2AdamW", "StepDecaySgd", "MultiStepDecaySgd",
        "ExponentialDecayAdam", "PolynomialDecayAdam", "CosineDecayRmsProp", "OneCycleAdam", "WarmupInverseSquareRootAdaGrad");

    [Fact]
    public void Every_schedule_gives_a_finite_rate_at_every_step_count_and_returns()
    {
        var rates = new List<(string Schedule, long Step, double Rate)>();
        Bounded.Run(() =>
        {
            foreach (long k in ExtremeSteps)
            {
                rates.Add(("Step", k, Schedules.Step(0.1, k, 3, 0.5)));
                rates.Add(("MultiStep", k, Schedules.MultiStep(0.1, k, 0.5, [2, 5, int.MaxValue])));
                rates.Add(("Exponential", k, Schedules.Exponential(0.1, k, 0.9, 7, staircase: false)));
                rates.Add(("Exponential staircase", k, Schedules.Exponential(0.1, k, 0.9, 7, staircase: true)));
                rates.Add(("Polynomial", k, Schedules.Polynomial(0.1, k, int.MaxValue, 2, 1e-6)));
                rates.Add(("Cosine", k, Schedules.Cosine(0.1, k, 7, 1e-5)));
                rates.Add(("OneCycle", k, Schedules.OneCycle(0.1, k, 100, 0.3, AnnealStrategy.Cosine, 25, 1e4, threePhase: true)));
                rates.Add(("InverseSquareRoot", k, Schedules.InverseSquareRoot(0.1, k, 1000)));
                rates.Add(("LinearWarmup", k, Schedules.LinearWarmup(0.1, k, int.MaxValue, 0.25)));
                foreach ((int first, int multiplier) in new[] { (10, 65_536), (16, 1 << 30), (1, 4), (1, 2), (3, 2), (1, int.MaxValue), (int.MaxValue, int.MaxValue), (7, 1) })
                {
                    rates.Add(($"CosineWarmRestarts T0={first} m={multiplier}", k, Schedules.CosineWarmRestarts(0.1, k, first, multiplier, 1e-5)));
                }
            }
        });

        foreach ((string schedule, long step, double rate) in rates)
        {
            Assert.True(double.IsFinite(rate) && rate >= 0 && rate <= 0.1 + 1e-15, $"{schedule} at step {step}: rate {rate}.");
        }
    }

    [Fact]
    public void Warm_restarts_with_huge_periods_match_the_closed_form_where_the_periods_overflow()
    {
        // T0 = 16, m = 2^30: periods 16, 2^34, 2^64 (> long); step 2^40 lies 2^40 − 16 − 2^34 into the third period.
        long k = 1L << 40;
        double position = k - 16 - (1L << 34);
        double expected = 1e-5 + ((0.1 - 1e-5) * (1 + Math.Cos(Math.PI * position / Math.Pow(2, 64))) / 2);
        Assert.Equal(expected, Schedules.CosineWarmRestarts(0.1, k, 16, 1 << 30, 1e-5));
    }

    [Theory]
    [MemberData(nameof(ScheduledOptimizers))]
    public void An_optimizer_steps_at_the_largest_step_count_then_refuses_the_next_step_changing_nothing(string name)
    {
        IOptimizer<float> optimizer = Create(name, 37);
        float[] parameters = OptimizerTestData.InitialParameters<float>(37);
        float[] gradients = OptimizerTestData.Gradient<float>(1, 37);
        Bounded.Run(() =>
        {
            optimizer.StepCount = OptimizerLimits.MaxStepCount - 1;
            Assert.True(double.IsFinite(optimizer.LearningRate));
            Assert.True(optimizer.Step(parameters, gradients));
        });

        Assert.All(parameters, p => Assert.True(float.IsFinite(p), $"{name}: parameter {p} after a step at the largest count."));
        Assert.Equal(OptimizerLimits.MaxStepCount, optimizer.StepCount);

        BitSnapshot before = BitSnapshot.Of(optimizer, parameters);
        var e = Assert.Throws<InvalidOperationException>(() => optimizer.Step(parameters, gradients));
        Assert.Contains("MaxStepCount", e.Message, StringComparison.Ordinal);
        BitSnapshot.AssertIdentical(before, BitSnapshot.Of(optimizer, parameters), "after the refused step");

        // The state can still be saved and loaded.
        var stream = new MemoryStream();
        optimizer.SaveCheckpoint(stream);
        stream.Position = 0;
        optimizer.LoadCheckpoint(stream);
        Assert.Equal(OptimizerLimits.MaxStepCount, optimizer.StepCount);
    }

    [Fact]
    public void Step_counts_outside_the_documented_range_are_refused_before_anything_changes()
    {
        var optimizer = new PlainAdam(5) { StepCount = 3 };
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.StepCount = long.MaxValue);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.StepCount = OptimizerLimits.MaxStepCount + 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.StepCount = -1);
        Assert.Equal(3, optimizer.StepCount);
        optimizer.StepCount = OptimizerLimits.MaxStepCount;
        Assert.Equal(OptimizerLimits.MaxStepCount, optimizer.StepCount);
    }

    [Theory]
    [InlineData(double.NaN, 1.0, 0, 0, "learningRate")]
    [InlineData(double.PositiveInfinity, 1.0, 0, 0, "learningRate")]
    [InlineData(-0.1, 1.0, 0, 0, "learningRate")]
    [InlineData(0.1, double.NaN, 0, 0, "best")]
    [InlineData(0.1, 1.0, -1, 0, "badReports")]
    [InlineData(0.1, 1.0, 0, -1, "cooldownRemaining")]
    public void Restoring_a_plateau_tracker_to_an_impossible_state_is_refused_and_changes_nothing(double rate, double best, int bad, int cooldown, string parameter)
    {
        var optimizer = new PlateauMomentumSgd(4);
        optimizer.ReportMetric(2.0);
        optimizer.ReportMetric(3.0);
        (double Rate, double Best, int Bad, int Cooldown) before = (optimizer.PlateauTracker.LearningRate, optimizer.PlateauTracker.Best, optimizer.PlateauTracker.BadReports, optimizer.PlateauTracker.CooldownRemaining);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.PlateauTracker.Restore(rate, best, bad, cooldown));
        Assert.Equal(parameter, e.ParamName);
        Assert.Equal(before, (optimizer.PlateauTracker.LearningRate, optimizer.PlateauTracker.Best, optimizer.PlateauTracker.BadReports, optimizer.PlateauTracker.CooldownRemaining));

        // A zero rate (a minimum of 0 reached) and an infinite best (nothing reported yet) are legitimate.
        optimizer.PlateauTracker.Restore(0, double.PositiveInfinity, 0, 0);
        optimizer.SaveCheckpoint(new MemoryStream());
    }

    [Fact]
    public void A_parameter_store_too_large_for_an_array_is_refused_instead_of_wrapping()
    {
        var e = Assert.Throws<ArgumentException>(() => new ParameterStore<float>([("a", int.MaxValue - 3), ("b", int.MaxValue - 3)]));
        Assert.Equal("tensors", e.ParamName);
        Assert.Contains("more than one array holds", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ParameterStore<double>([("a", int.MaxValue)]));
        Assert.Throws<ArgumentException>(() => new ParameterStore<float>([("a", 1 << 30), ("b", 1 << 30), ("c", 1 << 30), ("d", 1 << 30)]));
    }

    private static IOptimizer<float> Create(string name, int length) => name switch
    {
        "RestartsBy65536Adam" => new RestartsBy65536Adam(length),
        "RestartsBy2To30Adam" => new RestartsBy2To30Adam(length),
        "RestartsBy4Adam" => new RestartsBy4Adam(length),
        "RestartsBy2AdamW" => new RestartsBy2AdamW(length),
        "StepDecaySgd" => new StepDecaySgd(length),
        "MultiStepDecaySgd" => new MultiStepDecaySgd(length),
        "ExponentialDecayAdam" => new ExponentialDecayAdam(length),
        "PolynomialDecayAdam" => new PolynomialDecayAdam(length),
        "CosineDecayRmsProp" => new CosineDecayRmsProp(length),
        "OneCycleAdam" => new OneCycleAdam(length),
        "WarmupInverseSquareRootAdaGrad" => new WarmupInverseSquareRootAdaGrad(length),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

}
