using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OptGen;

/// <summary>
/// One optimizer's update of one element, or of one vector of elements, written once per width by the generator
/// (the shape of TensorPrimitives' operators). <see cref="ElementLoop"/> owns everything else: choosing the width,
/// unrolling, the overlapping last vector, loads and stores.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// Each <c>Invoke</c> reads the values before the step and writes the values after it through its <see langword="ref"/>
/// arguments: the parameter and every state the update uses (<see cref="StateCount"/>, in order). The states beyond
/// <see cref="StateCount"/> are neither read nor written.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IElementUpdate<T>
    where T : unmanaged
{
    /// <summary>The number of state buffers the update reads and writes, 0 to <see cref="ElementLoop.MaxStateCount"/>.</summary>
    static abstract int StateCount { get; }

    /// <summary>Vectors per main-loop iteration: 1, 2 or 4 (the project's <c>OptGenUnrollFactor</c>).</summary>
    static virtual int UnrollFactor => ElementLoop.DefaultUnrollFactor;

    /// <summary>Updates the elements of one <typeparamref name="TLanes"/>: a scalar, a vector, or several vectors.</summary>
    void Invoke<TLanes>(ref TLanes parameter, TLanes gradient, ref TLanes state0, ref TLanes state1, ref TLanes state2, ref TLanes state3)
        where TLanes : struct, ILanes<TLanes, T>;
}

/// <summary>
/// Applies an <see cref="IElementUpdate{T}"/> to every element in one pass, on the widest hardware-accelerated vectors:
/// unrolled main loop, single vectors, then one last vector that overlaps elements already done instead of a scalar tail.
/// </summary>
/// <remarks>
/// The last vector is computed first, from the values before the step, and stored after the loops: the elements it
/// shares with the loops get the same bits from both, so the overlap is harmless. An update is elementwise, so every
/// width and the scalar path give the same bits as long as the update's operations do.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ElementLoop
{
    /// <summary>The most state buffers an update may use.</summary>
    public const int MaxStateCount = 4;

    /// <summary>Vectors per main-loop iteration unless the update says otherwise.</summary>
    public const int DefaultUnrollFactor = 4;

    /// <summary>Applies <paramref name="update"/> to every element; returns the path taken.</summary>
    /// <exception cref="ArgumentException">A length differs from <paramref name="parameters"/>' (every state the update uses must have it), a state beyond the update's count is not empty, or the update's counts are out of range; nothing is changed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static KernelPath Run<T, TUpdate>(TUpdate update, Span<T> parameters, ReadOnlySpan<T> gradients, Span<T> state0 = default, Span<T> state1 = default, Span<T> state2 = default, Span<T> state3 = default)
        where T : unmanaged
        where TUpdate : struct, IElementUpdate<T>
    {
        int length = parameters.Length;
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"Elements of type {typeof(T).Name}: only float and double are supported.");
        }

        if (TUpdate.StateCount is < 0 or > MaxStateCount)
        {
            throw new ArgumentException($"{typeof(TUpdate).Name}.StateCount is {TUpdate.StateCount}; it must be 0 to {MaxStateCount}.", nameof(update));
        }

        if (TUpdate.UnrollFactor is not (1 or 2 or 4))
        {
            throw new ArgumentException($"{typeof(TUpdate).Name}.UnrollFactor is {TUpdate.UnrollFactor}; it must be 1, 2 or 4.", nameof(update));
        }

        if (gradients.Length != length)
        {
            throw new ArgumentException($"The gradients' length is {gradients.Length}; the parameters' is {length}.", nameof(gradients));
        }

        CheckState(state0.Length, 0, length, nameof(state0), TUpdate.StateCount);
        CheckState(state1.Length, 1, length, nameof(state1), TUpdate.StateCount);
        CheckState(state2.Length, 2, length, nameof(state2), TUpdate.StateCount);
        CheckState(state3.Length, 3, length, nameof(state3), TUpdate.StateCount);

        var streams = new Streams<T>(
            ref MemoryMarshal.GetReference(parameters),
            ref MemoryMarshal.GetReference(gradients),
            ref MemoryMarshal.GetReference(state0),
            ref MemoryMarshal.GetReference(state1),
            ref MemoryMarshal.GetReference(state2),
            ref MemoryMarshal.GetReference(state3));
        nuint count = (nuint)length;
        if (Vector512.IsHardwareAccelerated && count >= (nuint)Vector512<T>.Count)
        {
            RunVectors<T, TUpdate, Vector512Lanes<T>>(update, streams, count);
            return KernelPath.Vector512;
        }

        if (Vector256.IsHardwareAccelerated && count >= (nuint)Vector256<T>.Count)
        {
            RunVectors<T, TUpdate, Vector256Lanes<T>>(update, streams, count);
            return KernelPath.Vector256;
        }

        if (Vector128.IsHardwareAccelerated && count >= (nuint)Vector128<T>.Count)
        {
            RunVectors<T, TUpdate, Vector128Lanes<T>>(update, streams, count);
            return KernelPath.Vector128;
        }

        RunScalar(update, streams, count);
        return KernelPath.Scalar;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckState(int stateLength, int index, int length, string name, int stateCount)
    {
        if (index < stateCount ? stateLength != length : stateLength != 0)
        {
            ThrowStateLength(stateLength, index, length, name, stateCount);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStateLength(int stateLength, int index, int length, string name, int stateCount) =>
        throw new ArgumentException(
            index < stateCount
                ? $"State {index}'s length is {stateLength}; the parameters' is {length}."
                : $"The update uses {stateCount} states, so state {index} must be empty; its length is {stateLength}.",
            name);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunScalar<T, TUpdate>(TUpdate update, Streams<T> s, nuint length)
        where T : unmanaged
        where TUpdate : struct, IElementUpdate<T>
    {
        Loop<T, TUpdate, ScalarLanes<T>, ScalarLanes<T>>(update, s, length, lastVector: false);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunVectors<T, TUpdate, TVector>(TUpdate update, Streams<T> s, nuint length)
        where T : unmanaged
        where TUpdate : struct, IElementUpdate<T>
        where TVector : struct, ILanes<TVector, T>
    {
        switch (TUpdate.UnrollFactor)
        {
            case 1:
                Loop<T, TUpdate, TVector, TVector>(update, s, length, lastVector: true);
                break;
            case 2:
                Loop<T, TUpdate, Unrolled2<TVector, T>, TVector>(update, s, length, lastVector: true);
                break;
            default:
                Loop<T, TUpdate, Unrolled4<TVector, T>, TVector>(update, s, length, lastVector: true);
                break;
        }
    }

    /// <summary>
    /// Blocks of <typeparamref name="TBlock"/>, then single <typeparamref name="TVector"/>s, then (with
    /// <paramref name="lastVector"/>) the last <typeparamref name="TVector"/>, computed before the loops and stored after
    /// them; without it, <paramref name="length"/> must be a multiple of <typeparamref name="TVector"/>'s count.
    /// </summary>
    // Never inlined: inside a large caller the JIT stops promoting the lanes' structs to registers, and the loop then
    // runs several times slower through the stack.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Loop<T, TUpdate, TBlock, TVector>(TUpdate update, Streams<T> s, nuint length, bool lastVector)
        where T : unmanaged
        where TUpdate : struct, IElementUpdate<T>
        where TBlock : struct, ILanes<TBlock, T>
        where TVector : struct, ILanes<TVector, T>
    {
        nuint width = (nuint)TVector.Count;
        nuint last = lastVector ? length - width : 0;
        TVector p = default, s0 = default, s1 = default, s2 = default, s3 = default;
        if (lastVector)
        {
            Compute(update, s, last, ref p, ref s0, ref s1, ref s2, ref s3);
        }

        nuint block = (nuint)TBlock.Count;
        nuint i = 0;
        for (; i + block <= length; i += block)
        {
            Apply<T, TUpdate, TBlock>(update, s, i);
        }

        for (; i + width <= length; i += width)
        {
            Apply<T, TUpdate, TVector>(update, s, i);
        }

        if (lastVector)
        {
            Write<T, TUpdate, TVector>(s, last, p, s0, s1, s2, s3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Apply<T, TUpdate, TLanes>(TUpdate update, Streams<T> s, nuint i)
        where T : unmanaged
        where TUpdate : struct, IElementUpdate<T>
        where TLanes : struct, ILanes<TLanes, T>
    {
        // The update reads and writes the streams in place: every lanes type is its elements, consecutive, so a reference
        // to the first element is a reference to the lanes. Loads then fold into the arithmetic, as in hand-written
        // kernels; the program was checked never to read a stream after writing it.
        // A state the update does not use gets a null reference, which it never touches (a local would be zeroed on
        // every iteration).
        int states = TUpdate.StateCount;
        update.Invoke(
            ref At<T, TLanes>(ref s.Parameters, i),
            TLanes.Load(ref s.Gradients, i),
            ref states > 0 ? ref At<T, TLanes>(ref s.State0, i) : ref Unsafe.NullRef<TLanes>(),
            ref states > 1 ? ref At<T, TLanes>(ref s.State1, i) : ref Unsafe.NullRef<TLanes>(),
            ref states > 2 ? ref At<T, TLanes>(ref s.State2, i) : ref Unsafe.NullRef<TLanes>(),
            ref states > 3 ? ref At<T, TLanes>(ref s.State3, i) : ref Unsafe.NullRef<TLanes>());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref TLanes At<T, TLanes>(ref T start, nuint i)
        where T : unmanaged
        where TLanes : struct, ILanes<TLanes, T> => ref Unsafe.As<T, TLanes>(ref Unsafe.Add(ref start, i));

    /// <summary>Loads the lanes at <paramref name="i"/> and updates them, without storing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Compute<T, TUpdate, TLanes>(TUpdate update, Streams<T> s, nuint i, ref TLanes p, ref TLanes s0, ref TLanes s1, ref TLanes s2, ref TLanes s3)
        where T : unmanaged
        where TUpdate : struct, IElementUpdate<T>
        where TLanes : struct, ILanes<TLanes, T>
    {
        int states = TUpdate.StateCount;
        p = TLanes.Load(ref s.Parameters, i);
        if (states > 0) { s0 = TLanes.Load(ref s.State0, i); }
        if (states > 1) { s1 = TLanes.Load(ref s.State1, i); }
        if (states > 2) { s2 = TLanes.Load(ref s.State2, i); }
        if (states > 3) { s3 = TLanes.Load(ref s.State3, i); }
        update.Invoke(ref p, TLanes.Load(ref s.Gradients, i), ref s0, ref s1, ref s2, ref s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write<T, TUpdate, TLanes>(Streams<T> s, nuint i, TLanes p, TLanes s0, TLanes s1, TLanes s2, TLanes s3)
        where T : unmanaged
        where TUpdate : struct, IElementUpdate<T>
        where TLanes : struct, ILanes<TLanes, T>
    {
        int states = TUpdate.StateCount;
        TLanes.Store(p, ref s.Parameters, i);
        if (states > 0) { TLanes.Store(s0, ref s.State0, i); }
        if (states > 1) { TLanes.Store(s1, ref s.State1, i); }
        if (states > 2) { TLanes.Store(s2, ref s.State2, i); }
        if (states > 3) { TLanes.Store(s3, ref s.State3, i); }
    }

    /// <summary>The first element of every stream; a state the update does not use may be a null reference.</summary>
    private readonly ref struct Streams<T>(ref T parameters, ref T gradients, ref T state0, ref T state1, ref T state2, ref T state3)
        where T : unmanaged
    {
        public readonly ref T Parameters = ref parameters;
        public readonly ref T Gradients = ref gradients;
        public readonly ref T State0 = ref state0;
        public readonly ref T State1 = ref state1;
        public readonly ref T State2 = ref state2;
        public readonly ref T State3 = ref state3;
    }
}
