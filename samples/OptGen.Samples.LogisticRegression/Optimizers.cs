using OptGen;

namespace OptGen.Samples.LogisticRegression;

// Each optimizer is an empty partial class with attributes. At compile time the OptGen generator fills in the rest:
// a constructor taking the number of parameters, a fused SIMD Step(parameters, gradients), the state buffers
// (momentum, moment estimates, ...) and the IOptimizer<float> members. Every hyperparameter set here is folded into
// the generated code as a constant; only the learning rate stays adjustable at run time (BaseLearningRate).
// Anything not set takes PyTorch's default for that rule. To see the generated code, build with
// <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles> and look under obj/.../generated/.

// The learning rates were picked by hand for this sample's unnormalised features. SGD's is held down by the features
// with the largest scale (much above 0.03 the loss jumps around from batch to batch), which leaves it too small for the
// features with the smallest scale. The adaptive rules scale each parameter's step by its own gradient history instead.

/// <summary>Plain stochastic gradient descent: <c>p ← p − lr·g</c>.</summary>
[Optimizer(UpdateRule.Sgd, LearningRate = 0.03)]
internal sealed partial class PlainSgd;

/// <summary>
/// SGD with Nesterov momentum 0.9, as <c>torch.optim.SGD(momentum=0.9, nesterov=True)</c>. Momentum μ lengthens
/// steps along consistent directions by up to 1 / (1 − μ) = 10×, so it takes a smaller learning rate than plain SGD.
/// </summary>
[Optimizer(UpdateRule.Sgd, LearningRate = 0.01)]
[Momentum(0.9, Nesterov = true)]
internal sealed partial class NesterovSgd;

/// <summary>AdaGrad: each parameter's step shrinks with the root of its summed squared gradients.</summary>
[Optimizer(UpdateRule.AdaGrad, LearningRate = 0.1)]
internal sealed partial class AdaGradOptimizer;

/// <summary>RMSprop: like AdaGrad, but with a moving average (α = 0.99) instead of a sum.</summary>
[Optimizer(UpdateRule.RMSprop, LearningRate = 0.01)]
internal sealed partial class RmsPropOptimizer;

/// <summary>Adam with PyTorch's defaults otherwise (β₁ = 0.9, β₂ = 0.999, ε = 1e-8).</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 0.01)]
internal sealed partial class AdamOptimizer;

/// <summary>AdamW: Adam with decoupled weight decay, <c>p ← p·(1 − lr·λ)</c> before each step (λ = 0.01 is also the default).</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 0.01)]
[WeightDecay(0.01)]
internal sealed partial class AdamWOptimizer;

// The same Adam with a larger base rate and different learning-rate schedules (570 steps = 15 epochs of 38 batches).
// A schedule is one more attribute; the generated Step computes the step's rate once, in closed form.

/// <summary>Adam at a constant learning rate of 0.03.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 0.03)]
internal sealed partial class AdamConstant;

/// <summary>Adam, rate × 0.3 every 190 steps (5 epochs), as <c>StepLR(step_size=190, gamma=0.3)</c>.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 0.03)]
[StepDecay(StepSize = 190, Gamma = 0.3)]
internal sealed partial class AdamStepDecay;

/// <summary>Adam, rate × 0.995 every step, as <c>ExponentialLR(gamma=0.995)</c>.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 0.03)]
[ExponentialDecay(Gamma = 0.995)]
internal sealed partial class AdamExponentialDecay;

/// <summary>Adam, cosine annealing to 1e-4 over the whole run, as <c>CosineAnnealingLR(T_max=570, eta_min=1e-4)</c>.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 0.03)]
[CosineDecay(TotalSteps = 570, MinLearningRate = 1e-4)]
internal sealed partial class AdamCosineDecay;

/// <summary>Adam, one epoch of linear warm-up from 10 % of the rate, then cosine annealing over the other 14 epochs.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 0.03)]
[LinearWarmup(Steps = 38, StartFactor = 0.1)]
[CosineDecay(TotalSteps = 532)]
internal sealed partial class AdamWarmupCosine;
