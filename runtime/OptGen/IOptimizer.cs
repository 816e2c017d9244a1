using System;
using System.Collections.Generic;
using System.IO;

namespace OptGen;

/// <summary>What every generated optimizer exposes, whatever its element type.</summary>
public interface IOptimizer
{
    /// <summary>Number of parameters the state was allocated for.</summary>
    int Length { get; }

    /// <summary>
    /// Completed steps. The next <c>Step</c> uses t = <see cref="StepCount"/> + 1. Settable to resume from saved state,
    /// from 0 to <see cref="OptimizerLimits.MaxStepCount"/> (2⁵³); at that count <c>Step</c> throws instead of wrapping.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value outside 0 … <see cref="OptimizerLimits.MaxStepCount"/>.</exception>
    long StepCount { get; set; }

    /// <summary>
    /// The learning rate the next <c>Step</c> will use, as PyTorch's <c>param_group["lr"]</c>: factors the rule applies
    /// itself inside the step (Adam's bias correction, AdaGrad's <c>lr_decay</c>) are not included.
    /// </summary>
    double LearningRate { get; }

    /// <summary>The base learning rate, initialised from the attribute; finite and &gt; 0.</summary>
    double BaseLearningRate { get; set; }

    /// <summary>The code path the last <c>Step</c> took.</summary>
    KernelPath LastKernelPath { get; }

    /// <summary>
    /// Threads a large <c>Step</c> (at least <see cref="ParallelStep.MinimumParallelLength"/> elements) splits its work
    /// across, the calling thread included; default: all cores. From 1 to <see cref="OptimizerLimits.MaxThreadCount"/>;
    /// a step never uses more threads than the machine has cores. Results are bit-identical whatever the count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value outside 1 … <see cref="OptimizerLimits.MaxThreadCount"/>.</exception>
    int ThreadCount { get; set; }

    /// <summary>Names of the state buffers, in the order of <c>GetStateBuffer</c> (PyTorch's state keys, e.g. <c>exp_avg</c>).</summary>
    IReadOnlyList<string> StateBufferNames { get; }

    /// <summary>
    /// Bytes of optimizer state per parameter, as stored: 8 for float Adam (m and v), about 2.03 with
    /// <see cref="StateStorage.Blockwise8Bit"/> (a byte per value and a float maximum per 256), plus 4 for master weights.
    /// </summary>
    double StateBytesPerParameter { get; }

    /// <summary>What <c>Step</c> does with NaN or infinite gradients, as declared by <see cref="NonFiniteGradientsAttribute"/>.</summary>
    NonFiniteGradientPolicy NonFiniteGradientPolicy { get; }

    /// <summary>
    /// Steps skipped because a gradient was not finite (only under <see cref="NonFiniteGradientPolicy.SkipStep"/>).
    /// Saved in checkpoints; cleared by <see cref="Reset"/>.
    /// </summary>
    long SkippedStepCount { get; }

    /// <summary>Resets the step count, the skipped-step count, the schedule and every state buffer to its initial value.</summary>
    /// <exception cref="InvalidOperationException">Another thread is using this optimizer.</exception>
    void Reset();

    /// <summary>
    /// Writes the complete state (step counts, base learning rate, schedule state, every state buffer and a fingerprint
    /// of the rule and its hyperparameters) to <paramref name="destination"/> in the versioned, checksummed format of
    /// <see cref="Checkpoint"/>.
    /// </summary>
    /// <param name="destination">The stream to write to.</param>
    /// <exception cref="InvalidOperationException">Another thread is using this optimizer.</exception>
    void SaveCheckpoint(Stream destination);

    /// <summary>
    /// Writes a checkpoint to <paramref name="path"/> atomically: to a temporary file first, renamed over the old one
    /// only when complete, so a crash while saving never destroys the previous checkpoint.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <exception cref="InvalidOperationException">Another thread is using this optimizer.</exception>
    void SaveCheckpoint(string path);

    /// <summary>
    /// Restores the state saved by <see cref="SaveCheckpoint(Stream)"/>. The whole checkpoint is read and verified first:
    /// if it is truncated, corrupt, of a newer format, or saved by an optimizer with another rule, hyperparameters,
    /// element type or length, a <see cref="CheckpointException"/> is thrown and this optimizer is unchanged.
    /// </summary>
    /// <param name="source">The stream to read from.</param>
    /// <exception cref="CheckpointException">The checkpoint cannot be restored into this optimizer; nothing is changed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is using this optimizer.</exception>
    void LoadCheckpoint(Stream source);

    /// <summary>Restores the state saved by <see cref="SaveCheckpoint(string)"/>; see <see cref="LoadCheckpoint(Stream)"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <exception cref="CheckpointException">The checkpoint cannot be restored into this optimizer; nothing is changed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is using this optimizer.</exception>
    void LoadCheckpoint(string path);
}

/// <summary>A generated optimizer over elements of type <typeparamref name="T"/> (<see cref="float"/>, <see cref="double"/>, <see cref="Half"/> or <see cref="BFloat16"/>).</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IOptimizer<T> : IOptimizer
    where T : unmanaged
{
    /// <summary>Applies one update to <paramref name="parameters"/> given <paramref name="gradients"/>.</summary>
    /// <param name="parameters">Parameters, updated in place; length <see cref="IOptimizer.Length"/>.</param>
    /// <param name="gradients">Gradients of the objective; length <see cref="IOptimizer.Length"/>.</param>
    /// <returns>
    /// True if the step was applied; false if it was skipped because a gradient was NaN or infinite (only under
    /// <see cref="NonFiniteGradientPolicy.SkipStep"/>), in which case nothing but <see cref="IOptimizer.SkippedStepCount"/> changed.
    /// </returns>
    /// <exception cref="ArgumentException">A length differs from <see cref="IOptimizer.Length"/>; nothing is changed.</exception>
    /// <exception cref="InvalidOperationException">
    /// Another thread is using this optimizer: an instance is not thread-safe, and concurrent calls are detected rather
    /// than allowed to corrupt the state; nothing is changed.
    /// </exception>
    bool Step(Span<T> parameters, ReadOnlySpan<T> gradients);

    /// <summary>
    /// One step over every tensor of <paramref name="store"/>, in one pass: each tensor at its learning-rate scale
    /// (<see cref="ParameterStore{T}.SetLearningRateScale"/>; a tensor at scale 0 is left as it is), without weight decay
    /// where its name matches the class's <c>[WeightDecay(Exclude = …)]</c> patterns, and with the gradients clipped by
    /// their norm over the store if the class has <c>[ClipGradientNorm]</c>.
    /// </summary>
    /// <returns>False if the step was skipped for a non-finite gradient (see <see cref="NonFiniteGradientPolicy.SkipStep"/>).</returns>
    /// <exception cref="ArgumentException">The store's length differs from the optimizer's; nothing is changed.</exception>
    bool Step(ParameterStore<T> store);

    /// <summary>The state buffer at <paramref name="index"/> (see <see cref="IOptimizer.StateBufferNames"/>), readable and writable.</summary>
    /// <param name="index">Index of the buffer.</param>
    Span<T> GetStateBuffer(int index);
}

/// <summary>
/// An optimizer over Half or BFloat16 parameters, or with state stored in another form than its parameters
/// (<see cref="StateStorageAttribute"/>, <see cref="MasterWeightsAttribute"/>): it computes in float, on values
/// widened from their stored form, and rounds the results back in the same pass.
/// </summary>
public interface IMixedPrecisionOptimizer : IOptimizer
{
    /// <summary>How the rule's state buffers are stored.</summary>
    StateStorage StateStorage { get; }

    /// <summary>Whether the optimizer keeps a float copy of the parameters (the last state buffer, <c>master_weights</c>).</summary>
    bool HasMasterWeights { get; }

    /// <summary>Copies state buffer <paramref name="index"/> into <paramref name="destination"/> as float values (dequantized if stored in 8 bits).</summary>
    /// <param name="index">Index of the buffer (see <see cref="IOptimizer.StateBufferNames"/>).</param>
    /// <param name="destination">Where the values go; length <see cref="IOptimizer.Length"/>.</param>
    /// <exception cref="ArgumentException">The destination's length is not <see cref="IOptimizer.Length"/>.</exception>
    void ReadStateBuffer(int index, Span<float> destination);

    /// <summary>Sets state buffer <paramref name="index"/> from float values, rounded or quantized as the buffer is stored.</summary>
    /// <param name="index">Index of the buffer.</param>
    /// <param name="source">The values; length <see cref="IOptimizer.Length"/>.</param>
    /// <exception cref="ArgumentException">The source's length is not <see cref="IOptimizer.Length"/>; nothing is changed.</exception>
    void WriteStateBuffer(int index, ReadOnlySpan<float> source);
}

/// <summary>An optimizer declared with <c>[ClipGradientNorm]</c>: clips the gradients by their total norm inside its step.</summary>
public interface IGradientNormClipping
{
    /// <summary>The total L2 norm of the gradients the last step read, before clipping; NaN before the first step.</summary>
    double LastGradientNorm { get; }

    /// <summary>The largest total norm: gradients with a larger norm are scaled down to it.</summary>
    double MaxGradientNorm { get; }
}
