using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OptGen;

/// <summary>
/// The sum of squares of a span's values, in double, with the same bits on every thread count and every SIMD path:
/// one vectorized read pass, split across threads for large spans. <c>[ClipGradientNorm]</c> optimizers take the
/// gradient norm from it.
/// </summary>
/// <remarks>
/// The order of the additions is fixed by the element indices alone. The index space is cut into blocks of
/// <see cref="BlockLength"/> elements (chunks of a parallel step are whole blocks); within a block, element i is added to
/// accumulator i mod 32, in index order, and the 32 accumulators are combined by a fixed pairwise tree; the blocks'
/// sums are added in block order. A float's square is exact in double, so for float values only those additions round:
/// the relative error stays near n·2⁻⁵³ for n/1024 blocks, far below float's precision even for 10⁹ values.
/// <see cref="Half"/> and <see cref="BFloat16"/> values widen exactly to float, and are widened as they are read: their
/// sum has the bits of the sum of the widened floats.
/// <para>The loops are compiled fully optimized from the first call (AggressiveOptimization): a norm runs once per
/// step, too few calls for tiered compilation to replace its first, unoptimized code within the first dozens of steps
/// (measured: 3.6 GB/s for the first 20 calls, 27 GB/s after).</para>
/// </remarks>
public static class GradientNorm
{
    /// <summary>Elements per block; a divisor of every parallel chunk length.</summary>
    public const int BlockLength = 1024;

    private const int Lanes = 32;

    /// <summary>The sum of the squares of <paramref name="values"/>; see the remarks for its order of additions.</summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="double"/>, <see cref="Half"/> or <see cref="BFloat16"/>.</typeparam>
    /// <param name="values">The values.</param>
    /// <param name="threadCount">Threads to use for spans of at least <see cref="ParallelStep.MinimumParallelLength"/> elements.</param>
    public static double SumOfSquares<T>(ReadOnlySpan<T> values, int threadCount = 1)
        where T : unmanaged
    {
        return SumOfSquares(values, new double[BlockCount(values.Length)], threadCount);
    }

    /// <summary>The sum of squares of every element of <paramref name="values"/>, with the caller's scratch (see below).</summary>
    internal static double SumOfSquares<T>(ReadOnlySpan<T> values, double[] partials, int threadCount)
        where T : unmanaged => SumOfSquares(values, Everything, 1, partials, threadCount);

    // One segment that covers any span: its intersection with each block is the block.
    private static readonly TensorSegment[] Everything = [new TensorSegment(0, int.MaxValue)];

    /// <summary>Blocks of <paramref name="length"/> elements: the size of the partial sums a caller provides.</summary>
    public static int BlockCount(int length) => (int)(((long)length + BlockLength - 1) / BlockLength);

    /// <summary>
    /// The sum of the squares of the elements of <paramref name="values"/> that lie in <paramref name="segments"/>
    /// (sorted, not overlapping), in the fixed order of the remarks.
    /// </summary>
    /// <param name="values">All values.</param>
    /// <param name="segments">The parts that count, in index order.</param>
    /// <param name="segmentCount">How many of <paramref name="segments"/> are used.</param>
    /// <param name="partials">Scratch of at least <see cref="BlockCount"/> elements, so that a step allocates nothing.</param>
    /// <param name="threadCount">Threads to use for long spans.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double SumOfSquares<T>(ReadOnlySpan<T> values, TensorSegment[] segments, int segmentCount, double[] partials, int threadCount)
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && typeof(T) != typeof(Half) && typeof(T) != typeof(BFloat16))
        {
            throw new NotSupportedException($"Only float, double, Half and BFloat16 are supported, not {typeof(T)}.");
        }

        int blocks = BlockCount(values.Length);
        if (threadCount <= 1 || values.Length < ParallelStep.MinimumParallelLength)
        {
            SumBlocks(values, 0, segments, segmentCount, partials);
        }
        else
        {
            // The parallel driver hands out whole blocks of a writable span; the scan only reads it.
            Span<T> view = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(values), values.Length);
            Scan<T> scan = Scan<T>.ForThisThread;
            scan.Segments = segments;
            scan.SegmentCount = segmentCount;
            scan.Partials = partials;
            try
            {
                ParallelStep.Run(scan, view, values, threadCount);
            }
            finally
            {
                scan.Segments = [];
                scan.Partials = [];
            }
        }

        double total = 0;
        for (int b = 0; b < blocks; b++)
        {
            total += partials[b];
        }

        return total;
    }

    /// <summary>Writes the sum of every block of <paramref name="values"/> (which starts at global index <paramref name="start"/>, a multiple of <see cref="BlockLength"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumBlocks<T>(ReadOnlySpan<T> values, int start, TensorSegment[] segments, int segmentCount, double[] partials)
        where T : unmanaged
    {
        Span<double> lanes = stackalloc double[Lanes];
        int first = start / BlockLength;
        int end = start + values.Length;
        int segment = FirstSegmentEndingAfter(segments, segmentCount, start);
        for (int blockStart = start, b = first; blockStart < end; blockStart += BlockLength, b++)
        {
            int blockEnd = Math.Min(blockStart + BlockLength, end);
            if ((Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated) && blockEnd - blockStart == BlockLength
                && segment < segmentCount && segments[segment].Offset <= blockStart && segments[segment].End >= blockEnd)
            {
                // A whole block inside one segment, the common case: summed in registers, without lanes in memory.
                ref T blockValues = ref Unsafe.Add(ref MemoryMarshal.GetReference(values), blockStart - start);
                partials[b] = Vector512.IsHardwareAccelerated
                    ? Vector512Blocks(ref blockValues, 0, BlockLength, lanes, sum: true)
                    : Vector256Blocks(ref blockValues, 0, BlockLength, lanes, sum: true);
                if (segments[segment].End == blockEnd)
                {
                    segment++;
                }

                continue;
            }

            lanes.Clear();
            while (segment < segmentCount && segments[segment].Offset < blockEnd)
            {
                TensorSegment s = segments[segment];
                int from = Math.Max(s.Offset, blockStart);
                int to = Math.Min(s.End, blockEnd);
                if (from < to)
                {
                    Accumulate(values.Slice(from - start, to - from), from, lanes);
                }

                if (s.End > blockEnd)
                {
                    break; // the segment continues in the next block
                }

                segment++;
            }

            partials[b] = Combine(lanes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FirstSegmentEndingAfter(TensorSegment[] segments, int count, int index)
    {
        int low = 0, high = count;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (segments[middle].End <= index)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    // The 32 lanes summed pairwise, always in this order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Combine(Span<double> lanes)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            ref double l = ref MemoryMarshal.GetReference(lanes);
            return Combine(
                Vector256.LoadUnsafe(ref l, 0), Vector256.LoadUnsafe(ref l, 4), Vector256.LoadUnsafe(ref l, 8), Vector256.LoadUnsafe(ref l, 12),
                Vector256.LoadUnsafe(ref l, 16), Vector256.LoadUnsafe(ref l, 20), Vector256.LoadUnsafe(ref l, 24), Vector256.LoadUnsafe(ref l, 28));
        }

        for (int width = Lanes / 2; width >= 1; width /= 2)
        {
            for (int i = 0; i < width; i++)
            {
                lanes[i] += lanes[i + width];
            }
        }

        return lanes[0];
    }

    /// <summary>The same tree on lanes 0–3, 4–7, …, 28–31 in registers: each round adds the same lanes, four at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Combine(
        Vector256<double> l0, Vector256<double> l1, Vector256<double> l2, Vector256<double> l3, Vector256<double> l4, Vector256<double> l5, Vector256<double> l6, Vector256<double> l7)
    {
        l0 += l4; // width 16
        l1 += l5;
        l2 += l6;
        l3 += l7;
        l0 += l2; // width 8
        l1 += l3;
        l0 += l1; // width 4
        Vector128<double> pair = l0.GetLower() + l0.GetUpper(); // width 2
        return pair.GetElement(0) + pair.GetElement(1);
    }

    /// <summary>Adds the squares of <paramref name="values"/> (global indices from <paramref name="index"/>) to lane index mod 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate<T>(ReadOnlySpan<T> values, int index, Span<double> lanes)
        where T : unmanaged
    {
        int i = 0;

        // Scalar up to a multiple of 32, so that each group of 32 starts at lane 0.
        for (; i < values.Length && ((index + i) & (Lanes - 1)) != 0; i++)
        {
            double x = Value(values[i]);
            lanes[(index + i) & (Lanes - 1)] += x * x;
        }

        ref T start = ref MemoryMarshal.GetReference(values);
        int whole = (values.Length - i) / Lanes * Lanes;
        if (whole > 0)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512Blocks(ref start, i, i + whole, lanes, sum: false);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256Blocks(ref start, i, i + whole, lanes, sum: false);
            }
            else
            {
                for (int k = i; k < i + whole; k++)
                {
                    double x = Value(Unsafe.Add(ref start, k));
                    lanes[(index + k) & (Lanes - 1)] += x * x;
                }
            }

            i += whole;
        }

        for (; i < values.Length; i++)
        {
            double x = Value(values[i]);
            lanes[(index + i) & (Lanes - 1)] += x * x;
        }
    }

    /// <summary>
    /// Adds the squares of elements <paramref name="from"/> to <paramref name="to"/> (whole groups of 32) to the lanes;
    /// or, with <paramref name="sum"/>, of a whole block to lanes at zero, and returns the block's sum without touching
    /// <paramref name="lanes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Vector512Blocks<T>(ref T start, int from, int to, Span<double> lanes, bool sum)
        where T : unmanaged
    {
        ref double l = ref MemoryMarshal.GetReference(lanes);
        Vector512<double> a0 = Vector512<double>.Zero, a1 = a0, a2 = a0, a3 = a0;
        if (!sum)
        {
            a0 = Vector512.LoadUnsafe(ref l, 0);
            a1 = Vector512.LoadUnsafe(ref l, 8);
            a2 = Vector512.LoadUnsafe(ref l, 16);
            a3 = Vector512.LoadUnsafe(ref l, 24);
            if (typeof(T) == typeof(BFloat16))
            {
                (a0, a1) = Unzip(a0, a1);
                (a2, a3) = Unzip(a2, a3);
            }
        }

        for (int i = from; i < to; i += Lanes)
        {
            Vector512<double> x0, x1, x2, x3;
            if (typeof(T) == typeof(double))
            {
                ref double d = ref Unsafe.As<T, double>(ref start);
                x0 = Vector512.LoadUnsafe(ref d, (nuint)i);
                x1 = Vector512.LoadUnsafe(ref d, (nuint)(i + 8));
                x2 = Vector512.LoadUnsafe(ref d, (nuint)(i + 16));
                x3 = Vector512.LoadUnsafe(ref d, (nuint)(i + 24));
            }
            else if (typeof(T) == typeof(BFloat16))
            {
                // A 32-bit lane holds an even element in its low half and the next, odd, one in its high half: each is a
                // float with one operation, and the accumulators hold the even and the odd lanes apart (see Unzip).
                ref uint pairs = ref Unsafe.As<T, uint>(ref Unsafe.Add(ref start, i));
                Vector256<uint> lower = Vector256.LoadUnsafe(ref pairs), upper = Vector256.LoadUnsafe(ref pairs, 8);
                x0 = Vector512.WidenLower((lower << 16).AsSingle().ToVector512Unsafe());
                x1 = Vector512.WidenLower((lower & Vector256.Create(0xFFFF_0000u)).AsSingle().ToVector512Unsafe());
                x2 = Vector512.WidenLower((upper << 16).AsSingle().ToVector512Unsafe());
                x3 = Vector512.WidenLower((upper & Vector256.Create(0xFFFF_0000u)).AsSingle().ToVector512Unsafe());
            }
            else
            {
                // Each group of 8 widened straight from its 256-bit floats: no extraction of upper halves.
                x0 = Vector512.WidenLower(Singles(ref start, i).ToVector512Unsafe());
                x1 = Vector512.WidenLower(Singles(ref start, i + 8).ToVector512Unsafe());
                x2 = Vector512.WidenLower(Singles(ref start, i + 16).ToVector512Unsafe());
                x3 = Vector512.WidenLower(Singles(ref start, i + 24).ToVector512Unsafe());
            }

            a0 += x0 * x0;
            a1 += x1 * x1;
            a2 += x2 * x2;
            a3 += x3 * x3;
        }

        if (typeof(T) == typeof(BFloat16))
        {
            (a0, a1) = Zip(a0, a1);
            (a2, a3) = Zip(a2, a3);
        }

        if (sum)
        {
            return Combine(a0.GetLower(), a0.GetUpper(), a1.GetLower(), a1.GetUpper(), a2.GetLower(), a2.GetUpper(), a3.GetLower(), a3.GetUpper());
        }

        a0.StoreUnsafe(ref l, 0);
        a1.StoreUnsafe(ref l, 8);
        a2.StoreUnsafe(ref l, 16);
        a3.StoreUnsafe(ref l, 24);
        return 0;
    }

    /// <summary>Lanes 0–15 (in two vectors) as the even lanes and the odd lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<double> Even, Vector512<double> Odd) Unzip(Vector512<double> lower, Vector512<double> upper)
    {
        Vector512<long> evens = Vector512.Create(0L, 2, 4, 6, 0, 2, 4, 6), odds = evens + Vector512<long>.One;
        Vector512<double> fromUpper = Vector512.Create(0L, 0, 0, 0, -1, -1, -1, -1).AsDouble();
        return (Vector512.ConditionalSelect(fromUpper, Vector512.Shuffle(upper, evens), Vector512.Shuffle(lower, evens)),
            Vector512.ConditionalSelect(fromUpper, Vector512.Shuffle(upper, odds), Vector512.Shuffle(lower, odds)));
    }

    /// <summary>The inverse of <see cref="Unzip"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<double> Lower, Vector512<double> Upper) Zip(Vector512<double> even, Vector512<double> odd)
    {
        Vector512<long> low = Vector512.Create(0L, 0, 1, 1, 2, 2, 3, 3), high = low + Vector512.Create(4L);
        Vector512<double> fromOdd = Vector512.Create(0L, -1, 0, -1, 0, -1, 0, -1).AsDouble();
        return (Vector512.ConditionalSelect(fromOdd, Vector512.Shuffle(odd, low), Vector512.Shuffle(even, low)),
            Vector512.ConditionalSelect(fromOdd, Vector512.Shuffle(odd, high), Vector512.Shuffle(even, high)));
    }

    /// <summary>As <see cref="Vector512Blocks"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Vector256Blocks<T>(ref T start, int from, int to, Span<double> lanes, bool sum)
        where T : unmanaged
    {
        ref double l = ref MemoryMarshal.GetReference(lanes);
        Vector256<double> a0 = Vector256<double>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        if (!sum)
        {
            a0 = Vector256.LoadUnsafe(ref l, 0);
            a1 = Vector256.LoadUnsafe(ref l, 4);
            a2 = Vector256.LoadUnsafe(ref l, 8);
            a3 = Vector256.LoadUnsafe(ref l, 12);
            a4 = Vector256.LoadUnsafe(ref l, 16);
            a5 = Vector256.LoadUnsafe(ref l, 20);
            a6 = Vector256.LoadUnsafe(ref l, 24);
            a7 = Vector256.LoadUnsafe(ref l, 28);
        }

        for (int i = from; i < to; i += Lanes)
        {
            Vector256<double> x0, x1, x2, x3, x4, x5, x6, x7;
            if (typeof(T) == typeof(double))
            {
                ref double d = ref Unsafe.As<T, double>(ref start);
                x0 = Vector256.LoadUnsafe(ref d, (nuint)i);
                x1 = Vector256.LoadUnsafe(ref d, (nuint)(i + 4));
                x2 = Vector256.LoadUnsafe(ref d, (nuint)(i + 8));
                x3 = Vector256.LoadUnsafe(ref d, (nuint)(i + 12));
                x4 = Vector256.LoadUnsafe(ref d, (nuint)(i + 16));
                x5 = Vector256.LoadUnsafe(ref d, (nuint)(i + 20));
                x6 = Vector256.LoadUnsafe(ref d, (nuint)(i + 24));
                x7 = Vector256.LoadUnsafe(ref d, (nuint)(i + 28));
            }
            else
            {
                (x0, x1) = Vector256.Widen(Singles(ref start, i));
                (x2, x3) = Vector256.Widen(Singles(ref start, i + 8));
                (x4, x5) = Vector256.Widen(Singles(ref start, i + 16));
                (x6, x7) = Vector256.Widen(Singles(ref start, i + 24));
            }

            a0 += x0 * x0;
            a1 += x1 * x1;
            a2 += x2 * x2;
            a3 += x3 * x3;
            a4 += x4 * x4;
            a5 += x5 * x5;
            a6 += x6 * x6;
            a7 += x7 * x7;
        }

        if (sum)
        {
            return Combine(a0, a1, a2, a3, a4, a5, a6, a7);
        }

        a0.StoreUnsafe(ref l, 0);
        a1.StoreUnsafe(ref l, 4);
        a2.StoreUnsafe(ref l, 8);
        a3.StoreUnsafe(ref l, 12);
        a4.StoreUnsafe(ref l, 16);
        a5.StoreUnsafe(ref l, 20);
        a6.StoreUnsafe(ref l, 24);
        a7.StoreUnsafe(ref l, 28);
        return 0;
    }

    /// <summary>
    /// Elements <paramref name="i"/> to <paramref name="i"/> + 7 of float, Half or BFloat16 values as exact floats, but
    /// without the sign of finite Half values: squares do not need it, and it would cost two more operations.
    /// </summary>
    /// <remarks>
    /// Half, with integer operations: a float multiply by 2¹¹² would be simpler, but its operands would be subnormal for
    /// subnormal halves, which cost a microcode assist per vector on some cores, and fp16 gradients are often subnormal.
    /// The sign-extended bits shifted left by 13 hold the exponent and mantissa in a float's place (and copies of the
    /// sign above them). Rebiased (15 → 127), they are the value of a normal half; 2⁻¹⁴·(1 + m/1024) − 2⁻¹⁴ = m·2⁻²⁴,
    /// a difference of two normal floats, that of a subnormal half (or zero). Each formula gives more than the other
    /// where it is wrong, so the smaller is right. ∞ and NaN get the all-ones exponent, keeping sign and payload.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Singles<T>(ref T start, int i)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref start), (nuint)i);
        }

        if (typeof(T) == typeof(BFloat16))
        {
            Vector128<ushort> bits = Vector128.LoadUnsafe(ref Unsafe.As<T, ushort>(ref start), (nuint)i);
            return (Vector256.WidenLower(bits.ToVector256Unsafe()) << 16).AsSingle();
        }

        Vector128<short> half = Vector128.LoadUnsafe(ref Unsafe.As<T, short>(ref start), (nuint)i);
        Vector256<uint> shifted = (Vector256.WidenLower(half.ToVector256Unsafe()) << 13).AsUInt32();
        Vector256<uint> magnitude = shifted & Vector256.Create(0x0FFF_E000u);
        Vector256<float> normal = (magnitude + Vector256.Create(HalfRebias)).AsSingle();
        Vector256<float> subnormal = (magnitude + Vector256.Create(HalfRebias + (1u << 23))).AsSingle() - Vector256.Create(1f / 16384);
        Vector256<float> finite = Vector256.MinNative(normal, subnormal);
        Vector256<float> nonFinite = (shifted | Vector256.Create(0x7F80_0000u)).AsSingle();
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(0x0F80_0000u)).AsSingle(), nonFinite, finite);
    }

    private const uint HalfRebias = (127 - 15) << 23;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Value<T>(T value)
        where T : unmanaged =>
        typeof(T) == typeof(float) ? Unsafe.BitCast<T, float>(value)
        : typeof(T) == typeof(double) ? Unsafe.BitCast<T, double>(value)
        : typeof(T) == typeof(Half) ? (float)Unsafe.BitCast<T, Half>(value)
        : (float)Unsafe.BitCast<T, BFloat16>(value);

    /// <summary>The parallel scan: each chunk (whole blocks) writes its blocks' sums.</summary>
    private sealed class Scan<T> : IPartitionedStep<T>
        where T : unmanaged
    {
        [ThreadStatic]
        private static Scan<T>? t_instance;

        public static Scan<T> ForThisThread => t_instance ??= new Scan<T>();

        public TensorSegment[] Segments { get; set; } = [];

        public int SegmentCount { get; set; }

        public double[] Partials { get; set; } = [];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public KernelPath StepRange(Span<T> parameters, ReadOnlySpan<T> gradients, int start)
        {
            SumBlocks((ReadOnlySpan<T>)parameters, start, Segments, SegmentCount, Partials);
            return KernelPath.Scalar;
        }
    }
}

/// <summary>A contiguous part of a parameter array: a tensor, or consecutive tensors treated alike.</summary>
/// <param name="Offset">Index of the first element.</param>
/// <param name="Length">Number of elements.</param>
internal readonly record struct TensorSegment(int Offset, int Length)
{
    /// <summary>Index after the last element.</summary>
    public int End => Offset + Length;
}
