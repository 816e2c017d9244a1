using System.Collections.Generic;
using System.Linq;
using OptGen.Samples.Digits;

namespace OptGen.Samples.CustomRule;

/// <summary>The runs this sample compares: the custom rules and the presets, then each over a range of rates.</summary>
internal static class Comparison
{
    /// <summary>
    /// Seven base rates, about half a decade apart, written as the classes in Rules.cs declare them (3.16e-3 rather
    /// than 10^-2.5), so that a rule's own run and its sweep run at the same rate give the same numbers.
    /// </summary>
    public static IReadOnlyList<double> SweepRates { get; } = [1e-4, 3.16e-4, 1e-3, 3.16e-3, 1e-2, 3.16e-2, 1e-1];

    /// <summary>PyTorch's default learning rate for Adam, the baseline.</summary>
    public const double AdamDefaultRate = 1e-3;

    /// <summary>Each rule at the learning rate its class declares (the sweep's best).</summary>
    public static IReadOnlyList<RunSpec> Rules { get; } =
    [
        new("adam", "Adam (preset)", "constant", RunGroup.Optimizers, n => new PresetAdam(n)),
        new("adamw", "AdamW (preset)", "constant", RunGroup.Optimizers, n => new PresetAdamW(n)),
        new("adabelief", "AdaBelief", "constant", RunGroup.Optimizers, n => new AdaBelief(n)),
        new("adan", "Adan", "constant", RunGroup.Optimizers, n => new Adan(n)),
        new("ademamix", "AdEMAMix", "constant", RunGroup.Optimizers, n => new AdEMAMix(n)),
        new("sophia", "Sophia (clip, h = EMA of g²)", "constant", RunGroup.Optimizers, n => new SophiaClip(n)),
    ];

    /// <summary>The Adam preset at PyTorch's default rate, as most code would run it.</summary>
    public static RunSpec AdamAtDefaultRate { get; } = Rules[0] with { Optimizer = "Adam (preset, PyTorch's lr)", BaseLearningRate = AdamDefaultRate };

    /// <summary>
    /// The runs to make: Adam at PyTorch's rate, every rule at its declared rate, then, with <paramref name="sweep"/>,
    /// every rule at each of <see cref="SweepRates"/>.
    /// </summary>
    public static List<RunSpec> Select(bool sweep) =>
    [
        AdamAtDefaultRate,
        .. Rules,
        .. sweep ? Rules.SelectMany(rule => SweepRates.Select(rate => rule with { Group = RunGroup.Sweep, BaseLearningRate = rate })) : [],
    ];
}
