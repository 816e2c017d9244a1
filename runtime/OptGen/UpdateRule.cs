// Compiled into the runtime library (namespace OptGen) and, linked, into the generator (OptGen.Generator.Contracts),
// so that the generator reads rules, options and defaults from the one definition users compile against.
#if OPTGEN_GENERATOR
namespace OptGen.Generator.Contracts;
#else
namespace OptGen;
#endif

/// <summary>The update rule an optimizer class is generated for. Each follows PyTorch 1.13's <c>torch.optim</c> semantics.</summary>
public enum UpdateRule
{
    /// <summary>Stochastic gradient descent, optionally with (Nesterov) momentum, as <c>torch.optim.SGD</c>.</summary>
    Sgd,

    /// <summary>Adaptive gradient: divides by the root of the sum of squared gradients, as <c>torch.optim.Adagrad</c>.</summary>
    AdaGrad,

    /// <summary>Divides by the root of a moving average of squared gradients, as <c>torch.optim.RMSprop</c>.</summary>
    RMSprop,

    /// <summary>Adaptive moment estimation, as <c>torch.optim.Adam</c>.</summary>
    Adam,

    /// <summary>Adam with decoupled weight decay (default 0.01), as <c>torch.optim.AdamW</c>.</summary>
    AdamW,

    /// <summary>Adam with the infinity norm, as <c>torch.optim.Adamax</c>.</summary>
    Adamax,

    /// <summary>Adapts the step from running averages of squared gradients and squared updates, as <c>torch.optim.Adadelta</c>.</summary>
    Adadelta,

    /// <summary>Adam with Nesterov momentum and a momentum schedule, as <c>torch.optim.NAdam</c> (with later PyTorch's corrected μ-product).</summary>
    NAdam,

    /// <summary>Adam with its adaptive rate rectified once the variance estimate is reliable, as <c>torch.optim.RAdam</c>.</summary>
    RAdam,

    /// <summary>
    /// Averaged SGD, as <c>torch.optim.ASGD</c>: a decaying step size η and, after <see cref="AveragingAttribute.StartStep"/>,
    /// a running average of the parameters (the <c>Ax</c> state buffer).
    /// </summary>
    Asgd,

    /// <summary>
    /// Resilient backpropagation, as <c>torch.optim.Rprop</c>: a step size per element, grown while the gradient keeps its
    /// sign and shrunk when it flips; only the gradient's sign moves the parameter.
    /// </summary>
    Rprop,

    /// <summary>
    /// Evolved sign momentum (Chen et al. 2023, Algorithm 2): steps by the sign of an interpolation of momentum and
    /// gradient, with decoupled weight decay.
    /// </summary>
    Lion,

    /// <summary>
    /// Schedule-Free AdamW (Defazio et al. 2024), as facebookresearch/schedule_free's <c>AdamWScheduleFree</c>: the
    /// parameters hold the gradient point y; the point to evaluate, x, is written by <c>WriteEvaluationPoint</c>.
    /// </summary>
    ScheduleFreeAdamW,

    /// <summary>
    /// LAMB (You et al. 2020), as Optax's <c>lamb</c>: Adam's bias-corrected update r = m̂/(√v̂ + ε) + λ·p, scaled per
    /// tensor by the trust ratio ‖p‖/‖r‖ (1 where either norm is 0): p ← p − lr·ratio·r. A store step takes each tensor
    /// of the store as one; a plain step takes the span as one tensor.
    /// </summary>
    Lamb,

    /// <summary>
    /// LARS (You et al. 2017), as Optax's <c>lars</c>: the update r = g + λ·p, scaled per tensor by the trust ratio
    /// η·‖p‖/(‖r‖ + ε) (1 where either norm is 0) and by −lr, then heavy-ball (or Nesterov) momentum.
    /// </summary>
    Lars,
}

/// <summary>Where epsilon is added to the root of the second-moment estimate.</summary>
public enum EpsilonPlacement
{
    /// <summary><c>√v + ε</c>: PyTorch's convention, the default.</summary>
    OutsideSquareRoot,

    /// <summary><c>√(v + ε)</c>: the convention of Optax and of Keras's RMSprop and Adagrad.</summary>
    InsideSquareRoot,
}

/// <summary>What a generated <c>Step</c> does with gradients that are NaN or infinite.</summary>
public enum NonFiniteGradientPolicy
{
    /// <summary>
    /// Apply the step anyway: NaN and infinity flow into the parameters and state, exactly as in PyTorch. No check is
    /// made, so the step costs nothing extra. The default.
    /// </summary>
    Propagate,

    /// <summary>
    /// Check every gradient first (one extra read pass over the gradients) and, if any is NaN or infinite, skip the
    /// step: parameters, state, step count and schedule position stay as they were, <c>Step</c> returns false and
    /// <c>SkippedStepCount</c> grows by one. The behaviour of PyTorch's <c>GradScaler</c> and Optax's
    /// <c>apply_if_finite</c>, which mixed-precision training needs.
    /// </summary>
    SkipStep,
}

/// <summary>The code path a generated <c>Step</c> took, widest first.</summary>
public enum KernelPath
{
    /// <summary>No step has run yet.</summary>
    None,

    /// <summary>Scalar code: no hardware-accelerated vectors, or fewer elements than one vector holds.</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE, AdvSimd).</summary>
    Vector128,

    /// <summary>256-bit vectors (AVX2).</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512).</summary>
    Vector512,
}
