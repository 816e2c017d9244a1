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

public static class TestOptimizerFactory
{
    /// <summary>One optimizer of each rule, covering every kind of state and option.</summary>
    public static TheoryData<string> Names => new("Adam", "AdamWDouble", "Nesterov", "AdaGrad", "CenteredRmsProp");

    internal static IOptimizer Create(string name, int length) => name switch
    {
        "Adam" => new TestAdam(length),
        "AdamWDouble" => new TestAdamWDouble(length),
        "Nesterov" => new TestNesterov(length),
        "AdaGrad" => new TestAdaGrad(length),
        "CenteredRmsProp" => new TestCenteredRmsProp(length),
        _ => throw new System.ArgumentOutOfRangeException(nameof(name)),
    };
}
