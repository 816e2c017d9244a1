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
