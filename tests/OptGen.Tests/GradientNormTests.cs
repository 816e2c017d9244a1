using System;
using System.Collections.Generic;
using System.Linq;

namespace OptGen.Tests;

/// <summary>
/// <see cref="GradientNorm"/> over <see cref="Half"/> and <see cref="BFloat16"/>: every value widens exactly to float,
/// so the sum of squares must have the bits of the float sum of the widened values, on every thread count, segment
/// layout and SIMD path (CI runs every path), and those of the order of additions restated as a plain loop.
/// </summary>
public sealed class GradientNormTests
{
    private static readonly int[] Threads = [1, 2, 7];

    public static TheoryData<int> Lengths => new(0, 1, 31, 33, 1023, 1024, 1025, 4099, ParallelStep.MinimumParallelLength + 17, 300_001);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Half_sums_have_the_bits_of_the_widened_floats(int length) => CompareWithFloats<Half>(length);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void BFloat16_sums_have_the_bits_of_the_widened_floats(int length) => CompareWithFloats<BFloat16>(length);

    /// <summary>
    /// Each bit pattern in all 32 lanes of a block (the vector path where there is one) and once more in the scalar tail:
    /// 33 equal squares add exactly, so any inexact widening of any pattern would show.
    /// </summary>
    [Fact]
    public void Every_2_byte_value_widens_exactly()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            AssertSameBits(Enumerable.Repeat(TwoByteFloats.FromBits<Half>(bits), 33).ToArray(), 1, $"Half 0x{bits:X4}");
            AssertSameBits(Enumerable.Repeat(TwoByteFloats.FromBits<BFloat16>(bits), 33).ToArray(), 1, $"BFloat16 0x{bits:X4}");
        }
    }

    [Fact]
    public void Segment_sums_have_the_bits_of_the_widened_floats()
    {
        Segments<Half>();
        Segments<BFloat16>();
    }

    /// <summary>Finite values, then non-finite ones at the first, the last and random positions.</summary>
    private static void CompareWithFloats<T>(int length)
        where T : unmanaged
    {
        var random = new Random(length);
        T[] values = TwoByteFloats.FiniteValues<T>(length, random);
        foreach (int threads in Threads)
        {
            AssertSameBits(values, threads, $"finite, {threads} threads");
        }

        if (length == 0)
        {
            return;
        }

        foreach (T bad in TwoByteFloats.NonFinite<T>())
        {
            foreach (int position in new[] { 0, length - 1, random.Next(length) })
            {
                T original = values[position];
                values[position] = bad;
                foreach (int threads in Threads)
                {
                    AssertSameBits(values, threads, $"{bad} at {position}, {threads} threads");
                }

                values[position] = original;
            }
        }
    }

    /// <summary>Random sorted segments (some within a block, some across many, gaps between) and ones that cover everything.</summary>
    private static void Segments<T>()
        where T : unmanaged
    {
        const int length = 300_001;
        var random = new Random(5);
        T[] values = TwoByteFloats.FiniteValues<T>(length, random);
        float[] wide = TwoByteFloats.Widen(values);
        double[] partials = new double[GradientNorm.BlockCount(length)];
        for (int layout = 0; layout < 6; layout++)
        {
            var segments = new List<TensorSegment>();
            int offset = random.Next(3);
            while (offset < length)
            {
                int segmentLength = Math.Min(length - offset, random.Next(3) == 0 ? 1 + random.Next(40) : 1 + random.Next(70_000));
                segments.Add(new TensorSegment(offset, segmentLength));
                offset += segmentLength + (layout == 0 ? 0 : random.Next(2_000));
            }

            TensorSegment[] array = [.. segments, new TensorSegment(int.MaxValue, 0)]; // an unused spare
            foreach (int threads in Threads)
            {
                double expected = GradientNorm.SumOfSquares<float>(wide, array, segments.Count, partials, threads);
                double actual = GradientNorm.SumOfSquares<T>(values, array, segments.Count, partials, threads);
                Assert.True(
                    BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
                    $"{typeof(T).Name}, layout {layout} ({segments.Count} segments), {threads} threads: {actual:R}, expected {expected:R}");
            }
        }
    }

    /// <summary>The 2-byte sum against the float sum of the widened values on one thread, and against the plain loop.</summary>
    private static void AssertSameBits<T>(T[] values, int threads, string what)
        where T : unmanaged
    {
        float[] wide = TwoByteFloats.Widen(values);
        double expected = GradientNorm.SumOfSquares<float>(wide);
        Assert.Equal(BitConverter.DoubleToInt64Bits(WholeModelTransformTests.CanonicalSum(Array.ConvertAll(wide, v => (double)v))), BitConverter.DoubleToInt64Bits(expected));
        double actual = GradientNorm.SumOfSquares<T>(values, threads);
        Assert.True(
            BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
            $"{typeof(T).Name}, length {values.Length}, {what}: {actual:R} (0x{BitConverter.DoubleToInt64Bits(actual):X16}), expected {expected:R} (0x{BitConverter.DoubleToInt64Bits(expected):X16})");
    }
}
