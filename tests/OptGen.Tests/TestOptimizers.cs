namespace OptGen.Tests;

[Optimizer(UpdateRule.Adam, LearningRate = 1e-2)]
[WeightDecay(0.01)]
[AmsGrad]
internal sealed partial class TestAdam;

[Optimizer(UpdateRule.AdamW, ElementType = typeof(double))]
internal sealed partial class TestAdamWDouble;

[Optimizer(UpdateRule.Sgd, LearningRate = 0.05)]
[Momentum(0.9, Nesterov = true)]
[WeightDecay(1e-4)]
internal sealed partial class TestNesterov;

[Optimizer(UpdateRule.AdaGrad, LearningRate = 0.1)]
[InitialAccumulator(0.25)]
[LearningRateDecay(0.01)]
[Epsilon(1e-6, Placement = EpsilonPlacement.InsideSquareRoot)]
internal sealed partial class TestAdaGrad;

[Optimizer(UpdateRule.RMSprop, LearningRate = 0.01)]
[Centered]
[Momentum(0.5)]
internal sealed partial class TestCenteredRmsProp;

/// <summary>Averages from step 4 on (μ = 1/(t − 2)), so short runs take both of ASGD's bodies.</summary>
[Optimizer(UpdateRule.Asgd, LearningRate = 0.05)]
[Averaging(Lambda = 1e-3, StartStep = 1)]
[WeightDecay(0.01)]
internal sealed partial class TestAsgd;

[Optimizer(UpdateRule.Rprop, LearningRate = 0.02, ElementType = typeof(double))]
[StepSizeAdaptation(Minimum = 1e-3, Maximum = 0.05)]
internal sealed partial class TestRpropDouble;

[Optimizer(UpdateRule.Adamax, LearningRate = 0.01, Maximize = true)]
[WeightDecay(0.01)]
internal sealed partial class TestAdamax;

[Optimizer(UpdateRule.Adadelta)]
[MomentDecay(Second = 0.95)]
[WeightDecay(1e-3)]
internal sealed partial class TestAdadelta;

// The persistent μ-product (checkpointed, resumed, reset) and decoupled weight decay.
[Optimizer(UpdateRule.NAdam, LearningRate = 0.01, ElementType = typeof(double))]
[MomentumDecay(0.01)]
[WeightDecay(0.01, Decoupled = true)]
internal sealed partial class TestNAdamDouble;

// Both arms of the per-step branch: steps 1–5 un-rectified, then rectified.
[Optimizer(UpdateRule.RAdam, LearningRate = 0.01)]
[WeightDecay(0.01)]
internal sealed partial class TestRAdam;

[Optimizer(UpdateRule.Lion, LearningRate = 1e-3, Maximize = true)]
[MomentDecay(First = 0.95, Second = 0.98)]
[WeightDecay(0.1)]
internal sealed partial class TestLion;

[Optimizer(UpdateRule.ScheduleFreeAdamW, LearningRate = 0.01, ElementType = typeof(double))]
[ScheduleFree(WarmupSteps = 3, R = 0.5, WeightLearningRatePower = 1)]
[WeightDecay(0.01)]
internal sealed partial class TestScheduleFreeDouble;

public static class TestOptimizerFactory
{
    /// <summary>One optimizer of each rule, covering every kind of state and option.</summary>
    public static TheoryData<string> Names => new("Adam", "AdamWDouble", "Nesterov", "AdaGrad", "CenteredRmsProp", "Adamax", "Adadelta", "NAdamDouble", "RAdam", "Asgd", "RpropDouble", "Lion", "ScheduleFreeDouble");

    internal static IOptimizer Create(string name, int length) => name switch
    {
        "Adam" => new TestAdam(length),
        "AdamWDouble" => new TestAdamWDouble(length),
        "Nesterov" => new TestNesterov(length),
        "AdaGrad" => new TestAdaGrad(length),
        "CenteredRmsProp" => new TestCenteredRmsProp(length),
        "Adamax" => new TestAdamax(length),
        "Adadelta" => new TestAdadelta(length),
        "NAdamDouble" => new TestNAdamDouble(length),
        "RAdam" => new TestRAdam(length),
        "Asgd" => new TestAsgd(length),
        "RpropDouble" => new TestRpropDouble(length),
        "Lion" => new TestLion(length),
        "ScheduleFreeDouble" => new TestScheduleFreeDouble(length),
        _ => throw new System.ArgumentOutOfRangeException(nameof(name)),
    };
}

/// <summary>
/// Proves that <c>#pragma warning disable</c> suppresses OptGen's warnings in a real build: this project treats
/// warnings as errors, so it would not build if OPTG021 (epsilon above 1e-3) were still reported here.
/// </summary>
[Optimizer(UpdateRule.Adam)]
#pragma warning disable OPTG021 // a deliberately large epsilon
[Epsilon(0.01)]
#pragma warning restore OPTG021
public partial class PragmaSuppressedAdam;

// Declarations for NonFiniteGradientTests, CheckpointTests, InvalidCallTests and ConcurrencyTests.

/// <summary>Skips non-finite steps; the schedule shows that a skipped step does not advance the learning rate.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 0.02)]
[NonFiniteGradients(NonFiniteGradientPolicy.SkipStep)]
[LinearWarmup(Steps = 3)]
[CosineDecay(TotalSteps = 20)]
internal sealed partial class SkipStepScheduledAdam;

[Optimizer(UpdateRule.Sgd, LearningRate = 0.05)]
[Momentum(0.9)]
[NonFiniteGradients(NonFiniteGradientPolicy.SkipStep)]
internal sealed partial class SkipStepMomentumSgd;

[Optimizer(UpdateRule.Sgd, LearningRate = 0.05, ElementType = typeof(double))]
[Momentum(0.8, Dampening = 0.1)]
[WeightDecay(1e-3)]
[NonFiniteGradients(NonFiniteGradientPolicy.SkipStep)]
internal sealed partial class SkipStepMomentumSgdDouble;

[Optimizer(UpdateRule.Adam, LearningRate = 0.01)]
[LinearWarmup(Steps = 4)]
[CosineDecay(TotalSteps = 12, MinLearningRate = 1e-4)]
internal sealed partial class WarmupCosineAdam;

[Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]
[Momentum(0.9)]
[ReduceOnPlateau(Factor = 0.5, Patience = 2, Cooldown = 1, MinLearningRate = 1e-3)]
internal sealed partial class PlateauMomentumSgd;

[Optimizer(UpdateRule.Adam)]
internal sealed partial class PlainAdam;

/// <summary>PlainAdam with one hyperparameter changed (β₂).</summary>
[Optimizer(UpdateRule.Adam)]
[MomentDecay(First = 0.9, Second = 0.99)]
internal sealed partial class PlainAdamOtherBeta2;

/// <summary>PlainAdam with another initial learning rate.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 2e-3)]
internal sealed partial class PlainAdamOtherLearningRate;

/// <summary>PlainAdam over doubles.</summary>
[Optimizer(UpdateRule.Adam, ElementType = typeof(double))]
internal sealed partial class PlainAdamDouble;

[Optimizer(UpdateRule.AdamW)]
internal sealed partial class PlainAdamW;
