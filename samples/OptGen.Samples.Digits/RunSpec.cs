using System;
using System.Globalization;
using OptGen;

namespace OptGen.Samples.Digits;

/// <summary>Which comparison a run belongs to.</summary>
internal enum RunGroup
{
    /// <summary>Each update rule at its default learning rate.</summary>
    Optimizers,

    /// <summary>Adam under each learning-rate schedule.</summary>
    Schedules,

    /// <summary>A few rules, each at a range of base learning rates.</summary>
    Sweep,

    /// <summary>Adam with fewer bytes: bfloat16 weights, 8-bit state.</summary>
    Precision,

    /// <summary>AdamW with what a training recipe adds around it: weight-decay exclusions, clipping, per-layer rates.</summary>
    Transforms,
}

/// <summary>One training run: an optimizer, built fresh for the model's parameter count, and optionally its base rate.</summary>
/// <param name="Key">The name <c>--optimizers</c> selects it by (shared by a rule's sweep runs).</param>
/// <param name="Optimizer">The update rule, as shown.</param>
/// <param name="Schedule">The learning-rate schedule, as shown.</param>
/// <param name="Group">The comparison it belongs to.</param>
/// <param name="Create">Builds the optimizer for a number of parameters.</param>
/// <param name="BaseLearningRate">Overrides the declared base rate; null keeps it.</param>
/// <param name="ConfigureStore">Sets up the model's store before training (per-tensor learning-rate scales); null leaves it.</param>
internal sealed record RunSpec(
    string Key,
    string Optimizer,
    string Schedule,
    RunGroup Group,
    Func<int, IOptimizer<float>> Create,
    double? BaseLearningRate = null,
    Action<ParameterStore<float>>? ConfigureStore = null)
{
    public string Label => Group == RunGroup.Sweep
        ? $"{Optimizer} lr={BaseLearningRate?.ToString("G3", CultureInfo.InvariantCulture)}"
        : Schedule == "constant" ? Optimizer : $"{Optimizer}, {Schedule}";
}
