using System;
using System.Linq;

namespace OptGen.Tests;

/// <summary>Stochastic rounding to bfloat16 (torchao's scheme) with counter-based random bits.</summary>
public sealed class StochasticRoundingTests
{
    [Fact]
    public void Representable_values_infinities_and_NaN_ignore_the_random_bits()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits += 3)
        {
            float value = (float)BFloat16.FromBits((ushort)bits);
            foreach (uint random in new uint[] { 0, 1, 0x7FFF, 0x8000, 0xFFFF, 0xFFFF_FFFF })
            {
                BFloat16 rounded = StochasticRounding.ToBFloat16(value, random);
                Assert.True(float.IsNaN(value) ? rounded.Bits == BFloat16.NaN.Bits : rounded.Bits == bits, $"0x{bits:X4} with random 0x{random:X}: 0x{rounded.Bits:X4}");
            }
        }
    }

    [Fact]
    public void A_value_rounds_to_one_of_its_neighbours_with_the_probability_of_its_position()
    {
        // 1 + a quarter of the gap to the next bfloat16, and its negative: away from zero on about a quarter of the
        // elements, toward zero otherwise; the mean over many elements is the value itself.
        foreach (float value in new[] { BitConverter.UInt32BitsToSingle(0x3F80_4000), BitConverter.UInt32BitsToSingle(0xBF80_4000), BitConverter.UInt32BitsToSingle(0x3F80_F000) })
        {
            float towardZero = (float)BFloat16.FromBits((ushort)(BitConverter.SingleToUInt32Bits(value) >> 16));
            float away = (float)BFloat16.FromBits((ushort)((BitConverter.SingleToUInt32Bits(value) >> 16) + 1));
            double p = (double)(BitConverter.SingleToUInt32Bits(value) & 0xFFFF) / 65_536;
            const int n = 1 << 20;
            float[] source = Enumerable.Repeat(value, n).ToArray();
            var rounded = new BFloat16[n];
            StochasticRounding.ToBFloat16(source, rounded, seed: 42, step: 7, firstIndex: 0);
            int up = rounded.Count(r => (float)r == away);
            Assert.Equal(n, up + rounded.Count(r => (float)r == towardZero));

            // A binomial count: within 5 standard deviations of n·p (about 2e-6 relative for the mean of 2²⁰ draws).
            double sigma = Math.Sqrt(n * p * (1 - p));
            Assert.InRange(up, (n * p) - (5 * sigma), (n * p) + (5 * sigma));
        }
    }

    [Fact]
    public void The_random_bits_depend_on_seed_step_and_index_only()
    {
        var random = new Random(5);
        float[] source = Enumerable.Range(0, 10_001).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var whole = new BFloat16[source.Length];
        StochasticRounding.ToBFloat16(source, whole, seed: 1, step: 3, firstIndex: 100);

        // The same elements converted in pieces, and one by one, give the same bits.
        var pieces = new BFloat16[source.Length];
        for (int start = 0; start < source.Length; start += 777)
        {
            int length = Math.Min(777, source.Length - start);
            StochasticRounding.ToBFloat16(source.AsSpan(start, length), pieces.AsSpan(start, length), seed: 1, step: 3, firstIndex: 100 + start);
        }

        Assert.Equal(whole.Select(b => b.Bits), pieces.Select(b => b.Bits));
        Assert.All(Enumerable.Range(0, source.Length), i => Assert.Equal(whole[i].Bits, StochasticRounding.ToBFloat16(source[i], StochasticRounding.RandomBits(1, 3, 100 + i)).Bits));

        // Another step or seed draws other bits.
        var otherStep = new BFloat16[source.Length];
        StochasticRounding.ToBFloat16(source, otherStep, seed: 1, step: 4, firstIndex: 100);
        var otherSeed = new BFloat16[source.Length];
        StochasticRounding.ToBFloat16(source, otherSeed, seed: 2, step: 3, firstIndex: 100);
        Assert.InRange(whole.Zip(otherStep).Count(pair => pair.First.Bits != pair.Second.Bits), 3_000, 7_000);
        Assert.InRange(whole.Zip(otherSeed).Count(pair => pair.First.Bits != pair.Second.Bits), 3_000, 7_000);
        Assert.Throws<ArgumentException>(() => StochasticRounding.ToBFloat16(source, new BFloat16[3], 1, 1, 0));
    }
}
