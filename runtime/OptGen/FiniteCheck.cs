using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OptGen;

/// <summary>
/// Whether every value of a span is finite: one vectorized read pass, split across threads for large spans. Used by
/// optimizers declared with <see cref="NonFiniteGradientPolicy.SkipStep"/> before they touch any state.
/// </summary>
public static class FiniteCheck
{
    /// <summary>True if no element of <paramref name="values"/> is NaN or infinite.</summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="double"/>, <see cref="Half"/> or <see cref="BFloat16"/>.</typeparam>
    /// <param name="values">The values to check.</param>
    /// <param name="threadCount">Threads to use for spans of at least <see cref="ParallelStep.MinimumParallelLength"/> elements.</param>
    public static bool AllFinite<T>(ReadOnlySpan<T> values, int threadCount = 1)
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && typeof(T) != typeof(Half) && typeof(T) != typeof(BFloat16))
        {
            throw new NotSupportedException($"Only float, double, Half and BFloat16 are supported, not {typeof(T)}.");
        }

        if (threadCount <= 1 || values.Length < ParallelStep.MinimumParallelLength)
        {
            return AllFiniteSequential(values);
        }

        // The parallel driver hands out ranges of a writable span; the scan only ever reads it.
        Span<T> readOnlyView = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(values), values.Length);
        Scan<T> scan = Scan<T>.ForThisThread;
        scan.AnyNonFinite = false;
        ParallelStep.Run(scan, readOnlyView, values, threadCount);
        return !scan.AnyNonFinite;
    }

    // A 2-byte float is NaN or infinite iff its exponent bits are all ones, that is iff its bits without the sign are at
    // least the exponent mask (bfloat16 0x7F80, Half 0x7C00).
    private const ushort BFloat16Exponent = 0x7F80;
    private const ushort HalfExponent = 0x7C00;

    private static bool AllFiniteSequential<T>(ReadOnlySpan<T> values)
        where T : unmanaged =>
        typeof(T) == typeof(BFloat16) ? AllFiniteLanes(MemoryMarshal.Cast<T, ushort>(values), BFloat16Exponent)
        : typeof(T) == typeof(Half) ? AllFiniteLanes(MemoryMarshal.Cast<T, ushort>(values), HalfExponent)
        : AllFiniteLanes(values, 0);

    /// <summary>
    /// Float and double lanes: x·0 is ±0 for every finite x and NaN for NaN and ±∞, and NaN survives every sum, so the
    /// accumulators end at zero exactly when every value is finite. Ushort lanes (the bits of 2-byte floats): the
    /// accumulators keep the largest bits without the sign, below <paramref name="exponent"/> exactly when every value
    /// is finite. Either fold also merges two accumulators. Four accumulators keep the folds independent; an
    /// overlapping last vector covers the tail.
    /// <para>Compiled fully optimized from the first call, as <see cref="GradientNorm"/>'s loops: a check runs once per
    /// step, and under tiered compilation it measured 20–50 GB/s instead of 90–110 GB/s.</para>
    /// </summary>
    /// <param name="lanes">Float or double values, or the bits of 2-byte floats.</param>
    /// <param name="exponent">For bits, the exponent mask of their type; unused otherwise.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool AllFiniteLanes<T>(ReadOnlySpan<T> lanes, ushort exponent)
        where T : unmanaged
    {
        ref T start = ref MemoryMarshal.GetReference(lanes);
        nuint length = (nuint)lanes.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<T>.Count)
        {
            nuint width = (nuint)Vector512<T>.Count;
            Vector512<T> a0 = Vector512<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i + 4 * width <= length; i += 4 * width)
            {
                a0 = Fold(a0, Vector512.LoadUnsafe(ref start, i));
                a1 = Fold(a1, Vector512.LoadUnsafe(ref start, i + width));
                a2 = Fold(a2, Vector512.LoadUnsafe(ref start, i + 2 * width));
                a3 = Fold(a3, Vector512.LoadUnsafe(ref start, i + 3 * width));
            }

            for (; i + width <= length; i += width)
            {
                a0 = Fold(a0, Vector512.LoadUnsafe(ref start, i));
            }

            a1 = Fold(a1, Vector512.LoadUnsafe(ref start, length - width));
            Vector512<T> all = Fold(Fold(a0, a1), Fold(a2, a3));
            return typeof(T) == typeof(ushort)
                ? Vector512.LessThanAll(all.AsUInt16(), Vector512.Create(exponent))
                : Vector512.EqualsAll(all, Vector512<T>.Zero);
        }

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<T>.Count)
        {
            nuint width = (nuint)Vector256<T>.Count;
            Vector256<T> a0 = Vector256<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i + 4 * width <= length; i += 4 * width)
            {
                a0 = Fold(a0, Vector256.LoadUnsafe(ref start, i));
                a1 = Fold(a1, Vector256.LoadUnsafe(ref start, i + width));
                a2 = Fold(a2, Vector256.LoadUnsafe(ref start, i + 2 * width));
                a3 = Fold(a3, Vector256.LoadUnsafe(ref start, i + 3 * width));
            }

            for (; i + width <= length; i += width)
            {
                a0 = Fold(a0, Vector256.LoadUnsafe(ref start, i));
            }

            a1 = Fold(a1, Vector256.LoadUnsafe(ref start, length - width));
            Vector256<T> all = Fold(Fold(a0, a1), Fold(a2, a3));
            return typeof(T) == typeof(ushort)
                ? Vector256.LessThanAll(all.AsUInt16(), Vector256.Create(exponent))
                : Vector256.EqualsAll(all, Vector256<T>.Zero);
        }

        if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<T>.Count)
        {
            nuint width = (nuint)Vector128<T>.Count;
            Vector128<T> a0 = Vector128<T>.Zero, a1 = a0;
            for (; i + 2 * width <= length; i += 2 * width)
            {
                a0 = Fold(a0, Vector128.LoadUnsafe(ref start, i));
                a1 = Fold(a1, Vector128.LoadUnsafe(ref start, i + width));
            }

            for (; i + width <= length; i += width)
            {
                a0 = Fold(a0, Vector128.LoadUnsafe(ref start, i));
            }

            a1 = Fold(a1, Vector128.LoadUnsafe(ref start, length - width));
            Vector128<T> all = Fold(a0, a1);
            return typeof(T) == typeof(ushort)
                ? Vector128.LessThanAll(all.AsUInt16(), Vector128.Create(exponent))
                : Vector128.EqualsAll(all, Vector128<T>.Zero);
        }

        for (; i < length; i++)
        {
            T value = Unsafe.Add(ref start, i);
            bool finite = typeof(T) == typeof(float) ? float.IsFinite(Unsafe.As<T, float>(ref value))
                : typeof(T) == typeof(double) ? double.IsFinite(Unsafe.As<T, double>(ref value))
                : (Unsafe.As<T, ushort>(ref value) & 0x7FFF) < exponent;
            if (!finite)
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fold<T>(Vector512<T> accumulator, Vector512<T> values)
        where T : unmanaged =>
        typeof(T) == typeof(ushort)
            ? Vector512.Max(accumulator.AsUInt16(), values.AsUInt16() & Vector512.Create((ushort)0x7FFF)).As<ushort, T>()
            : accumulator + (values * Vector512<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fold<T>(Vector256<T> accumulator, Vector256<T> values)
        where T : unmanaged =>
        typeof(T) == typeof(ushort)
            ? Vector256.Max(accumulator.AsUInt16(), values.AsUInt16() & Vector256.Create((ushort)0x7FFF)).As<ushort, T>()
            : accumulator + (values * Vector256<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Fold<T>(Vector128<T> accumulator, Vector128<T> values)
        where T : unmanaged =>
        typeof(T) == typeof(ushort)
            ? Vector128.Max(accumulator.AsUInt16(), values.AsUInt16() & Vector128.Create((ushort)0x7FFF)).As<ushort, T>()
            : accumulator + (values * Vector128<T>.Zero);

    /// <summary>One range of a parallel check; a chunk that finds a non-finite value sets the shared flag.</summary>
    private sealed class Scan<T> : IPartitionedStep<T>
        where T : unmanaged
    {
        [ThreadStatic]
        private static Scan<T>? t_instance;

        private volatile bool _anyNonFinite;

        /// <summary>One scan per calling thread, so checks never allocate and never share a flag.</summary>
        public static Scan<T> ForThisThread => t_instance ??= new Scan<T>();

        public bool AnyNonFinite
        {
            get => _anyNonFinite;
            set => _anyNonFinite = value;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public KernelPath StepRange(Span<T> parameters, ReadOnlySpan<T> gradients, int start)
        {
            if (!_anyNonFinite && !AllFiniteSequential(gradients))
            {
                _anyNonFinite = true;
            }

            return KernelPath.None;
        }
    }
}
