using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace OptGen.Tests;

/// <summary>Blockwise 8-bit quantization against bitsandbytes' algorithm restated with torch ops (Fixtures/Blockwise8Bit).</summary>
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

    private static T[] Read<T>(string file)
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(Path.Combine(Folder, file))).ToArray();
}
