using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OptGen;

/// <summary>
/// Narrowing float to bfloat16 with stochastic rounding, as torchao's <c>_fp32_to_bf16_sr</c>: a value between two
/// bfloat16s rounds away from zero with probability equal to its distance from the one toward zero, in units of their
/// gap, so that the rounding is unbiased in expectation and small updates to bf16 parameters are not lost. The random
/// 16 bits of each element come from a counter-based hash of (seed, step, element index), so the result depends on
/// nothing else: the same for every thread count, chunk split and SIMD path, and reproducible from the seed.
/// </summary>
public static class StochasticRounding
{
    /// <summary>
    /// <paramref name="value"/> rounded to a bfloat16 neighbour: away from zero when the 16 random bits are below its
    /// lower 16 bits (torchao's <c>(bits + r) &amp; 0xFFFF0000</c>). Exactly representable values, ±∞ and NaN are
    /// unchanged by the random bits (NaN becomes <see cref="BFloat16.NaN"/>).
    /// </summary>
    /// <param name="value">The value.</param>
    /// <param name="random">Random bits; only the lower 16 are used.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BFloat16 ToBFloat16(float value, uint random)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (bits & 0x7FFF_FFFF) > 0x7F80_0000
            ? BFloat16.NaN
            : BFloat16.FromBits((ushort)((bits + (random & 0xFFFF)) >> 16));
    }

    /// <summary>The 16 random bits of element <paramref name="index"/> of step <paramref name="step"/> under <paramref name="seed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RandomBits(ulong seed, long step, long index) => (uint)(Mix(Key(seed, step) + (ulong)index) >> 48);

    /// <summary>
    /// Narrows <paramref name="source"/>, elements <paramref name="firstIndex"/>, <paramref name="firstIndex"/> + 1, … of
    /// step <paramref name="step"/>, with the random bits <see cref="RandomBits"/> gives each; vectorized.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToBFloat16(ReadOnlySpan<float> source, Span<BFloat16> destination, ulong seed, long step, long firstIndex)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values, fewer than the source's {source.Length}.", nameof(destination));
        }

        ulong key = Key(seed, step);
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(source);
        Span<ushort> narrow = MemoryMarshal.Cast<BFloat16, ushort>(destination);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<ulong> lanes = Vector512.Create(0ul, 1, 2, 3, 4, 5, 6, 7);
            for (; i + Vector512<ushort>.Count <= bits.Length; i += Vector512<ushort>.Count)
            {
                Vector512<ulong> counter = Vector512.Create(key + (ulong)(firstIndex + i)) + lanes;
                Vector512<uint> random = Vector512.Narrow(
                    Mix(counter) >> 48,
                    Mix(counter + Vector512.Create(8ul)) >> 48);
                Vector512<uint> randomUpper = Vector512.Narrow(
                    Mix(counter + Vector512.Create(16ul)) >> 48,
                    Mix(counter + Vector512.Create(24ul)) >> 48);
                Vector512<uint> lower = Round(Vector512.Create(bits.Slice(i, Vector512<uint>.Count)), random);
                Vector512<uint> upper = Round(Vector512.Create(bits.Slice(i + Vector512<uint>.Count, Vector512<uint>.Count)), randomUpper);
                Vector512.Narrow(lower, upper).CopyTo(narrow.Slice(i));
            }
        }

        for (; i < bits.Length; i++)
        {
            narrow[i] = ToBFloat16(BitConverter.UInt32BitsToSingle(bits[i]), (uint)(Mix(key + (ulong)(firstIndex + i)) >> 48)).Bits;
        }
    }

    private static Vector512<uint> Round(Vector512<uint> bits, Vector512<uint> random)
    {
        Vector512<uint> isNaN = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        return Vector512.ConditionalSelect(isNaN, Vector512.Create(0xFFFFu), (bits + random) >> 16);
    }

    // The step's key: the seed and step mixed, so that steps and seeds give unrelated streams.
    private static ulong Key(ulong seed, long step) => Mix(seed ^ Mix((ulong)step + 0x9E37_79B9_7F4A_7C15));

    // SplitMix64's finalizer: a bijection of 64-bit counters with good avalanche.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >> 31);
    }

    private static Vector512<ulong> Mix(Vector512<ulong> z)
    {
        z = (z ^ (z >> 30)) * Vector512.Create(0xBF58_476D_1CE4_E5B9ul);
        z = (z ^ (z >> 27)) * Vector512.Create(0x94D0_49BB_1331_11EBul);
        return z ^ (z >> 31);
    }
}
