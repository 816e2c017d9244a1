using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace OptGen.Tests;

/// <summary>
/// Blockwise 8-bit quantization against bitsandbytes' algorithm restated with torch ops (Fixtures/Blockwise8Bit), and the
/// fast paths against the scalar reference bit for bit. CI reruns these with AVX-512, AVX2 and all intrinsics switched off.
/// </summary>
public sealed class BlockwiseQuantizationTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Blockwise8Bit");

    [Fact]
    public void The_maps_are_bitsandbytes_dynamic_maps_as_PyTorch_computes_them()
    {
        float[] maps = Read<float>("maps.f32.bin");
        Assert.Equal(maps[..256].Select(BitConverter.SingleToInt32Bits), BlockwiseQuantization.SignedMap.ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(maps[256..].Select(BitConverter.SingleToInt32Bits), BlockwiseQuantization.UnsignedMap.ToArray().Select(BitConverter.SingleToInt32Bits));
        foreach (float[] map in new[] { BlockwiseQuantization.SignedMap.ToArray(), BlockwiseQuantization.UnsignedMap.ToArray() })
        {
            Assert.Equal(256, map.Length);
            Assert.True(map.Zip(map.Skip(1)).All(pair => pair.First < pair.Second), "strictly ascending");
            Assert.Contains(0f, map);
            Assert.Equal(1f, map[^1]);
        }

        Assert.True(BlockwiseQuantization.SignedMap[0] < -0.99f);
        Assert.Equal(0f, BlockwiseQuantization.UnsignedMap[0]);
    }

    [Theory]
    [InlineData("signed")]
    [InlineData("unsigned")]
    public void Quantization_and_dequantization_match_the_reference(string map)
    {
        bool signed = map == "signed";
        float[] inputs = Read<float>("inputs.f32.bin").Select(x => signed ? x : MathF.Abs(x)).ToArray();
        byte[] expectedCodes = File.ReadAllBytes(Path.Combine(Folder, $"{map}.codes.bin"));
        float[] expectedMaxima = Read<float>($"{map}.absmax.f32.bin");
        float[] expectedValues = Read<float>($"{map}.dequantized.f32.bin");

        var codes = new byte[inputs.Length];
        var maxima = new float[BlockwiseQuantization.BlockCount(inputs.Length)];
        BlockwiseQuantization.Quantize(inputs, codes, maxima, signed);
        Assert.Equal(expectedMaxima, maxima);
        var values = new float[inputs.Length];
        BlockwiseQuantization.Dequantize(codes, maxima, values, signed);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (maxima[i / BlockwiseQuantization.BlockLength] == 0)
            {
                // The reference's 0·∞ is NaN there and its argmin picks index 0; either way the value is zero.
                Assert.Equal(0f, values[i]);
                continue;
            }

            Assert.True(expectedCodes[i] == codes[i], $"{map} element {i} ({inputs[i]:R}): code {codes[i]}, reference {expectedCodes[i]}");
            Assert.Equal(BitConverter.SingleToInt32Bits(expectedValues[i]), BitConverter.SingleToInt32Bits(values[i]));
        }
    }

    [Fact]
    public void Every_map_entry_times_a_maximum_round_trips_to_its_own_code()
    {
        foreach (bool signed in new[] { true, false })
        {
            float[] map = (signed ? BlockwiseQuantization.SignedMap : BlockwiseQuantization.UnsignedMap).ToArray();
            float[] values = map.Select(m => m * 1f).ToArray();
            var codes = new byte[256];
            var maxima = new float[1];
            BlockwiseQuantization.Quantize(values, codes, maxima, signed);
            Assert.Equal(1f, maxima[0]);
            Assert.Equal(Enumerable.Range(0, 256).Select(i => (byte)i), codes);
        }
    }

    [Fact]
    public void Wrong_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => BlockwiseQuantization.Quantize(new float[300], new byte[299], new float[2], signed: true));
        Assert.Throws<ArgumentException>(() => BlockwiseQuantization.Quantize(new float[300], new byte[300], new float[1], signed: true));
        Assert.Throws<ArgumentException>(() => BlockwiseQuantization.Dequantize(new byte[300], new float[3], new float[300], signed: false));
    }

    [Fact]
    public void The_fast_paths_are_verified_and_the_forced_path_is_the_one_taken()
    {
        foreach (bool signed in new[] { true, false })
        {
            BlockwiseQuantization.Tables tables = signed ? BlockwiseQuantization.Tables.SignedTables : BlockwiseQuantization.Tables.UnsignedTables;
            Assert.True(tables.Verified, "the bucket table holds at most one threshold per bucket");
            Assert.NotNull(tables.Wide);
            BlockwiseQuantization.QuantizerPath path = BlockwiseQuantization.PathFor(signed);
            Assert.Equal(Avx512Vbmi.IsSupported && Avx512DQ.IsSupported ? BlockwiseQuantization.QuantizerPath.Avx512 : Avx2.IsSupported ? BlockwiseQuantization.QuantizerPath.Avx2 : BlockwiseQuantization.QuantizerPath.Scalar, path);
            switch (Environment.GetEnvironmentVariable(KernelPathTests.ExpectedPathVariable))
            {
                case "Vector256":
                    Assert.Equal(BlockwiseQuantization.QuantizerPath.Avx2, path);
                    break;
                case "Vector128" or "Scalar":
                    Assert.Equal(BlockwiseQuantization.QuantizerPath.Scalar, path);
                    break;
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Each_threshold_is_the_smallest_float_the_reference_codes_one_higher(bool signed)
    {
        float[] map = (signed ? BlockwiseQuantization.SignedMap : BlockwiseQuantization.UnsignedMap).ToArray();
        float[] thresholds = Tables(signed).Thresholds;
        Assert.Equal(255, thresholds.Length);
        for (int k = 0; k < thresholds.Length; k++)
        {
            float t = thresholds[k];
            Assert.True(map[k] < t && t <= map[k + 1], $"T{k} = {t:R} between entries {k} and {k + 1}");
            Assert.Equal(k + 1, BlockwiseQuantization.Tables.ReferenceCode(map, t));
            Assert.Equal(k, BlockwiseQuantization.Tables.ReferenceCode(map, MathF.BitDecrement(t)));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void No_bucket_holds_two_thresholds(bool signed)
    {
        // Buckets are |x| >> 16 per sign (sign, exponent and 7 mantissa bits), between the buckets of 2^-24 and 1.
        var buckets = Tables(signed).Thresholds.GroupBy(t => (t < 0, BitConverter.SingleToUInt32Bits(MathF.Abs(t)) >> 16)).ToArray();
        Assert.All(buckets, bucket => Assert.Single(bucket));
        Assert.All(buckets, bucket => Assert.InRange(bucket.Key.Item2, BlockwiseQuantization.Tables.FirstBucket, BlockwiseQuantization.Tables.LastBucket));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_bucket_code_is_the_references_over_a_sweep_of_float_bit_patterns(bool signed)
    {
        BlockwiseQuantization.Tables tables = Tables(signed);
        float[] map = tables.Map;
        var values = new List<float>();
        for (long bits = 0; bits <= uint.MaxValue; bits += 4093)
        {
            values.Add(BitConverter.UInt32BitsToSingle((uint)bits));
        }

        foreach (float t in tables.Thresholds)
        {
            values.AddRange(Neighbours(t, 4));
            values.AddRange(Neighbours(-t, 4));
        }

        values.AddRange([0f, -0f, float.Epsilon, -float.Epsilon, float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1f, -1f, float.MaxValue, float.MinValue]);
        foreach (float x in values)
        {
            Assert.True(BlockwiseQuantization.Tables.ReferenceCode(map, x) == tables.Code(x), $"{x:R} (0x{BitConverter.SingleToUInt32Bits(x):X8}): bucket code {tables.Code(x)}, reference {BlockwiseQuantization.Tables.ReferenceCode(map, x)}");
        }
    }

    public static TheoryData<string, bool> Distributions()
    {
        var data = new TheoryData<string, bool>();
        foreach (string name in new[] { "normal", "tiny", "huge", "magnitudes", "squares", "map entries", "thresholds", "specials", "zeros", "subnormal maxima" })
        {
            data.Add(name, true);
            data.Add(name, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Quantization_is_the_references_bit_for_bit(string distribution, bool signed)
    {
        var random = new Random(distribution.GetHashCode(StringComparison.Ordinal) ^ (signed ? 1 : 2));
        for (int trial = 0; trial < 6; trial++)
        {
            // Whole blocks and a partial last block, on both sides of a 16-block chunk.
            int length = trial switch { 0 => 256, 1 => 4096, 2 => 4096 + 256 + 77, _ => random.Next(1, 9000) };
            AssertMatchesReference(Generate(distribution, length, random), signed);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_length_of_a_partial_last_block_is_the_references(bool signed)
    {
        var random = new Random(signed ? 11 : 12);
        for (int partial = 1; partial < BlockwiseQuantization.BlockLength; partial++)
        {
            AssertMatchesReference(Generate(partial % 3 == 0 ? "thresholds" : "normal", BlockwiseQuantization.BlockLength * (partial % 3) + partial, random), signed);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_blocks_first_NaN_is_its_maximum_and_every_code_is_0(bool signed)
    {
        float[] nans = [float.NaN, -float.NaN, BitConverter.UInt32BitsToSingle(0x7F800001), BitConverter.UInt32BitsToSingle(0xFFC01234), BitConverter.UInt32BitsToSingle(0x7FBFFFFF)];
        var random = new Random(3);
        for (int trial = 0; trial < 40; trial++)
        {
            float[] values = Generate("normal", 3 * BlockwiseQuantization.BlockLength, random);
            for (int n = random.Next(1, 4); n > 0; n--)
            {
                values[random.Next(values.Length)] = nans[random.Next(nans.Length)];
            }

            AssertMatchesReference(values, signed);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Chunks_starting_on_block_boundaries_give_the_whole_tensors_codes(bool signed)
    {
        float[] values = Generate("normal", 20 * BlockwiseQuantization.BlockLength + 100, new Random(5));
        var codes = new byte[values.Length];
        var maxima = new float[BlockwiseQuantization.BlockCount(values.Length)];
        BlockwiseQuantization.Quantize(values, codes, maxima, signed);

        var chunkCodes = new byte[values.Length];
        var chunkMaxima = new float[maxima.Length];
        var chunkValues = new float[values.Length];
        for (int start = 0, chunk = 3 * BlockwiseQuantization.BlockLength; start < values.Length; start += chunk)
        {
            int length = Math.Min(chunk, values.Length - start);
            int block = start / BlockwiseQuantization.BlockLength;
            BlockwiseQuantization.QuantizeBlocks(values.AsSpan(start, length), chunkCodes.AsSpan(start), chunkMaxima.AsSpan(block), signed);
            BlockwiseQuantization.DequantizeBlocks(chunkCodes.AsSpan(start, length), chunkMaxima.AsSpan(block), chunkValues.AsSpan(start, length), signed);
        }

        Assert.Equal(codes, chunkCodes);
        Assert.Equal(maxima.Select(BitConverter.SingleToInt32Bits), chunkMaxima.Select(BitConverter.SingleToInt32Bits));
        var whole = new float[values.Length];
        BlockwiseQuantization.Dequantize(codes, maxima, whole, signed);
        Assert.Equal(whole.Select(BitConverter.SingleToInt32Bits), chunkValues.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dequantization_is_the_references_bit_for_bit(bool signed)
    {
        var random = new Random(signed ? 21 : 22);
        float[] specialMaxima = [0f, float.Epsilon, 1e-40f, float.MaxValue, float.PositiveInfinity, float.NaN, BitConverter.UInt32BitsToSingle(0x7FA00001), 1f];
        foreach (int length in new[] { 1, 63, 64, 65, 255, 256, 257, 1000, 4096 + 129 })
        {
            var codes = new byte[length];
            random.NextBytes(codes);
            var maxima = new float[BlockwiseQuantization.BlockCount(length)];
            for (int b = 0; b < maxima.Length; b++)
            {
                maxima[b] = b % 3 == 2 ? specialMaxima[random.Next(specialMaxima.Length)] : (float)Math.Exp(random.NextDouble() * 80 - 60);
            }

            var fast = new float[length];
            var reference = new float[length];
            BlockwiseQuantization.Dequantize(codes, maxima, fast, signed);
            BlockwiseQuantization.DequantizeReference(codes, maxima, reference, signed);
            Assert.Equal(reference.Select(BitConverter.SingleToInt32Bits), fast.Select(BitConverter.SingleToInt32Bits));
        }
    }

    private static BlockwiseQuantization.Tables Tables(bool signed) => signed ? BlockwiseQuantization.Tables.SignedTables : BlockwiseQuantization.Tables.UnsignedTables;

    private static IEnumerable<float> Neighbours(float x, int ulps)
    {
        float below = x, above = x;
        yield return x;
        for (int i = 0; i < ulps; i++)
        {
            below = MathF.BitDecrement(below);
            above = MathF.BitIncrement(above);
            yield return below;
            yield return above;
        }
    }

    private static float Step(float x, int ulps)
    {
        for (; ulps > 0; ulps--)
        {
            x = MathF.BitIncrement(x);
        }

        for (; ulps < 0; ulps++)
        {
            x = MathF.BitDecrement(x);
        }

        return x;
    }

    /// <summary>Quantizes with the fast path and the reference; codes, maxima and dequantized values must match bit for bit.</summary>
    private static void AssertMatchesReference(float[] values, bool signed)
    {
        var codes = new byte[values.Length];
        var maxima = new float[BlockwiseQuantization.BlockCount(values.Length)];
        var referenceCodes = new byte[values.Length];
        var referenceMaxima = new float[maxima.Length];
        BlockwiseQuantization.Quantize(values, codes, maxima, signed);
        BlockwiseQuantization.QuantizeReference(values, referenceCodes, referenceMaxima, signed);
        for (int b = 0; b < maxima.Length; b++)
        {
            Assert.True(BitConverter.SingleToUInt32Bits(referenceMaxima[b]) == BitConverter.SingleToUInt32Bits(maxima[b]), $"block {b}: maximum 0x{BitConverter.SingleToUInt32Bits(maxima[b]):X8}, reference 0x{BitConverter.SingleToUInt32Bits(referenceMaxima[b]):X8}");
        }

        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(referenceCodes[i] == codes[i], $"{(signed ? "signed" : "unsigned")} value {i} of {values.Length} ({values[i]:R}, block maximum {maxima[i / BlockwiseQuantization.BlockLength]:R}): code {codes[i]}, reference {referenceCodes[i]}");
        }

        var dequantized = new float[values.Length];
        var reference = new float[values.Length];
        BlockwiseQuantization.Dequantize(codes, maxima, dequantized, signed);
        BlockwiseQuantization.DequantizeReference(codes, maxima, reference, signed);
        Assert.Equal(reference.Select(BitConverter.SingleToInt32Bits), dequantized.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>Test values of one kind; blocks of the threshold and map-entry kinds hold ±2^k, so that scaling is exact.</summary>
    private static float[] Generate(string distribution, int length, Random random)
    {
        var values = new float[length];
        float[] map = random.Next(2) == 0 ? BlockwiseQuantization.SignedMap.ToArray() : BlockwiseQuantization.UnsignedMap.ToArray();
        float[] thresholds = random.Next(2) == 0 ? BlockwiseQuantization.Tables.SignedTables.Thresholds : BlockwiseQuantization.Tables.UnsignedTables.Thresholds;
        float[] specials =
        [
            0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue,
            1e-40f, -1e-39f, 1.17549435E-38f, 1f, -1f, 0.5f, BitConverter.UInt32BitsToSingle(0x7FA00000), BitConverter.UInt32BitsToSingle(0xFFF00001),
        ];
        float power = MathF.ScaleB(1, random.Next(-100, 100));
        for (int i = 0; i < length; i++)
        {
            double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            int ulps = random.Next(-3, 4);
            float sign = random.Next(2) == 0 ? 1 : -1;
            values[i] = distribution switch
            {
                "normal" => (float)normal,
                "tiny" => (float)(normal * 1e-30),
                "huge" => (float)(normal * 1e30),
                "magnitudes" => sign * (float)Math.Pow(10, random.NextDouble() * 80 - 42),
                "squares" => (float)(normal * normal * 1e-6),
                "map entries" => i % BlockwiseQuantization.BlockLength == 0 ? sign * power : map[random.Next(map.Length)] * power * (random.Next(4) == 0 ? -1 : 1),
                "thresholds" => i % BlockwiseQuantization.BlockLength == 0 ? sign * power : Step(thresholds[random.Next(thresholds.Length)] * power, ulps) * (random.Next(4) == 0 ? -1 : 1),
                "specials" => random.Next(8) == 0 ? specials[random.Next(specials.Length)] : (float)normal,
                "zeros" => (i / BlockwiseQuantization.BlockLength) % 2 == 0 ? (random.Next(2) == 0 ? 0f : -0f) : (float)normal,
                "subnormal maxima" => (float)(normal * Math.Pow(2, -126 - random.Next(0, 24))),
                _ => throw new ArgumentOutOfRangeException(nameof(distribution)),
            };
        }

        return values;
    }

    private static T[] Read<T>(string file)
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(Path.Combine(Folder, file))).ToArray();
}
