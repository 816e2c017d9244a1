using System;
using System.Collections.Generic;

namespace OptGen;

/// <summary>The saved state of a <see cref="ReduceOnPlateauAttribute"/> schedule (see <see cref="PlateauTracker"/>).</summary>
/// <param name="LearningRate">The current learning rate.</param>
/// <param name="Best">The best metric reported so far (±∞ before the first report).</param>
/// <param name="BadReports">Consecutive reports without improvement.</param>
/// <param name="CooldownRemaining">Reports left in the cooldown after the last reduction.</param>
public readonly record struct PlateauState(double LearningRate, double Best, int BadReports, int CooldownRemaining);

/// <summary>
/// A checkpoint buffer in its stored form: a name and an array of unmanaged elements (<see cref="float"/>[],
/// <see cref="double"/>[], <see cref="byte"/>[], <see cref="ushort"/>[], <see cref="Half"/>[], <see cref="BFloat16"/>[] …)
/// written as raw little-endian bytes; see <see cref="Checkpoint.WriteStored"/>.
/// </summary>
/// <param name="Name">The buffer's name.</param>
/// <param name="Data">
/// A one-dimensional array of <see cref="byte"/>, <see cref="sbyte"/>, <see cref="short"/>, <see cref="ushort"/>,
/// <see cref="Half"/>, <see cref="BFloat16"/>, <see cref="int"/>, <see cref="uint"/>, <see cref="float"/>,
/// <see cref="long"/>, <see cref="ulong"/> or <see cref="double"/>: the element types whose bytes are the whole value.
/// </param>
public readonly record struct StoredBuffer(string Name, Array Data);

/// <summary>
/// A complete optimizer state image. Buffers are the optimizer's arrays (writing) or fresh arrays (reading).
/// </summary>
/// <typeparam name="T">
/// The element type; <see cref="Checkpoint"/> supports <see cref="float"/> and <see cref="double"/>. For buffers in stored
/// form (<see cref="Checkpoint.WriteStored"/>, <see cref="Checkpoint.ReadStoredInto"/>) it carries only the header
/// fields, without buffers, and <typeparamref name="T"/> is <see cref="byte"/> by convention.
/// </typeparam>
public sealed class CheckpointContent<T>
    where T : unmanaged
{
    /// <summary>Creates a state image; the buffer arrays are referenced, not copied.</summary>
    /// <param name="fingerprint">Identifies the update rule and its hyperparameters; a checkpoint loads only into an optimizer with the same one.</param>
    /// <param name="length">The number of parameters, which is the length of every buffer.</param>
    /// <param name="stepCount">Steps taken.</param>
    /// <param name="skippedStepCount">Steps skipped (e.g. for non-finite gradients).</param>
    /// <param name="baseLearningRate">The learning rate before any schedule is applied.</param>
    /// <param name="plateau">The plateau-schedule state, or null if the optimizer has no such schedule.</param>
    /// <param name="bufferNames">The state buffers' names, in order.</param>
    /// <param name="buffers">The state buffers, in the order of <paramref name="bufferNames"/>, each <paramref name="length"/> long.</param>
    /// <param name="scalarStateNames">The persistent per-step scalars' names, in order; none if null.</param>
    /// <param name="scalarStateValues">Their values, in the same order; copied.</param>
    /// <exception cref="ArgumentNullException">An argument, a name or a buffer is null.</exception>
    /// <exception cref="ArgumentException">A count is negative, two lists that pair up differ in length, or a buffer's length is not <paramref name="length"/>.</exception>
    public CheckpointContent(
        string fingerprint,
        int length,
        long stepCount,
        long skippedStepCount,
        double baseLearningRate,
        PlateauState? plateau,
        IReadOnlyList<string> bufferNames,
        IReadOnlyList<T[]> buffers,
        IReadOnlyList<string>? scalarStateNames = null,
        IReadOnlyList<double>? scalarStateValues = null)
    {
        scalarStateNames ??= [];
        scalarStateValues ??= [];
        if (scalarStateValues.Count != scalarStateNames.Count)
        {
            throw new ArgumentException($"There are {scalarStateValues.Count} scalar state values but {scalarStateNames.Count} scalar state names.", nameof(scalarStateValues));
        }

        var scalarNames = new string[scalarStateNames.Count];
        var scalarValues = new double[scalarStateValues.Count];
        for (int i = 0; i < scalarNames.Length; i++)
        {
            scalarNames[i] = scalarStateNames[i] ?? throw new ArgumentNullException(nameof(scalarStateNames), $"Scalar state name {i} is null.");
            scalarValues[i] = scalarStateValues[i];
        }

        ScalarStateNames = scalarNames;
        ScalarStateValues = scalarValues;

        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(bufferNames);
        ArgumentNullException.ThrowIfNull(buffers);
        if (length < 0)
        {
            throw new ArgumentException($"The length is negative ({length}).", nameof(length));
        }

        if (stepCount < 0)
        {
            throw new ArgumentException($"The step count is negative ({stepCount}).", nameof(stepCount));
        }

        if (skippedStepCount < 0)
        {
            throw new ArgumentException($"The skipped step count is negative ({skippedStepCount}).", nameof(skippedStepCount));
        }

        if (buffers.Count != bufferNames.Count)
        {
            throw new ArgumentException($"There are {buffers.Count} buffers but {bufferNames.Count} buffer names.", nameof(buffers));
        }

        // Copied so that validation holds even if the caller later changes its lists.
        var names = new string[bufferNames.Count];
        var arrays = new T[buffers.Count][];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = bufferNames[i] ?? throw new ArgumentNullException(nameof(bufferNames), $"Buffer name {i} is null.");
            arrays[i] = buffers[i] ?? throw new ArgumentNullException(nameof(buffers), $"Buffer {i} ('{names[i]}') is null.");
            if (arrays[i].Length != length)
            {
                throw new ArgumentException($"Buffer '{names[i]}' has {arrays[i].Length} elements, not {length}.", nameof(buffers));
            }
        }

        Fingerprint = fingerprint;
        Length = length;
        StepCount = stepCount;
        SkippedStepCount = skippedStepCount;
        BaseLearningRate = baseLearningRate;
        Plateau = plateau;
        BufferNames = names;
        Buffers = arrays;
    }

    /// <summary>Identifies the update rule and its hyperparameters.</summary>
    public string Fingerprint { get; }

    /// <summary>The number of parameters, which is the length of every buffer.</summary>
    public int Length { get; }

    /// <summary>Steps taken.</summary>
    public long StepCount { get; }

    /// <summary>Steps skipped (e.g. for non-finite gradients).</summary>
    public long SkippedStepCount { get; }

    /// <summary>The learning rate before any schedule is applied.</summary>
    public double BaseLearningRate { get; }

    /// <summary>The plateau-schedule state, or null if the optimizer has no such schedule.</summary>
    public PlateauState? Plateau { get; }

    /// <summary>The state buffers' names, in order.</summary>
    public IReadOnlyList<string> BufferNames { get; }

    /// <summary>The state buffers, in the order of <see cref="BufferNames"/>.</summary>
    public IReadOnlyList<T[]> Buffers { get; }

    /// <summary>The persistent per-step scalars' names, in order (empty for most rules, and in format-1 checkpoints).</summary>
    public IReadOnlyList<string> ScalarStateNames { get; }

    /// <summary>The persistent per-step scalars' values, in the order of <see cref="ScalarStateNames"/>.</summary>
    public IReadOnlyList<double> ScalarStateValues { get; }
}
