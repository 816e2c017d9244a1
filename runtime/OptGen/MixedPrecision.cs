using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OptGen;

/// <summary>
/// A generated optimizer's update on float spans, for optimizers whose parameters or state are stored in another form
/// (<c>Half</c> or <see cref="BFloat16"/> parameters, <see cref="StateStorage.BFloat16"/> or
/// <see cref="StateStorage.Blockwise8Bit"/> state): the runtime widens a chunk into float, runs this on it, and rounds
/// the results back. Implemented by generated optimizers; not meant to be called directly.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IStagedStep
{
    /// <summary>Updates one range of float values whose first element is element <paramref name="start"/> of the whole state.</summary>
    /// <param name="parameters">The range's parameters (or master weights), in float, updated in place.</param>
    /// <param name="gradients">The range's gradients, in float.</param>
    /// <param name="state0">The range of the rule's first state buffer, in float (empty if unused), and so on.</param>
    /// <param name="state1">Second state buffer.</param>
    /// <param name="state2">Third state buffer.</param>
    /// <param name="state3">Fourth state buffer.</param>
    /// <param name="start">Index of the range's first element in the whole parameter array.</param>
    /// <returns>The kernel path the range took.</returns>
    KernelPath StepStaged(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state0, Span<float> state1, Span<float> state2, Span<float> state3, int start);
}

/// <summary>What a generated optimizer with low-precision parameters or compact state declares.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class MixedPrecisionOptions
{
    /// <summary>Describes the storage.</summary>
    /// <param name="storage">How the rule's state buffers are stored.</param>
    /// <param name="initialValues">Each rule state buffer's initial value.</param>
    /// <param name="nonNegative">For each rule state buffer: whether the rule keeps it ≥ 0, so that 8-bit storage uses the unsigned map.</param>
    /// <param name="masterWeights">Whether the optimizer keeps a float copy of the parameters.</param>
    /// <param name="stochasticRounding">Whether bfloat16 parameters are rounded stochastically.</param>
    /// <param name="seed">The stochastic rounding seed.</param>
    public MixedPrecisionOptions(StateStorage storage, float[] initialValues, bool[] nonNegative, bool masterWeights = false, bool stochasticRounding = false, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(initialValues);
        ArgumentNullException.ThrowIfNull(nonNegative);
        if (nonNegative.Length != initialValues.Length)
        {
            throw new ArgumentException($"There are {nonNegative.Length} sign flags but {initialValues.Length} initial values.", nameof(nonNegative));
        }

        if (!Enum.IsDefined(storage))
        {
            throw new ArgumentOutOfRangeException(nameof(storage), storage, "Not a state storage.");
        }

        Storage = storage;
        InitialValues = (float[])initialValues.Clone();
        NonNegative = (bool[])nonNegative.Clone();
        MasterWeights = masterWeights;
        StochasticRounding = stochasticRounding;
        Seed = seed;
    }

    /// <summary>How the rule's state buffers are stored.</summary>
    public StateStorage Storage { get; }

    /// <summary>Each rule state buffer's initial value.</summary>
    internal float[] InitialValues { get; }

    /// <summary>Whether each rule state buffer stays ≥ 0.</summary>
    internal bool[] NonNegative { get; }

    /// <summary>Whether the optimizer keeps a float copy of the parameters.</summary>
    public bool MasterWeights { get; }

    /// <summary>Whether bfloat16 parameters are rounded stochastically.</summary>
    public bool StochasticRounding { get; }

    /// <summary>The stochastic rounding seed.</summary>
    public long Seed { get; }
}

/// <summary>Widening to float and rounding back, for every element type a mixed-precision optimizer stores.</summary>
internal static class Precision
{
    /// <summary>Widens <paramref name="source"/> (float, Half or BFloat16) exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen<T>(ReadOnlySpan<T> source, Span<float> destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            MemoryMarshal.Cast<T, float>(source).CopyTo(destination);
        }
        else if (typeof(T) == typeof(BFloat16))
        {
            BFloat16.ConvertToSingle(MemoryMarshal.Cast<T, BFloat16>(source), destination);
        }
        else if (typeof(T) == typeof(Half))
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<T, Half>(source), destination);
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    /// <summary>Rounds <paramref name="source"/> to nearest even into <paramref name="destination"/> (float: a copy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Narrow<T>(ReadOnlySpan<float> source, Span<T> destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            source.CopyTo(MemoryMarshal.Cast<T, float>(destination));
        }
        else if (typeof(T) == typeof(BFloat16))
        {
            BFloat16.ConvertFromSingle(source, MemoryMarshal.Cast<T, BFloat16>(destination));
        }
        else if (typeof(T) == typeof(Half))
        {
            TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<T, Half>(destination));
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    /// <summary>Bytes per element of <typeparamref name="T"/>.</summary>
    public static int Size<T>()
        where T : unmanaged => Unsafe.SizeOf<T>();

    public static NotSupportedException Unsupported<T>() => new($"Elements of type {typeof(T).Name}: only float, Half and BFloat16 are supported here.");
}
