using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace OptGen.Tests;

/// <summary>OptGen.BFloat16 against PyTorch 1.13's conversions and IEEE semantics, on every bit pattern.</summary>
public sealed class BFloat16Tests
{
    [Fact]
    public void Every_bfloat16_widens_exactly_and_narrows_back_to_itself()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            BFloat16 value = BFloat16.FromBits((ushort)bits);
            float wide = (float)value;
            Assert.Equal((uint)bits << 16, BitConverter.SingleToUInt32Bits(wide));
            Assert.Equal((double)wide, (double)value);
            ushort back = ((BFloat16)wide).Bits;
            Assert.True(float.IsNaN(wide) ? back == 0xFFFF : back == bits, $"0x{bits:X4} came back as 0x{back:X4}");
            Assert.Equal(float.IsNaN(wide), BFloat16.IsNaN(value));
            Assert.Equal(float.IsInfinity(wide), BFloat16.IsInfinity(value));
            Assert.Equal(float.IsFinite(wide), BFloat16.IsFinite(value));
        }
    }

    /// <summary>torch.tensor(x).to(torch.bfloat16) for edges (ties, overflow, subnormals, NaNs) and 200,000 random floats.</summary>
    [Fact]
    public void Narrowing_is_PyTorch_bit_for_bit()
    {
        byte[] data = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "BFloat16", "float_to_bfloat16.bin"));
        ReadOnlySpan<uint> pairs = MemoryMarshal.Cast<byte, uint>(data);
        Assert.Equal(200_033, pairs.Length / 2);
        float[] source = new float[pairs.Length / 2];
        ushort[] expected = new ushort[source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            source[i] = BitConverter.UInt32BitsToSingle(pairs[2 * i]);
            expected[i] = (ushort)pairs[(2 * i) + 1];
            Assert.True(((BFloat16)source[i]).Bits == expected[i], $"0x{pairs[2 * i]:X8}: 0x{((BFloat16)source[i]).Bits:X4}, PyTorch 0x{expected[i]:X4}");
        }

        // The vectorized bulk conversion, on every length's tail.
        foreach (int length in new[] { source.Length, 1, 7, 31, 33, 100 })
        {
            var narrow = new BFloat16[length];
            BFloat16.ConvertFromSingle(source.AsSpan(0, length), narrow);
            Assert.Equal(expected.Take(length), narrow.Select(b => b.Bits));
        }
    }

    [Fact]
    public void Ties_round_to_even_and_overflow_goes_to_infinity()
    {
        Assert.Equal(0x3F80, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F80_8000)).Bits); // tie, even below
        Assert.Equal(0x3F82, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F81_8000)).Bits); // tie, even above
        Assert.Equal(0x3F81, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F80_8001)).Bits); // just above a tie
        Assert.Equal(0x7F80, ((BFloat16)float.MaxValue).Bits);
        Assert.Equal(0xFF80, ((BFloat16)float.MinValue).Bits);
        Assert.Equal(0x7F7F, ((BFloat16)BitConverter.UInt32BitsToSingle(0x7F7F_7FFF)).Bits);
        Assert.Equal(0x0000, ((BFloat16)float.Epsilon).Bits);
        Assert.Equal(0x8000, ((BFloat16)(-0f)).Bits);
        Assert.Equal(0x0001, ((BFloat16)BitConverter.UInt32BitsToSingle(0x0000_8001)).Bits); // subnormal rounds up
    }

    [Fact]
    public void Doubles_round_once()
    {
        // 1 + 2⁻⁸ + 2⁻⁴⁰ is just above the tie between 1 and 1 + 2⁻⁷: to nearest it goes up. Through float (to nearest)
        // it would become the tie 1 + 2⁻⁸ and then round to even, down to 1.
        double justAboveTie = 1 + Math.ScaleB(1, -8) + Math.ScaleB(1, -40);
        Assert.Equal(0x3F81, ((BFloat16)justAboveTie).Bits);
        Assert.Equal(0x3F80, ((BFloat16)(1 + Math.ScaleB(1, -8))).Bits);
        Assert.Equal(0xBF81, ((BFloat16)(-justAboveTie)).Bits);
        Assert.True(BFloat16.IsNaN((BFloat16)double.NaN));
        Assert.Equal(0x7F80, ((BFloat16)1e300).Bits);
        var random = new Random(3);
        for (int i = 0; i < 100_000; i++)
        {
            double x = BitConverter.Int64BitsToDouble(random.NextInt64()) is double d && double.IsFinite(d) && Math.Abs(d) < 1e38 && Math.Abs(d) > 1e-38 ? d : random.NextDouble();
            BFloat16 b = (BFloat16)x;
            float below = (float)b, other = x > below ? (float)BFloat16.FromBits((ushort)(b.Bits + (below >= 0 ? 1 : -1))) : (float)BFloat16.FromBits((ushort)(b.Bits - (below > 0 ? 1 : -1)));
            Assert.True(Math.Abs(x - below) <= Math.Abs(x - other), $"{x:R} rounded to {below:R}, but {other:R} is nearer");
        }
    }

    [Fact]
    public void Comparison_equality_and_formatting_follow_float()
    {
        Assert.True(BFloat16.Zero == (BFloat16)(-0f));
        Assert.False(BFloat16.NaN == BFloat16.NaN);
        Assert.True(BFloat16.NaN.Equals(BFloat16.NaN));
        Assert.True(BFloat16.One < (BFloat16)2f);
        Assert.Equal(-1, BFloat16.NaN.CompareTo(BFloat16.NegativeInfinity));
        Assert.Equal("0.1", ((BFloat16)0.1f).ToString());
        Assert.Equal("0.10009765625", ((BFloat16)0.1f).ToString("F11", CultureInfo.InvariantCulture));
        Assert.Equal("3.39E+38", BFloat16.MaxValue.ToString());
        Assert.Equal(float.NegativeInfinity.ToString(CultureInfo.InvariantCulture), BFloat16.NegativeInfinity.ToString());
        Assert.Equal("NaN", BFloat16.NaN.ToString());
        Span<char> buffer = stackalloc char[3];
        Assert.True(BFloat16.One.TryFormat(buffer, out int written, default, CultureInfo.InvariantCulture));
        Assert.Equal("1", buffer[..written].ToString());
        Assert.False(BFloat16.MaxValue.TryFormat(buffer, out written, default, CultureInfo.InvariantCulture));
        Assert.Equal(0, written);
        for (int bits = 0; bits <= ushort.MaxValue; bits += 7)
        {
            BFloat16 value = BFloat16.FromBits((ushort)bits);
            if (BFloat16.IsFinite(value))
            {
                Assert.Equal(bits, ((BFloat16)float.Parse(value.ToString(), CultureInfo.InvariantCulture)).Bits);
            }
        }
    }

    [Fact]
    public void Bulk_widening_equals_the_scalar_conversion_on_every_pattern()
    {
        BFloat16[] all = Enumerable.Range(0, 65_536).Select(b => BFloat16.FromBits((ushort)b)).ToArray();
        float[] wide = new float[all.Length];
        BFloat16.ConvertToSingle(all, wide);
        Assert.All(Enumerable.Range(0, all.Length), i => Assert.Equal((uint)i << 16, BitConverter.SingleToUInt32Bits(wide[i])));
        Assert.Throws<ArgumentException>(() => BFloat16.ConvertToSingle(all, new float[3]));
        Assert.Throws<ArgumentException>(() => BFloat16.ConvertFromSingle(wide, new BFloat16[3]));
    }
}
