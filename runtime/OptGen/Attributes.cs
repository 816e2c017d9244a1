using System;

// Compiled into the runtime library (namespace OptGen) and, linked, into the generator (OptGen.Generator.Contracts),
// so that the generator reads rules, options and defaults from the one definition users compile against.
#if OPTGEN_GENERATOR
namespace OptGen.Generator.Contracts;
#else
namespace OptGen;
#endif

/// <summary>
/// Marks a <c>partial class</c> as an optimizer: the OptGen generator emits a constructor, <c>Step</c> and state for
/// a preset rule, or for the class's own <see cref="ElementRuleAttribute"/> method, with every hyperparameter given by
/// attributes folded in as a constant.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class OptimizerAttribute : Attribute
{
    /// <summary>An optimizer for the preset <paramref name="rule"/>.</summary>
    /// <param name="rule">The update rule.</param>
    public OptimizerAttribute(UpdateRule rule) => Rule = rule;

    /// <summary>An optimizer for the class's own rule: its one <c>static void</c> method marked <see cref="ElementRuleAttribute"/>.</summary>
    public OptimizerAttribute()
    {
    }

    /// <summary>The preset update rule; null when the class brings its own <see cref="ElementRuleAttribute"/> method.</summary>
    public UpdateRule? Rule { get; }

    /// <summary>
    /// Initial base learning rate (settable at run time through <c>BaseLearningRate</c>). Defaults to PyTorch's:
    /// SGD 1e-3, AdaGrad 1e-2, RMSprop 1e-2, Adam 1e-3, AdamW 1e-3, Adamax 2e-3, Adadelta 1.0, NAdam 2e-3,
    /// RAdam 1e-3, ASGD 1e-2, Rprop 1e-2 (its initial step size), Lion 1e-4, ScheduleFreeAdamW 2.5e-3.
    /// </summary>
    public double LearningRate { get; set; }

    /// <summary>
    /// Element type of parameters and gradients: <c>typeof(float)</c> (default), <c>typeof(double)</c>, <c>typeof(Half)</c> or
    /// <c>typeof(OptGen.BFloat16)</c>. Half and BFloat16 elements are widened to float for the update and rounded back.
    /// </summary>
    public Type? ElementType { get; set; }

    /// <summary>Maximize the objective instead of minimizing it (PyTorch's <c>maximize</c>): the gradient is negated.</summary>
    public bool Maximize { get; set; }
}

/// <summary>Exponential decay rates of the moment estimates.</summary>
/// <remarks>
/// Adam/AdamW: <see cref="First"/> and <see cref="Second"/> are PyTorch's <c>betas</c> (defaults 0.9, 0.999).
/// Adamax, NAdam, RAdam: the same <c>betas</c> (0.9, 0.999).
/// RMSprop: <see cref="Second"/> is PyTorch's <c>alpha</c> (default 0.99); <see cref="First"/> does not apply.
/// Adadelta: <see cref="Second"/> is PyTorch's <c>rho</c> (default 0.9, in [0, 1]); <see cref="First"/> does not apply.
/// Lion: β₁ interpolates momentum and gradient for the sign, β₂ decays the momentum (defaults 0.9, 0.99).
/// ScheduleFreeAdamW: <c>betas</c> (defaults 0.9, 0.999); β₁ interpolates between the average x and z, and must be &gt; 0.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MomentDecayAttribute : Attribute
{
    /// <summary>Decay of the first moment (β₁), in [0, 1).</summary>
    public double First { get; set; }

    /// <summary>Decay of the second moment (β₂, or RMSprop's α), in [0, 1).</summary>
    public double Second { get; set; }
}

/// <summary>The term added to the denominator for numerical stability (PyTorch's <c>eps</c>).</summary>
/// <param name="value">Epsilon, finite and &gt; 0. Defaults: 1e-8, AdaGrad 1e-10, Adadelta 1e-6.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class EpsilonAttribute(double value) : Attribute
{
    /// <summary>Epsilon.</summary>
    public double Value { get; } = value;

    /// <summary>Outside the square root (PyTorch, the default) or inside it (Optax, Keras RMSprop/Adagrad).</summary>
    public EpsilonPlacement Placement { get; set; }
}

/// <summary>Whether Adam/AdamW divide the moments by <c>1 − βᵗ</c>. PyTorch always does; default true.</summary>
/// <param name="enabled">True to correct the bias of the zero-initialised moments.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class BiasCorrectionAttribute(bool enabled = true) : Attribute
{
    /// <summary>True to correct the bias of the zero-initialised moments.</summary>
    public bool Enabled { get; } = enabled;
}

/// <summary>Weight decay (PyTorch's <c>weight_decay</c>).</summary>
/// <param name="value">Decay coefficient, ≥ 0. Default 0, except AdamW's 0.01.</param>
/// <remarks>
/// Coupled (default except for AdamW): L2 regularisation, <c>g ← g + λ·p</c> before the rule, as PyTorch's SGD, Adagrad,
/// RMSprop, Adam, Adamax, Adadelta, NAdam and RAdam. Decoupled: <c>p ← p·(1 − lr·λ)</c> before the rule, as PyTorch's AdamW
/// (and later PyTorch's NAdam and RAdam <c>decoupled_weight_decay</c>), for SGD, AdaGrad, RMSprop, Adam, NAdam and RAdam;
/// Adamax and Adadelta follow PyTorch, which has only L2 for them.
/// Lion's is always decoupled. ScheduleFreeAdamW adds <c>λ·y</c> to the normalised gradient, as its reference.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class WeightDecayAttribute(double value) : Attribute
{
    /// <summary>Decay coefficient λ.</summary>
    public double Value { get; } = value;

    /// <summary>Decoupled (AdamW-style) instead of coupled (L2). Defaults to true for AdamW, Lion and <see cref="ElementRuleAttribute"/> rules (which accept only decoupled), false otherwise.</summary>
    public bool Decoupled { get; set; }

    /// <summary>
    /// Parameter groups by tensor name: the tensors of a <c>ParameterStore</c> whose names match one of these patterns
    /// (<c>*</c> matches any run of characters, e.g. <c>"*.bias"</c>, <c>"*norm*"</c>) get no weight decay when the
    /// optimizer steps the store. A plain <c>Step(span, span)</c> has no names and decays everything.
    /// </summary>
    public string[]? Exclude { get; set; }
}

/// <summary>
/// Clips the gradients by their total L2 norm before the step, as <c>torch.nn.utils.clip_grad_norm_(params, maxNorm)</c>
/// in PyTorch 1.13: the norm over everything one <c>Step</c> updates (the whole store, or the span), and every gradient
/// multiplied by min(1, maxNorm / (norm + 1e-6)) as the step reads it, in the same pass; the caller's gradients are not
/// changed. A non-finite norm follows <see cref="NonFiniteGradientsAttribute"/>. The norm is exposed as
/// <c>LastGradientNorm</c>.
/// </summary>
/// <param name="maxNorm">The largest total norm, greater than 0; <see cref="double.PositiveInfinity"/> measures the norm without clipping.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ClipGradientNormAttribute(double maxNorm) : Attribute
{
    /// <summary>The largest total gradient norm.</summary>
    public double MaxNorm { get; } = maxNorm;
}

/// <summary>Momentum for SGD (with <see cref="Dampening"/> and <see cref="Nesterov"/>) and RMSprop.</summary>
/// <param name="value">Momentum factor, in [0, 1).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MomentumAttribute(double value) : Attribute
{
    /// <summary>Momentum factor μ.</summary>
    public double Value { get; } = value;

    /// <summary>SGD only: dampening τ of the gradient added to the buffer, <c>b ← μ·b + (1 − τ)·g</c>. Default 0.</summary>
    public double Dampening { get; set; }

    /// <summary>SGD only: Nesterov momentum, <c>g ← g + μ·b</c>. Needs momentum &gt; 0 and zero dampening.</summary>
    public bool Nesterov { get; set; }
}

/// <summary>Adam/AdamW: use the maximum of past second moments (PyTorch's <c>amsgrad=True</c>).</summary>
/// <param name="enabled">True to enable AMSGrad.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class AmsGradAttribute(bool enabled = true) : Attribute
{
    /// <summary>True to enable AMSGrad.</summary>
    public bool Enabled { get; } = enabled;
}

/// <summary>RMSprop: normalise by the estimated variance instead of the uncentered second moment (PyTorch's <c>centered=True</c>).</summary>
/// <param name="enabled">True for centered RMSprop.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class CenteredAttribute(bool enabled = true) : Attribute
{
    /// <summary>True for centered RMSprop.</summary>
    public bool Enabled { get; } = enabled;
}

/// <summary>AdaGrad: PyTorch's <c>lr_decay</c>, step t uses <c>lr / (1 + (t − 1)·decay)</c>.</summary>
/// <param name="value">Decay, ≥ 0. Default 0.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LearningRateDecayAttribute(double value) : Attribute
{
    /// <summary>Decay.</summary>
    public double Value { get; } = value;
}

/// <summary>AdaGrad: initial value of the squared-gradient sum (PyTorch's <c>initial_accumulator_value</c>).</summary>
/// <param name="value">Initial value, ≥ 0. Default 0.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InitialAccumulatorAttribute(double value) : Attribute
{
    /// <summary>Initial value.</summary>
    public double Value { get; } = value;
}

/// <summary>ASGD: the step-size decay and the averaging of <c>torch.optim.ASGD</c> (its <c>lambd</c>, <c>alpha</c> and <c>t0</c>).</summary>
/// <remarks>
/// Step t uses η, with η = lr on the first step and η ← lr / (1 + λ·lr·t)^α after step t (lr: that step's rate), and the
/// averaging weight μ, with μ = 1 on the first step and μ ← 1 / max(1, t − t₀) after step t. Both are kept in float32,
/// as PyTorch keeps them in 0-d float32 tensors, also for double parameters.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class AveragingAttribute : Attribute
{
    /// <summary>Decay term λ (PyTorch's <c>lambd</c>), finite and ≥ 0. Default 1e-4.</summary>
    public double Lambda { get; set; } = 1e-4;

    /// <summary>Power α of the step-size decay (PyTorch's <c>alpha</c>), finite and ≥ 0. Default 0.75.</summary>
    public double Power { get; set; } = 0.75;

    /// <summary>Step t₀ after which averaging starts (PyTorch's <c>t0</c>), finite and ≥ 0. Default 1e6.</summary>
    public double StartStep { get; set; } = 1e6;
}

/// <summary>Rprop: how the per-element step sizes of <c>torch.optim.Rprop</c> adapt (its <c>etas</c> and <c>step_sizes</c>).</summary>
/// <remarks>
/// Where the gradient keeps its sign (g·g_prev &gt; 0) the step size is multiplied by <see cref="Increase"/>, where it
/// flips (&lt; 0) by <see cref="Decrease"/>, then clamped to [<see cref="Minimum"/>, <see cref="Maximum"/>]. The
/// learning rate is the initial step size.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class StepSizeAdaptationAttribute : Attribute
{
    /// <summary>Factor η⁻ where the gradient's sign flips (PyTorch's <c>etas[0]</c>), greater than 0 and less than 1. Default 0.5.</summary>
    public double Decrease { get; set; } = 0.5;

    /// <summary>Factor η⁺ where the gradient keeps its sign (PyTorch's <c>etas[1]</c>), finite and greater than 1. Default 1.2.</summary>
    public double Increase { get; set; } = 1.2;

    /// <summary>Smallest step size (PyTorch's <c>step_sizes[0]</c>), finite, ≥ 0 and at most <see cref="Maximum"/>. Default 1e-6.</summary>
    public double Minimum { get; set; } = 1e-6;

    /// <summary>Largest step size (PyTorch's <c>step_sizes[1]</c>), finite and ≥ <see cref="Minimum"/>. Default 50.</summary>
    public double Maximum { get; set; } = 50;
}

/// <summary>LARS: the trust ratio η·‖p‖/(‖r‖ + ε) of Optax's <c>scale_by_trust_ratio</c> (<c>trust_coefficient</c>, <c>eps</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TrustRatioAttribute : Attribute
{
    /// <summary>The trust coefficient η, finite and &gt; 0. Default 0.001.</summary>
    public double Coefficient { get; set; } = 0.001;

    /// <summary>Added to the update's norm, finite and ≥ 0. Default 0.</summary>
    public double Epsilon { get; set; }
}

/// <summary>NAdam: the momentum schedule's decay ψ (PyTorch's <c>momentum_decay</c>), μₜ = β₁·(1 − ½·0.96^(t·ψ)).</summary>
/// <param name="value">ψ, finite and ≥ 0. Default 4e-3.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MomentumDecayAttribute(double value) : Attribute
{
    /// <summary>ψ.</summary>
    public double Value { get; } = value;
}

/// <summary>
/// Schedule-Free AdamW's averaging and warm-up (facebookresearch/schedule_free's <c>warmup_steps</c>, <c>r</c> and
/// <c>weight_lr_power</c>). Each step k (from 0) uses the rate <c>lr_k = lr·min(1, (k + 1)/WarmupSteps)</c> and adds
/// the weight <c>w = (k + 1)^R · lr_max^WeightLearningRatePower</c> (lr_max: the largest lr_k so far) to the average x,
/// whose interpolation factor is <c>c = w / Σw</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ScheduleFreeAttribute : Attribute
{
    /// <summary>Steps of linear learning-rate warm-up, ≥ 0 (<c>warmup_steps</c>). Default 0: none.</summary>
    public int WarmupSteps { get; set; }

    /// <summary>Power of the step number in the averaging weights, finite and ≥ 0 (<c>r</c>). Default 0: uniform.</summary>
    public double R { get; set; }

    /// <summary>Power of the largest learning rate so far in the averaging weights, finite and ≥ 0 (<c>weight_lr_power</c>). Default 2.</summary>
    public double WeightLearningRatePower { get; set; }
}

/// <summary>
/// What <c>Step</c> does when a gradient is NaN or infinite. Without this attribute the policy is
/// <see cref="NonFiniteGradientPolicy.Propagate"/>, PyTorch's behaviour.
/// </summary>
/// <param name="policy">The policy.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NonFiniteGradientsAttribute(NonFiniteGradientPolicy policy) : Attribute
{
    /// <summary>The policy.</summary>
    public NonFiniteGradientPolicy Policy { get; } = policy;
}

/// <summary>
/// Marks the <c>static void</c> method that is an <c>[Optimizer]</c> class's own update rule for one element:
/// <c>(ref T parameter, T gradient, ref T state₁, …, ref T stateₙ[, StepContext step])</c>, T <c>float</c> or <c>double</c>.
/// OptGen translates its body into the same fused SIMD step as a preset's; the method stays callable as ordinary C#.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ElementRuleAttribute : Attribute
{
}

/// <summary>
/// Makes an <see cref="ElementRuleAttribute"/> rule a two-pass rule with per-tensor norms (LAMB, LARS written by hand):
/// on this state parameter. Each step runs the method over every element with <see cref="StepContext.Pass"/> 0; the
/// optimizer then takes, per tensor of the store (or over the span), the norms of the parameters and of this state,
/// and runs the method again with <see cref="StepContext.Pass"/> 1 and <see cref="StepContext.ParameterNorm"/> and
/// <see cref="StepContext.UpdateNorm"/> set. Branch on <c>step.Pass</c> with <c>if</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class TensorNormAttribute : Attribute
{
}

/// <summary>
/// Marks an <see cref="ElementRuleAttribute"/> class's optional <c>static void</c> method that runs once per step, before
/// the elements: <c>(ref S scalar₁, …, ref S scalarₙ[, StepContext step])</c>, S <c>float</c> or <c>double</c>. Each
/// <c>ref</c> parameter is a per-step state (NAdam's μ-product, a running weight sum) that persists across steps, is
/// saved in checkpoints and restored by <c>Reset</c>; <see cref="InitialValueAttribute"/> sets its initial value. The
/// element rule reads a state's value after this method through a by-value parameter of the same name and type, after
/// its state buffers. Per step the optimizer computes exactly what calling this method once, then the element rule for
/// every element, computes.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class BeforeStepAttribute : Attribute
{
}

/// <summary>
/// The value every element of an <see cref="ElementRuleAttribute"/> rule's state buffer, or a <see cref="BeforeStepAttribute"/>
/// method's per-step state, has after construction and <c>Reset</c> (default 0).
/// </summary>
/// <param name="value">The initial value, finite.</param>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class InitialValueAttribute(double value) : Attribute
{
    /// <summary>The initial value.</summary>
    public double Value { get; } = value;
}

/// <summary>How an optimizer stores its state buffers (<see cref="StateStorageAttribute"/>).</summary>
public enum StateStorage
{
    /// <summary>Four bytes per value (the default): the state as the update computes it.</summary>
    Float32,

    /// <summary>Two bytes per value: bfloat16, rounded to nearest even after every update.</summary>
    BFloat16,

    /// <summary>
    /// One byte per value plus a float32 maximum per block of 256 values, as bitsandbytes' 8-bit optimizers: each value is
    /// the nearest entry of a dynamic map (signed for states that may be negative, unsigned for states that never are)
    /// scaled by its block's absolute maximum. Dequantized, updated in float and requantized in the same pass.
    /// </summary>
    Blockwise8Bit,
}

/// <summary>How the optimizer stores its state buffers; without it, <see cref="StateStorage.Float32"/>.</summary>
/// <param name="storage">The storage.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class StateStorageAttribute(StateStorage storage) : Attribute
{
    /// <summary>The storage.</summary>
    public StateStorage Storage { get; } = storage;
}

/// <summary>
/// Lets the generator change the element update's rounding for speed; without it every step matches PyTorch bit for
/// bit. In the element update only (per-step scalars stay in double precision, conditions stay as written): a division
/// by a per-step value becomes a multiplication by its reciprocal, computed once per step; a per-step factor of a
/// dividend moves out of the division (<c>s·x / y</c> becomes <c>s·(x / y)</c>); and <c>a + b·c</c> becomes one fused
/// multiply-add where it cannot cancel badly: both addends are provably ≥ 0, or <c>a</c> is the parameter or state
/// value the statement updates (<c>p = p − s·(m / d)</c>). For Adam that is one division per element instead of two and
/// the arithmetic of hand-written kernels. Works with every preset, every <c>[ElementRule]</c> rule and every storage.
/// </summary>
/// <remarks>
/// Bound, property-tested on random data: after one step from the same state, each parameter and state value is within
/// 8 units in the last place (of the element type) of the exact step's value, measured at the larger of its magnitudes
/// before and after the exact step, for rules that add one term to each value: SGD, AdaGrad, RMSprop (centered or not),
/// Adam, AdamW, Adamax, RAdam, Adadelta. It does not hold where a rule adds several separately computed terms to a value
/// (NAdam's gradient and momentum terms): where they nearly cancel, a few ulps of a term are many ulps of the result; and
/// where a rule compares a value computed differently (a condition, <c>Math.Max</c>), an element at a tie may take the
/// other branch. Trajectories are therefore no longer bit-identical to PyTorch's; checkpoints load across the two modes.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class FastMathAttribute : Attribute
{
}

/// <summary>
/// For a <c>Half</c> or <c>BFloat16</c> optimizer: the optimizer keeps a float32 copy of the parameters (a state buffer,
/// <c>master_weights</c>), taken from the parameters at the first step. Each step updates the copy and writes the
/// parameters as its rounding, in the same pass, so small updates accumulate instead of rounding away.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MasterWeightsAttribute : Attribute
{
}

/// <summary>
/// For a <c>BFloat16</c> optimizer without <see cref="MasterWeightsAttribute"/>: the updated parameters are rounded to
/// bfloat16 stochastically (torchao's <c>bf16_stochastic_round</c>) instead of to nearest, so that updates smaller than
/// half a unit in the last place still move the parameters on average. The random bits come from the seed, the step
/// number and the element's index: every run, thread count and SIMD path gives the same parameters.
/// </summary>
/// <param name="seed">The seed.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class StochasticRoundingAttribute(long seed = 0) : Attribute
{
    /// <summary>The seed.</summary>
    public long Seed { get; } = seed;
}
