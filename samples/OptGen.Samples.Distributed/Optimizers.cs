using OptGen;

namespace OptGen.Samples.Distributed;

/// <summary>
/// AdamW with the whole-model transforms whose sharded form needs the other ranks: clipping by the norm of every
/// gradient of the model, and no weight decay on biases.
/// </summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 3e-3)]
[WeightDecay(0.01, Decoupled = true, Exclude = new[] { "*.bias" })]
[ClipGradientNorm(1.0)]
internal sealed partial class ClippedAdamW;
