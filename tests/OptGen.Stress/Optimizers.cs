namespace OptGen.Stress;

[Optimizer(UpdateRule.Adam, LearningRate = 1e-2)]
[WeightDecay(0.01)]
[AmsGrad]
[LinearWarmup(Steps = 3)]
[CosineWarmRestarts(FirstPeriod = 4, PeriodMultiplier = 2)]
internal sealed partial class StressAdam;

[Optimizer(UpdateRule.AdamW, ElementType = typeof(double))]
[OneCycle(TotalSteps = 50)]
internal sealed partial class StressAdamWDouble;

[Optimizer(UpdateRule.Sgd, LearningRate = 0.05)]
[Momentum(0.9, Nesterov = true)]
[WeightDecay(1e-4)]
[ReduceOnPlateau(Patience = 1)]
internal sealed partial class StressNesterov;

[Optimizer(UpdateRule.AdaGrad, LearningRate = 0.1)]
[InitialAccumulator(0.25)]
[LearningRateDecay(0.01)]
internal sealed partial class StressAdaGrad;

[Optimizer(UpdateRule.RMSprop, LearningRate = 0.01, ElementType = typeof(double))]
[Centered]
[Momentum(0.5)]
[StepDecay(StepSize = 5)]
internal sealed partial class StressCenteredRmsProp;

[Optimizer(UpdateRule.Adam, LearningRate = 0.02)]
[NonFiniteGradients(NonFiniteGradientPolicy.SkipStep)]
[ExponentialDecay(Gamma = 0.9)]
internal sealed partial class StressSkipStepAdam;
