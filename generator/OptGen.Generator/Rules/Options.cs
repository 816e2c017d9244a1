using System.Collections.Immutable;
using OptGen.Generator.Contracts;

namespace OptGen.Generator.Rules;

/// <summary>
/// The options more than one rule accepts, with their PyTorch defaults (rules override them). A rule's own options
/// are declared in its definition.
/// </summary>
internal static class Options
{
    public static readonly Option LearningRate = new(nameof(OptimizerAttribute), nameof(OptimizerAttribute.LearningRate), OptionKind.Number, 1e-3, Fingerprints.Number("lr"), ValueRange.LearningRate);

    public static readonly Option Beta1 = new(nameof(MomentDecayAttribute), nameof(MomentDecayAttribute.First), OptionKind.Number, 0.9, Fingerprints.Number("beta1"), ValueRange.Decay);

    public static readonly Option Beta2 = new(nameof(MomentDecayAttribute), nameof(MomentDecayAttribute.Second), OptionKind.Number, 0.999, Fingerprints.Number("beta2"), ValueRange.Decay);

    public static readonly Option Epsilon = new(nameof(EpsilonAttribute), null, OptionKind.Number, 1e-8, Fingerprints.Number("eps"), ValueRange.Epsilon);

    public static readonly Option EpsilonPlacement = new(
        nameof(EpsilonAttribute), nameof(EpsilonAttribute.Placement), OptionKind.Choice, (int)Contracts.EpsilonPlacement.OutsideSquareRoot, Fingerprints.Suffix("/outside", "/inside"), choices: typeof(Contracts.EpsilonPlacement));

    public static readonly Option BiasCorrection = new(nameof(BiasCorrectionAttribute), null, OptionKind.Flag, 1, Fingerprints.Flag("bias_correction"));

    public static readonly Option WeightDecay = new(nameof(WeightDecayAttribute), null, OptionKind.Number, 0, Fingerprints.Number("weight_decay"), ValueRange.NonNegative);

    public static readonly Option DecoupledWeightDecay = new(nameof(WeightDecayAttribute), nameof(WeightDecayAttribute.Decoupled), OptionKind.Flag, 0, Fingerprints.Suffix("/l2", "/decoupled"));

    public static readonly Option Momentum = new(nameof(MomentumAttribute), null, OptionKind.Number, 0, Fingerprints.Number("momentum"), ValueRange.Decay);

    public static readonly Option Dampening = new(nameof(MomentumAttribute), nameof(MomentumAttribute.Dampening), OptionKind.Number, 0, Fingerprints.Number("dampening"), ValueRange.Fraction);

    public static readonly Option Nesterov = new(nameof(MomentumAttribute), nameof(MomentumAttribute.Nesterov), OptionKind.Flag, 0, Fingerprints.Flag("nesterov"));

    public static readonly Option AmsGrad = new(nameof(AmsGradAttribute), null, OptionKind.Flag, 0, Fingerprints.Flag("amsgrad"));

    public static readonly Option Centered = new(nameof(CenteredAttribute), null, OptionKind.Flag, 0, Fingerprints.Flag("centered"));

    public static readonly Option LearningRateDecay = new(nameof(LearningRateDecayAttribute), null, OptionKind.Number, 0, Fingerprints.Number("lr_decay"), ValueRange.NonNegative);

    public static readonly Option InitialAccumulator = new(nameof(InitialAccumulatorAttribute), null, OptionKind.Number, 0, Fingerprints.Number("initial_accumulator"), ValueRange.NonNegative);

    public static readonly Option Maximize = new(nameof(OptimizerAttribute), nameof(OptimizerAttribute.Maximize), OptionKind.Flag, 0, Fingerprints.Flag("maximize"));

    /// <summary>
    /// The options every fingerprint lists, for every rule and in this order (state layout 1): a checkpoint written
    /// before rules declared their own options still matches. A rule's other options follow these.
    /// </summary>
    public static readonly ImmutableArray<Option> InEveryFingerprint = ImmutableArray.Create(
        LearningRate, Beta1, Beta2, Epsilon, EpsilonPlacement, BiasCorrection, WeightDecay, DecoupledWeightDecay, Momentum,
        Dampening, Nesterov, AmsGrad, Centered, LearningRateDecay, InitialAccumulator, Maximize);
}
