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
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="values">The values to check.</param>
    /// <param name="threadCount">Threads to use for spans of at least <see cref="ParallelStep.MinimumParallelLength"/> elements.</param>
    public static bool AllFinite<T>(ReadOnlySpan<T> values, int threadCount = 1)
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"Only float and double are supported, not {typeof(T)}.");
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

    /// <summary>
    /// x·0 is ±0 for every finite x and NaN for NaN and ±∞, and NaN survives every sum: the accumulators end at zero exactly
    /// when every value is finite. Four accumulators keep the adds independent; an overlapping last vector covers the tail.
    /// </summary>
    private static bool AllFiniteSequential<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        ref T start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<T>.Count)
        {
            nuint width = (nuint)Vector512<T>.Count;
            Vector512<T> a0 = Vector512<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i + 4 * width <= length; i += 4 * width)
            {
                a0 += Vector512.LoadUnsafe(ref start, i) * Vector512<T>.Zero;
                a1 += Vector512.LoadUnsafe(ref start, i + width) * Vector512<T>.Zero;
                a2 += Vector512.LoadUnsafe(ref start, i + 2 * width) * Vector512<T>.Zero;
                a3 += Vector512.LoadUnsafe(ref start, i + 3 * width) * Vector512<T>.Zero;
            }

            for (; i + width <= length; i += width)
            {
                a0 += Vector512.LoadUnsafe(ref start, i) * Vector512<T>.Zero;
            }

            a1 += Vector512.LoadUnsafe(ref start, length - width) * Vector512<T>.Zero;
            return Vector512.EqualsAll((a0 + a1) + (a2 + a3), Vector512<T>.Zero);
        }

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<T>.Count)
        {
            nuint width = (nuint)Vector256<T>.Count;
            Vector256<T> a0 = Vector256<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i + 4 * width <= length; i += 4 * width)
            {
                a0 += Vector256.LoadUnsafe(ref start, i) * Vector256<T>.Zero;
                a1 += Vector256.LoadUnsafe(ref start, i + width) * Vector256<T>.Zero;
                a2 += Vector256.LoadUnsafe(ref start, i + 2 * width) * Vector256<T>.Zero;
                a3 += Vector256.LoadUnsafe(ref start, i + 3 * width) * Vector256<T>.Zero;
            }

            for (; i + width <= length; i += width)
            {
                a0 += Vector256.LoadUnsafe(ref start, i) * Vector256<T>.Zero;
            }

            a1 += Vector256.LoadUnsafe(ref start, length - width) * Vector256<T>.Zero;
            return Vector256.EqualsAll((a0 + a1) + (a2 + a3), Vector256<T>.Zero);
        }

        if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<T>.Count)
        {
            nuint width = (nuint)Vector128<T>.Count;
            Vector128<T> a0 = Vector128<T>.Zero, a1 = a0;
            for (; i + 2 * width <= length; i += 2 * width)
            {
                a0 += Vector128.LoadUnsafe(ref start, i) * Vector128<T>.Zero;
                a1 += Vector128.LoadUnsafe(ref start, i + width) * Vector128<T>.Zero;
            }

            for (; i + width <= length; i += width)
            {
                a0 += Vector128.LoadUnsafe(ref start, i) * Vector128<T>.Zero;
            }

            a1 += Vector128.LoadUnsafe(ref start, length - width) * Vector128<T>.Zero;
            return Vector128.EqualsAll(a0 + a1, Vector128<T>.Zero);
        }

        for (; i < length; i++)
        {
            T value = Unsafe.Add(ref start, i);
            bool finite = typeof(T) == typeof(float) ? float.IsFinite(Unsafe.As<T, float>(ref value)) : double.IsFinite(Unsafe.As<T, double>(ref value));
            if (!finite)
            {
                return false;
            }
        }

        return true;
    }

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
