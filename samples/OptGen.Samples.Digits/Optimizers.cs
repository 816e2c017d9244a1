using OptGen;

namespace OptGen.Samples.Digits;

// Each optimizer is an empty partial class with attributes; the OptGen generator fills in a constructor taking the
// number of parameters, a fused SIMD Step and the state buffers at compile time. Hyperparameters left out take
// PyTorch's defaults, and so does the learning rate, except plain SGD's: PyTorch has no default for SGD, OptGen uses
// 1e-3. The learning rate is the one value that stays adjustable at run time (BaseLearningRate), which the
// learning-rate sweep uses.

/// <summary>Plain SGD at OptGen's default rate 1e-3: <c>p ← p − lr·g</c>.</summary>
[Optimizer(UpdateRule.Sgd)]
internal sealed partial class Sgd;

/// <summary>SGD with Nesterov momentum 0.9, as <c>torch.optim.SGD(lr=1e-3, momentum=0.9, nesterov=True)</c>.</summary>
[Optimizer(UpdateRule.Sgd)]
[Momentum(0.9, Nesterov = true)]
internal sealed partial class NesterovSgd;

/// <summary>AdaGrad at PyTorch's default rate 1e-2: each parameter's step shrinks with its summed squared gradients.</summary>
[Optimizer(UpdateRule.AdaGrad)]
internal sealed partial class AdaGrad;

/// <summary>RMSprop at PyTorch's default rate 1e-2 (α = 0.99): a moving average of squared gradients instead of a sum.</summary>
[Optimizer(UpdateRule.RMSprop)]
internal sealed partial class RmsProp;

/// <summary>Adam at PyTorch's defaults (lr 1e-3, β = 0.9, 0.999, ε = 1e-8).</summary>
[Optimizer(UpdateRule.Adam)]
internal sealed partial class Adam;

/// <summary>AdamW at PyTorch's defaults: Adam plus decoupled weight decay 0.01.</summary>
[Optimizer(UpdateRule.AdamW)]
internal sealed partial class AdamW;

/// <summary>Adadelta at PyTorch's defaults (lr 1.0, ρ = 0.9, ε = 1e-6): steps scaled by a running RMS of past steps.</summary>
[Optimizer(UpdateRule.Adadelta)]
internal sealed partial class Adadelta;

/// <summary>Adamax at PyTorch's defaults (lr 2e-3): Adam with the infinity norm in the denominator.</summary>
[Optimizer(UpdateRule.Adamax)]
internal sealed partial class Adamax;

/// <summary>ASGD at PyTorch's defaults (lr 1e-2; averaging would start after a million steps).</summary>
[Optimizer(UpdateRule.Asgd)]
internal sealed partial class Asgd;

/// <summary>NAdam at PyTorch's defaults (lr 2e-3, momentum decay 4e-3): Adam with Nesterov momentum.</summary>
[Optimizer(UpdateRule.NAdam)]
internal sealed partial class NAdam;

/// <summary>RAdam at PyTorch's defaults (lr 1e-3): Adam whose adaptive step is rectified, and off for the first steps.</summary>
[Optimizer(UpdateRule.RAdam)]
internal sealed partial class RAdam;

/// <summary>Rprop at PyTorch's defaults (initial step 1e-2, η = 0.5/1.2): only the gradient's sign counts. Meant for full batches.</summary>
[Optimizer(UpdateRule.Rprop)]
internal sealed partial class Rprop;

/// <summary>Lion at its paper's defaults (lr 1e-4, β = 0.9/0.99): the sign of an interpolated momentum.</summary>
[Optimizer(UpdateRule.Lion)]
internal sealed partial class Lion;

/// <summary>Schedule-Free AdamW at the reference's defaults (lr 2.5e-3): averaging replaces the schedule.</summary>
[Optimizer(UpdateRule.ScheduleFreeAdamW)]
internal sealed partial class ScheduleFreeAdamW;

// Adam under each learning-rate schedule, sized in steps for the default run (TrainingDefaults.Steps). They start from
// a base rate thirty times Adam's default: decaying pays off when the start is fast enough to make progress early but
// too unstable to settle; at a rate already small, decaying only slows the end.
internal static class ScheduleSteps
{
    public const double BaseRate = 3e-2;
    public const int Total = TrainingDefaults.Steps;

    /// <summary>Step decay: ×0.1 after each third of the run.</summary>
    public const int StepDecayInterval = Total / 3;

    /// <summary>Exponential decay: ×0.1 per half run, so the last step runs at 1 % of the base rate.</summary>
    public const int ExponentialDecaySteps = Total / 2;

    /// <summary>Warm-up: linear from 1 % over the first two epochs.</summary>
    public const int Warmup = 2 * TrainingDefaults.BatchesPerEpoch;
}

/// <summary>Adam at a constant rate of 0.03, the reference for the schedules.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = ScheduleSteps.BaseRate)]
internal sealed partial class AdamConstant;

/// <summary>Adam, rate × 0.1 every third of the run, as <c>StepLR(step_size, gamma=0.1)</c>.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = ScheduleSteps.BaseRate)]
[StepDecay(StepSize = ScheduleSteps.StepDecayInterval, Gamma = 0.1)]
internal sealed partial class AdamStepDecay;

/// <summary>Adam, rate × 0.1^(k / half the run): smoothly down to 1 %.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = ScheduleSteps.BaseRate)]
[ExponentialDecay(Gamma = 0.1, DecaySteps = ScheduleSteps.ExponentialDecaySteps)]
internal sealed partial class AdamExponentialDecay;

/// <summary>Adam, rate falling linearly to 0 at the end of the run, as <c>PolynomialLR(total_iters, power=1)</c>.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = ScheduleSteps.BaseRate)]
[PolynomialDecay(TotalSteps = ScheduleSteps.Total, Power = 1)]
internal sealed partial class AdamPolynomialDecay;

/// <summary>Adam, cosine annealing to 0 over the run, as <c>CosineAnnealingLR(T_max)</c>.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = ScheduleSteps.BaseRate)]
[CosineDecay(TotalSteps = ScheduleSteps.Total)]
internal sealed partial class AdamCosineDecay;

/// <summary>Adam, two epochs of linear warm-up from 1 %, then cosine annealing to 0 over the rest of the run.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = ScheduleSteps.BaseRate)]
[LinearWarmup(Steps = ScheduleSteps.Warmup, StartFactor = 0.01)]
[CosineDecay(TotalSteps = ScheduleSteps.Total - ScheduleSteps.Warmup)]
internal sealed partial class AdamWarmupCosine;

// Whole-model transforms: AdamW at the schedules' base rate (ScheduleSteps.BaseRate, within the sweep's best decade for
// Adam), with weight decay ten times PyTorch's default so that decay visibly costs training loss, plain and with what a
// training recipe adds around the optimizer: no decay on the biases, gradient clipping by the norm over the whole
// store, and (at run time, through the store) a slower or frozen first layer. All of it happens inside the one fused
// Step(store).
internal static class WholeModel
{
    public const double BaseRate = ScheduleSteps.BaseRate;

    /// <summary>Decoupled decay: each step multiplies the weights by 1 − lr·λ = 0.997, a tenth of their size after 770 steps with no gradient.</summary>
    public const double WeightDecay = 0.1;

    /// <summary>
    /// The clipping threshold: near the median gradient norm of this run (about 0.18), so clipping is active on about
    /// half of the steps, the early ones (norms above 1) and the spikes among the later ones.
    /// </summary>
    public const double MaxGradientNorm = 0.2;

    /// <summary>The learning-rate scale of the first layer (<c>fc1.*</c>) in the fine-tuning-style run.</summary>
    public const double SlowLayerScale = 0.1;
}

/// <summary>AdamW at 0.03 with decoupled weight decay 0.1 on every tensor; the fine-tuning-style runs set their store's scales.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = WholeModel.BaseRate)]
[WeightDecay(WholeModel.WeightDecay, Decoupled = true)]
internal sealed partial class TransformAdamW;

/// <summary>As <see cref="TransformAdamW"/>, but the biases are not decayed.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = WholeModel.BaseRate)]
[WeightDecay(WholeModel.WeightDecay, Decoupled = true, Exclude = new[] { "*.bias" })]
internal sealed partial class TransformAdamWNoBiasDecay;

/// <summary>As <see cref="TransformAdamW"/>, with the gradients clipped to a total norm of 0.2, as <c>clip_grad_norm_</c>.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = WholeModel.BaseRate)]
[WeightDecay(WholeModel.WeightDecay, Decoupled = true)]
[ClipGradientNorm(WholeModel.MaxGradientNorm)]
internal sealed partial class TransformAdamWClipped;

/// <summary>Both: clipped gradients and no decay on the biases.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = WholeModel.BaseRate)]
[WeightDecay(WholeModel.WeightDecay, Decoupled = true, Exclude = new[] { "*.bias" })]
[ClipGradientNorm(WholeModel.MaxGradientNorm)]
internal sealed partial class TransformAdamWClippedNoBiasDecay;

/// <summary>Adam with its moments in 8 bits per value (blockwise, bitsandbytes' scheme).</summary>
[Optimizer(UpdateRule.Adam)]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class Adam8Bit;

/// <summary>Adam over bfloat16 parameters, rounded to nearest after every step: updates below half a unit in the last place are lost.</summary>
[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
internal sealed partial class Bf16Adam;

/// <summary>Adam over bfloat16 parameters with a float copy of them that the updates accumulate in.</summary>
[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
[MasterWeights]
internal sealed partial class Bf16AdamMasterWeights;

/// <summary>The same with the moments in 8 bits.</summary>
[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
[MasterWeights]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class Bf16AdamMasterWeights8Bit;

/// <summary>Adam over bfloat16 parameters without a float copy, rounded stochastically so that small updates count on average.</summary>
[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
[StochasticRounding(42)]
internal sealed partial class Bf16AdamStochastic;

/// <summary>The same with the moments in 8 bits: 4 bytes per parameter in all (2 of weights, 2 of state).</summary>
[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
[StochasticRounding(42)]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class Bf16AdamStochastic8Bit;
