using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OptGen;

/// <summary>
/// Blockwise 8-bit quantization as bitsandbytes stores optimizer state: blocks of <see cref="BlockLength"/> values,
/// each with its absolute maximum in float32 and every value as the index of the nearest entry of a 256-entry dynamic
/// map (signed for first moments, unsigned for second moments) after division by that maximum.
/// </summary>
/// <remarks>
/// The maps are bitsandbytes' <c>create_dynamic_map(signed)</c> with 7 exponent bits, as PyTorch computes them (the
/// values are taken from that computation, tests/OptGen.Tests/Fixtures/Blockwise8Bit/generate_blockwise.py). Rounding
/// follows bitsandbytes' reference: the value scaled by the reciprocal of the block's maximum and clamped to [−1, 1], then
/// the nearest entry, the lower index on a tie. A block whose maximum is 0 stores the index of 0. The maximum is
/// <see cref="MathF.Max(float, float)"/> over the absolute values from 0, so a NaN in a block makes it NaN (the first
/// NaN's payload) and every code of that block 0.
/// <para>
/// The results are the scalar reference's bit for bit on every path (AVX-512, AVX2, scalar): the code of x is the number
/// of thresholds at or below x, the thresholds found from the reference's own comparison (see <see cref="Tables"/>).
/// </para>
/// </remarks>
public static partial class BlockwiseQuantization
{
    /// <summary>Values per block (bitsandbytes' blocksize for optimizer state).</summary>
    public const int BlockLength = 256;

    private static readonly uint[] SignedBits =
    [
        0xBF7E3333, 0xBF7A9999, 0xBF770000, 0xBF736666, 0xBF6FCCCC, 0xBF6C3333, 0xBF68999A, 0xBF650000,
        0xBF616666, 0xBF5DCCCC, 0xBF5A3333, 0xBF569999, 0xBF530000, 0xBF4F6666, 0xBF4BCCCC, 0xBF483333,
        0xBF44999A, 0xBF410000, 0xBF3D6667, 0xBF39CCCD, 0xBF363334, 0xBF32999A, 0xBF2F0000, 0xBF2B6667,
        0xBF27CCCD, 0xBF243333, 0xBF20999A, 0xBF1D0000, 0xBF196666, 0xBF15CCCD, 0xBF123334, 0xBF0E999A,
        0xBF0B0000, 0xBF076666, 0xBF03CCCD, 0xBF003333, 0xBEF93334, 0xBEF20000, 0xBEEACCCC, 0xBEE3999A,
        0xBEDC6666, 0xBED53332, 0xBECE0000, 0xBEC6CCCC, 0xBEBF999A, 0xBEB86666, 0xBEB13332, 0xBEAA0000,
        0xBEA2CCCC, 0xBE9B999A, 0xBE946666, 0xBE8D3334, 0xBE860000, 0xBE7D999A, 0xBE6F3334, 0xBE60CCCD,
        0xBE526666, 0xBE440000, 0xBE359999, 0xBE273333, 0xBE18CCCD, 0xBE0A6666, 0xBDF80000, 0xBDDB3334,
        0xBDC9EB85, 0xBDC428F5, 0xBDBE6667, 0xBDB8A3D7, 0xBDB2E148, 0xBDAD1EB8, 0xBDA75C28, 0xBDA1999A,
        0xBD9BD70A, 0xBD96147B, 0xBD9051EB, 0xBD8A8F5D, 0xBD84CCCD, 0xBD7E147A, 0xBD728F5D, 0xBD670A3D,
        0xBD5B851F, 0xBD500000, 0xBD447AE1, 0xBD38F5C3, 0xBD2D70A3, 0xBD21EB85, 0xBD166667, 0xBD0AE147,
        0xBCFEB852, 0xBCE7AE13, 0xBCD0A3D7, 0xBCB9999A, 0xBCA28F5C, 0xBC8B851F, 0xBC68F5C3, 0xBC3AE148,
        0xBC1F3B64, 0xBC160418, 0xBC0CCCCD, 0xBC039581, 0xBBF4BC6A, 0xBBE24DD3, 0xBBCFDF3B, 0xBBBD70A4,
        0xBBAB020D, 0xBB989374, 0xBB8624DD, 0xBB676C8A, 0xBB428F5C, 0xBB1DB22D, 0xBAF1A9FC, 0xBAA7EF9D,
        0xBA7765FF, 0xBA59E83E, 0xBA3C6A80, 0xBA1EECC1, 0xBA016F01, 0xB9C7E283, 0xB98CE705, 0xB923D70B,
        0xB8BA1F4B, 0xB88AEFB3, 0xB8378034, 0xB7B24206, 0xB70205FF, 0xB65A1A94, 0xB513A3B7, 0x00000000,
        0x3513A3B7, 0x365A1A94, 0x370205FF, 0x37B24206, 0x38378034, 0x388AEFB3, 0x38BA1F4B, 0x3923D70B,
        0x398CE705, 0x39C7E283, 0x3A016F01, 0x3A1EECC1, 0x3A3C6A80, 0x3A59E83E, 0x3A7765FF, 0x3AA7EF9D,
        0x3AF1A9FC, 0x3B1DB22D, 0x3B428F5C, 0x3B676C8A, 0x3B8624DD, 0x3B989374, 0x3BAB020D, 0x3BBD70A4,
        0x3BCFDF3B, 0x3BE24DD3, 0x3BF4BC6A, 0x3C039581, 0x3C0CCCCD, 0x3C160418, 0x3C1F3B64, 0x3C3AE148,
        0x3C68F5C3, 0x3C8B851F, 0x3CA28F5C, 0x3CB9999A, 0x3CD0A3D7, 0x3CE7AE13, 0x3CFEB852, 0x3D0AE147,
        0x3D166667, 0x3D21EB85, 0x3D2D70A3, 0x3D38F5C3, 0x3D447AE1, 0x3D500000, 0x3D5B851F, 0x3D670A3D,
        0x3D728F5D, 0x3D7E147A, 0x3D84CCCD, 0x3D8A8F5D, 0x3D9051EB, 0x3D96147B, 0x3D9BD70A, 0x3DA1999A,
        0x3DA75C28, 0x3DAD1EB8, 0x3DB2E148, 0x3DB8A3D7, 0x3DBE6667, 0x3DC428F5, 0x3DC9EB85, 0x3DDB3334,
        0x3DF80000, 0x3E0A6666, 0x3E18CCCD, 0x3E273333, 0x3E359999, 0x3E440000, 0x3E526666, 0x3E60CCCD,
        0x3E6F3334, 0x3E7D999A, 0x3E860000, 0x3E8D3334, 0x3E946666, 0x3E9B999A, 0x3EA2CCCC, 0x3EAA0000,
        0x3EB13332, 0x3EB86666, 0x3EBF999A, 0x3EC6CCCC, 0x3ECE0000, 0x3ED53332, 0x3EDC6666, 0x3EE3999A,
        0x3EEACCCC, 0x3EF20000, 0x3EF93334, 0x3F003333, 0x3F03CCCD, 0x3F076666, 0x3F0B0000, 0x3F0E999A,
        0x3F123334, 0x3F15CCCD, 0x3F196666, 0x3F1D0000, 0x3F20999A, 0x3F243333, 0x3F27CCCD, 0x3F2B6667,
        0x3F2F0000, 0x3F32999A, 0x3F363334, 0x3F39CCCD, 0x3F3D6667, 0x3F410000, 0x3F44999A, 0x3F483333,
        0x3F4BCCCC, 0x3F4F6666, 0x3F530000, 0x3F569999, 0x3F5A3333, 0x3F5DCCCC, 0x3F616666, 0x3F650000,
        0x3F68999A, 0x3F6C3333, 0x3F6FCCCC, 0x3F736666, 0x3F770000, 0x3F7A9999, 0x3F7E3333, 0x3F800000,
    ];

    private static readonly uint[] UnsignedBits =
    [
        0x00000000, 0x34AE7BAA, 0x35500998, 0x360E9B38, 0x3692CCF6, 0x36DE4C51, 0x3714E5D5, 0x3783126E,
        0x37E171A0, 0x381FE868, 0x384F1800, 0x387E479A, 0x3896BB99, 0x38AE5364, 0x38C5EB31, 0x3906594B,
        0x394154CA, 0x397C5048, 0x399BA5E4, 0x39B923A2, 0x39D6A162, 0x39F41F22, 0x3A08CE71, 0x3A178D50,
        0x3A264C30, 0x3A350B10, 0x3A43C9EF, 0x3A5288D0, 0x3A6147AF, 0x3A70068E, 0x3A7EC56E, 0x3A958106,
        0x3ABA5E35, 0x3ADF3B64, 0x3B020C49, 0x3B147AE1, 0x3B26E978, 0x3B39580F, 0x3B4BC6A7, 0x3B5E353E,
        0x3B70A3D7, 0x3B818937, 0x3B8AC082, 0x3B93F7CF, 0x3B9D2F1A, 0x3BA66666, 0x3BAF9DB2, 0x3BB8D4FD,
        0x3BC20C4A, 0x3BCB4394, 0x3BD47AE1, 0x3BDDB22E, 0x3BE6E978, 0x3BF020C5, 0x3BF9580F, 0x3C0147AE,
        0x3C05E353, 0x3C0A7EF9, 0x3C0F1AA0, 0x3C13B645, 0x3C1851EB, 0x3C1CED90, 0x3C218937, 0x3C2F5C2A,
        0x3C466667, 0x3C5D70A3, 0x3C747AE2, 0x3C85C28F, 0x3C9147AE, 0x3C9CCCCD, 0x3CA851EB, 0x3CB3D70B,
        0x3CBF5C2A, 0x3CCAE148, 0x3CD66667, 0x3CE1EB87, 0x3CED70A3, 0x3CF8F5C3, 0x3D023D70, 0x3D080000,
        0x3D0DC28F, 0x3D13851F, 0x3D1947AF, 0x3D1F0A3D, 0x3D24CCCD, 0x3D2A8F5B, 0x3D3051EB, 0x3D36147B,
        0x3D3BD70A, 0x3D41999A, 0x3D475C2A, 0x3D4D1EB8, 0x3D52E148, 0x3D58A3D7, 0x3D5E6667, 0x3D6428F7,
        0x3D69EB87, 0x3D6FAE15, 0x3D7570A3, 0x3D7B3333, 0x3D807AE2, 0x3D835C29, 0x3D863D71, 0x3D891EB9,
        0x3D8C0000, 0x3D8EE148, 0x3D91C290, 0x3D94A3D7, 0x3D97851F, 0x3D9A6667, 0x3D9D47AF, 0x3DA028F6,
        0x3DA30A3D, 0x3DA5EB85, 0x3DA8CCCD, 0x3DABAE14, 0x3DAE8F5C, 0x3DB170A3, 0x3DB451EB, 0x3DB73333,
        0x3DBA147B, 0x3DBCF5C3, 0x3DBFD70A, 0x3DC2B852, 0x3DC5999A, 0x3DC87AE1, 0x3DCB5C29, 0x3DD40000,
        0x3DE26666, 0x3DF0CCCD, 0x3DFF3333, 0x3E06CCCC, 0x3E0E0000, 0x3E153334, 0x3E1C6666, 0x3E23999A,
        0x3E2ACCCC, 0x3E320000, 0x3E393334, 0x3E406666, 0x3E47999A, 0x3E4ECCCC, 0x3E560000, 0x3E5D3334,
        0x3E646666, 0x3E6B999A, 0x3E72CCCE, 0x3E7A0000, 0x3E80999A, 0x3E843333, 0x3E87CCCD, 0x3E8B6667,
        0x3E8F0000, 0x3E92999A, 0x3E963334, 0x3E99CCCD, 0x3E9D6667, 0x3EA10000, 0x3EA4999A, 0x3EA83333,
        0x3EABCCCC, 0x3EAF6666, 0x3EB30000, 0x3EB69999, 0x3EBA3333, 0x3EBDCCCC, 0x3EC16666, 0x3EC50000,
        0x3EC8999A, 0x3ECC3333, 0x3ECFCCCC, 0x3ED36666, 0x3ED70000, 0x3EDA9999, 0x3EDE3333, 0x3EE1CCCD,
        0x3EE56666, 0x3EE90000, 0x3EEC999A, 0x3EF03333, 0x3EF3CCCD, 0x3EF76666, 0x3EFB0000, 0x3EFE9999,
        0x3F01199A, 0x3F02E666, 0x3F04B332, 0x3F068000, 0x3F084CCC, 0x3F0A199A, 0x3F0BE666, 0x3F0DB334,
        0x3F0F8000, 0x3F114CCD, 0x3F13199A, 0x3F14E666, 0x3F16B334, 0x3F188000, 0x3F1A4CCD, 0x3F1C199A,
        0x3F1DE666, 0x3F1FB333, 0x3F218000, 0x3F234CCC, 0x3F25199A, 0x3F26E666, 0x3F28B334, 0x3F2A8000,
        0x3F2C4CCE, 0x3F2E199A, 0x3F2FE666, 0x3F31B334, 0x3F338000, 0x3F354CCE, 0x3F37199A, 0x3F38E666,
        0x3F3AB334, 0x3F3C8000, 0x3F3E4CCC, 0x3F40199A, 0x3F41E666, 0x3F43B334, 0x3F458000, 0x3F474CCC,
        0x3F49199A, 0x3F4AE666, 0x3F4CB332, 0x3F4E8000, 0x3F504CCC, 0x3F52199A, 0x3F53E666, 0x3F55B334,
        0x3F578000, 0x3F594CCD, 0x3F5B199A, 0x3F5CE666, 0x3F5EB334, 0x3F608000, 0x3F624CCD, 0x3F64199A,
        0x3F65E666, 0x3F67B333, 0x3F698000, 0x3F6B4CCC, 0x3F6D199A, 0x3F6EE666, 0x3F70B334, 0x3F728000,
        0x3F744CCE, 0x3F76199A, 0x3F77E666, 0x3F79B334, 0x3F7B8000, 0x3F7D4CCE, 0x3F7F199A, 0x3F800000,
    ];

    private static readonly float[] Signed = MemoryMarshal.Cast<uint, float>(SignedBits).ToArray();
    private static readonly float[] Unsigned = MemoryMarshal.Cast<uint, float>(UnsignedBits).ToArray();

    /// <summary>The signed dynamic map (first moments), ascending, from about −0.993 to 1.</summary>
    public static ReadOnlySpan<float> SignedMap => Signed;

    /// <summary>The unsigned dynamic map (second moments), ascending, from 0 to 1.</summary>
    public static ReadOnlySpan<float> UnsignedMap => Unsigned;

    /// <summary>Blocks of <paramref name="length"/> values: the length of the maxima.</summary>
    public static int BlockCount(int length) => (int)(((long)length + BlockLength - 1) / BlockLength);

    /// <summary>Quantizes <paramref name="values"/> block by block.</summary>
    /// <param name="values">The values.</param>
    /// <param name="codes">One code per value.</param>
    /// <param name="maxima">One absolute maximum per block (<see cref="BlockCount"/>).</param>
    /// <param name="signed">The signed map (values of either sign) or the unsigned one (values ≥ 0).</param>
    /// <exception cref="ArgumentException">A destination has the wrong length.</exception>
    public static void Quantize(ReadOnlySpan<float> values, Span<byte> codes, Span<float> maxima, bool signed)
    {
        CheckLengths(values.Length, codes.Length, maxima.Length);
        QuantizeBlocks(values, codes, maxima, signed);
    }

    /// <summary>The values <paramref name="codes"/> stand for: each map entry times its block's maximum.</summary>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public static void Dequantize(ReadOnlySpan<byte> codes, ReadOnlySpan<float> maxima, Span<float> values, bool signed)
    {
        CheckLengths(values.Length, codes.Length, maxima.Length);
        DequantizeBlocks(codes, maxima, values, signed);
    }

    /// <summary>The paths <see cref="Quantize"/> and <see cref="Dequantize"/> can take.</summary>
    internal enum QuantizerPath
    {
        /// <summary>No vector instructions: the bucket table, one value at a time.</summary>
        Scalar,

        /// <summary>AVX2: quantization by the bucket table through gathers, dequantization as <see cref="Scalar"/>.</summary>
        Avx2,

        /// <summary>AVX-512 with VBMI (and DQ): the affine regions and byte permutes.</summary>
        Avx512,
    }

    /// <summary>The path this process takes for <paramref name="signed"/>'s map (tests check that CI's forced paths run).</summary>
    internal static QuantizerPath PathFor(bool signed) =>
        Avx512Vbmi.IsSupported && Avx512DQ.IsSupported && (signed ? Tables.SignedTables : Tables.UnsignedTables).Wide is not null ? QuantizerPath.Avx512
        : Avx2.IsSupported ? QuantizerPath.Avx2
        : QuantizerPath.Scalar;

    /// <summary>
    /// <see cref="Quantize"/> without the length checks, for callers that hand over one chunk of a tensor at a time: the
    /// blocks of <paramref name="values"/> (all whole but possibly the last) go to the first values.Length codes and the
    /// first <see cref="BlockCount"/>(values.Length) maxima. The caller guarantees those lengths, and starts each chunk on
    /// a block boundary of the whole tensor so that its blocks are the whole's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void QuantizeBlocks(ReadOnlySpan<float> values, Span<byte> codes, Span<float> maxima, bool signed)
    {
        Debug.Assert(codes.Length >= values.Length && maxima.Length >= BlockCount(values.Length), "The caller checks the lengths.");
        Tables tables = signed ? Tables.SignedTables : Tables.UnsignedTables;
        if (!tables.Verified)
        {
            QuantizeReference(values, codes, maxima, signed);
            return;
        }

        ref float source = ref MemoryMarshal.GetReference(values);
        ref byte destination = ref MemoryMarshal.GetReference(codes);
        ref float maximum = ref MemoryMarshal.GetReference(maxima);
        WideTables? wide = tables.Wide;
        if (Avx512Vbmi.IsSupported && Avx512DQ.IsSupported && wide is not null)
        {
            if (signed)
            {
                QuantizeSignedAvx512(ref source, ref destination, ref maximum, values.Length, tables, wide);
            }
            else
            {
                QuantizeUnsignedAvx512(ref source, ref destination, ref maximum, values.Length, tables, wide);
            }
        }
        else if (Avx2.IsSupported)
        {
            QuantizeAvx2(ref source, ref destination, ref maximum, values.Length, tables);
        }
        else
        {
            for (int start = 0, block = 0; start < values.Length; start += BlockLength, block++)
            {
                int count = Math.Min(BlockLength, values.Length - start);
                if (Prepare(ref Unsafe.Add(ref source, start), ref Unsafe.Add(ref destination, start), ref Unsafe.Add(ref maximum, block), count, tables, out float reciprocal))
                {
                    QuantizeScalar(ref Unsafe.Add(ref source, start), ref Unsafe.Add(ref destination, start), 0, count, reciprocal, tables);
                }
            }
        }
    }

    /// <summary>
    /// Writes a block's maximum and, for the blocks the fast paths leave alone, its codes; otherwise returns true with
    /// the reciprocal of the maximum, finite and nonzero, so that no scaled value is NaN or beyond ±1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Prepare(ref float values, ref byte codes, ref float maximum, int count, Tables tables, out float reciprocal)
    {
        uint maximumBits = AbsoluteMaximumBits(ref values, count);
        reciprocal = 1 / BitConverter.UInt32BitsToSingle(maximumBits);
        if (maximumBits == 0)
        {
            maximum = 0;
            MemoryMarshal.CreateSpan(ref codes, count).Fill(tables.Zero);
            return false;
        }

        if (maximumBits >= 0x7F80_0000 || float.IsInfinity(reciprocal))
        {
            // NaN (whose payload the reference takes from the first NaN), ∞ (scaling by 0 gives NaN for ±∞) or a maximum
            // below 2⁻¹²⁸ (0·∞ makes zeros NaN): rare enough for the reference itself.
            QuantizeReference(MemoryMarshal.CreateReadOnlySpan(ref values, count), MemoryMarshal.CreateSpan(ref codes, count), MemoryMarshal.CreateSpan(ref maximum, 1), tables.IsSigned);
            return false;
        }

        maximum = BitConverter.UInt32BitsToSingle(maximumBits);
        return true;
    }

    /// <summary>
    /// <see cref="Dequantize"/> without the length checks, for callers that hand over one chunk at a time: the first
    /// values.Length codes and the first <see cref="BlockCount"/>(values.Length) maxima, guaranteed by the caller; a
    /// chunk starts on a block boundary of the whole tensor.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DequantizeBlocks(ReadOnlySpan<byte> codes, ReadOnlySpan<float> maxima, Span<float> values, bool signed)
    {
        Debug.Assert(codes.Length >= values.Length && maxima.Length >= BlockCount(values.Length), "The caller checks the lengths.");
        Tables tables = signed ? Tables.SignedTables : Tables.UnsignedTables;
        ref byte source = ref MemoryMarshal.GetReference(codes);
        ref float maximum = ref MemoryMarshal.GetReference(maxima);
        ref float destination = ref MemoryMarshal.GetReference(values);
        int length = values.Length;
        int i = 0;
        if (Avx512Vbmi.IsSupported)
        {
            i = signed ? DequantizeSignedAvx512(ref source, ref maximum, ref destination, length, tables) : DequantizeAvx512(ref source, ref maximum, ref destination, length, tables);
        }

        // The rest block by block; all of it without VBMI (AVX2 gathers, 8 entries at a time, measured slower than this
        // loop on AMD Zen 4).
        ref float map = ref MemoryMarshal.GetArrayDataReference(tables.Map);
        while (i < length)
        {
            float scale = Unsafe.Add(ref maximum, i / BlockLength);
            for (int end = Math.Min(length, (i / BlockLength + 1) * BlockLength); i < end; i++)
            {
                Unsafe.Add(ref destination, i) = Unsafe.Add(ref map, Unsafe.Add(ref source, i)) * scale;
            }
        }
    }

    /// <summary>The scalar reference: per block the maximum by <see cref="MathF.Max(float, float)"/>, then a binary search per value.</summary>
    internal static void QuantizeReference(ReadOnlySpan<float> values, Span<byte> codes, Span<float> maxima, bool signed)
    {
        float[] map = signed ? Signed : Unsigned;
        byte zero = (byte)Array.IndexOf(map, 0f);
        for (int block = 0, start = 0; start < values.Length; block++, start += BlockLength)
        {
            ReadOnlySpan<float> part = values.Slice(start, Math.Min(BlockLength, values.Length - start));
            float maximum = 0;
            foreach (float x in part)
            {
                maximum = MathF.Max(maximum, MathF.Abs(x));
            }

            maxima[block] = maximum;
            float reciprocal = 1 / maximum;
            for (int i = 0; i < part.Length; i++)
            {
                codes[start + i] = maximum == 0 ? zero : Nearest(map, Math.Clamp(part[i] * reciprocal, -1f, 1f));
            }
        }
    }

    /// <summary>The scalar reference of <see cref="Dequantize"/>.</summary>
    internal static void DequantizeReference(ReadOnlySpan<byte> codes, ReadOnlySpan<float> maxima, Span<float> values, bool signed)
    {
        float[] map = signed ? Signed : Unsigned;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = map[codes[i]] * maxima[i / BlockLength];
        }
    }

    /// <summary>The index of the entry nearest <paramref name="x"/> (the lower one on a tie), by binary search.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static byte Nearest(float[] map, float x)
    {
        int low = 0, high = map.Length - 1;
        while (high - low > 1)
        {
            int middle = (low + high) >>> 1;
            if (map[middle] <= x)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        // |x − map| in float, as the reference's argmin compares it.
        return MathF.Abs(x - map[high]) < MathF.Abs(x - map[low]) ? (byte)high : (byte)low;
    }

    /// <summary>
    /// The bits of max |x| over a block: the largest of the bits with the sign cleared, which orders non-negative floats
    /// as their values; above 0x7F800000 when there is a NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint AbsoluteMaximumBits(ref float values, int count)
    {
        ref uint bits = ref Unsafe.As<float, uint>(ref values);
        int i = 0;
        uint maximum = 0;
        if (Vector512.IsHardwareAccelerated && count >= Vector512<uint>.Count)
        {
            Vector512<uint> mask = Vector512.Create(0x7FFF_FFFFu), a0 = Vector512<uint>.Zero, a1 = a0;
            for (; i + 2 * Vector512<uint>.Count <= count; i += 2 * Vector512<uint>.Count)
            {
                a0 = Vector512.Max(a0, Vector512.LoadUnsafe(ref bits, (nuint)i) & mask);
                a1 = Vector512.Max(a1, Vector512.LoadUnsafe(ref bits, (nuint)(i + Vector512<uint>.Count)) & mask);
            }

            for (; i + Vector512<uint>.Count <= count; i += Vector512<uint>.Count)
            {
                a0 = Vector512.Max(a0, Vector512.LoadUnsafe(ref bits, (nuint)i) & mask);
            }

            Vector256<uint> half = Vector256.Max(Vector512.Max(a0, a1).GetLower(), Vector512.Max(a0, a1).GetUpper());
            Vector128<uint> quarter = Vector128.Max(half.GetLower(), half.GetUpper());
            maximum = Math.Max(Math.Max(quarter[0], quarter[1]), Math.Max(quarter[2], quarter[3]));
        }
        else if (Vector256.IsHardwareAccelerated && count >= Vector256<uint>.Count)
        {
            Vector256<uint> mask = Vector256.Create(0x7FFF_FFFFu), a0 = Vector256<uint>.Zero, a1 = a0;
            for (; i + 2 * Vector256<uint>.Count <= count; i += 2 * Vector256<uint>.Count)
            {
                a0 = Vector256.Max(a0, Vector256.LoadUnsafe(ref bits, (nuint)i) & mask);
                a1 = Vector256.Max(a1, Vector256.LoadUnsafe(ref bits, (nuint)(i + Vector256<uint>.Count)) & mask);
            }

            for (; i + Vector256<uint>.Count <= count; i += Vector256<uint>.Count)
            {
                a0 = Vector256.Max(a0, Vector256.LoadUnsafe(ref bits, (nuint)i) & mask);
            }

            Vector128<uint> quarter = Vector128.Max(Vector256.Max(a0, a1).GetLower(), Vector256.Max(a0, a1).GetUpper());
            maximum = Math.Max(Math.Max(quarter[0], quarter[1]), Math.Max(quarter[2], quarter[3]));
        }

        for (; i < count; i++)
        {
            maximum = Math.Max(maximum, Unsafe.Add(ref bits, i) & 0x7FFF_FFFF);
        }

        return maximum;
    }

    /// <summary>Codes [<paramref name="from"/>, <paramref name="count"/>) of a block from the buckets.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeScalar(ref float values, ref byte codes, int from, int count, float reciprocal, Tables tables)
    {
        for (int i = from; i < count; i++)
        {
            Unsafe.Add(ref codes, i) = tables.Code(Unsafe.Add(ref values, i) * reciprocal);
        }
    }

    /// <summary>
    /// One block, eight values at a time: each value's bucket gathered from <see cref="Tables.Buckets"/>, exact as the
    /// scalar path (the block's maximum is finite and nonzero, so no scaled value is NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void QuantizeAvx2(ref float source, ref byte destination, ref float maxima, int length, Tables tables)
    {
        Vector256<int> first = Vector256.Create((int)Tables.FirstBucket), last = Vector256.Create((int)Tables.LastBucket);
        Vector256<int> negativeHalf = Vector256.Create(Tables.BucketCount);
        Vector256<int> order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);

        // Pinned at allocation; the base is moved back so that the unclamped-below bucket index needs no subtraction.
        uint* buckets = (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(tables.Buckets)) - Tables.FirstBucket;
        for (int start = 0, block = 0; start < length; start += BlockLength, block++)
        {
            int count = Math.Min(BlockLength, length - start);
            ref float values = ref Unsafe.Add(ref source, start);
            ref byte codes = ref Unsafe.Add(ref destination, start);
            if (!Prepare(ref values, ref codes, ref Unsafe.Add(ref maxima, block), count, tables, out float reciprocal))
            {
                continue;
            }

            Vector256<float> scale = Vector256.Create(reciprocal);
            int i = 0;
            for (; i + 32 <= count; i += 32)
            {
                Vector256<int> c0 = GatheredCodes(Vector256.LoadUnsafe(ref values, (nuint)i) * scale, buckets, first, last, negativeHalf);
                Vector256<int> c1 = GatheredCodes(Vector256.LoadUnsafe(ref values, (nuint)(i + 8)) * scale, buckets, first, last, negativeHalf);
                Vector256<int> c2 = GatheredCodes(Vector256.LoadUnsafe(ref values, (nuint)(i + 16)) * scale, buckets, first, last, negativeHalf);
                Vector256<int> c3 = GatheredCodes(Vector256.LoadUnsafe(ref values, (nuint)(i + 24)) * scale, buckets, first, last, negativeHalf);

                // The packs work within 128-bit lanes; the permute puts the four quarters back in order.
                Vector256<byte> packed = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(c0, c1), Avx2.PackSignedSaturate(c2, c3));
                Avx2.PermuteVar8x32(packed.AsInt32(), order).AsByte().StoreUnsafe(ref codes, (nuint)i);
            }

            QuantizeScalar(ref values, ref codes, i, count, reciprocal, tables);
        }

    }

    /// <summary>The codes of eight scaled values as <see cref="Tables.Code"/> gives them, by one gather.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> GatheredCodes(Vector256<float> y, uint* buckets, Vector256<int> first, Vector256<int> last, Vector256<int> negativeHalf)
    {
        Vector256<int> bits = y.AsInt32();
        Vector256<int> magnitude = bits & Vector256.Create(0x7FFF_FFFF);
        Vector256<int> negative = Vector256.ShiftRightArithmetic(bits, 31);
        Vector256<int> bucket = Vector256.Min(Vector256.Max(Vector256.ShiftRightLogical(magnitude, 16), first), last) + (negative & negativeHalf);
        return Vector256.ShiftRightLogical(Avx2.GatherVector256(buckets, bucket, 4).AsInt32() + ((magnitude ^ negative) & Vector256.Create(0xFFFF)), 16);
    }

    /// <summary>Blocks per chunk of the AVX-512 quantizers: 16 KiB of values, which stay in L1 between the passes.</summary>
    private const int ChunkBlocks = 16;

    /// <summary>
    /// The signed map, 64 values at a time (see <see cref="WideTables"/>): per value the region's slope and offset by
    /// <c>vpermi2ps</c> and one fma; the codes of |x| by byte permutes from <see cref="WideTables.Codes"/>;
    /// negative values max(0, 254 − code). Per chunk of blocks: the maxima first, then the vector loop, which calls
    /// nothing (every vector register is caller-saved, so a call would send the tables to the stack), then the values
    /// too near a threshold and the tails of partial blocks, exactly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeSignedAvx512(ref float source, ref byte destination, ref float maxima, int length, Tables tables, WideTables wide)
    {
        Span<float> reciprocals = stackalloc float[ChunkBlocks];
        Span<ulong> near = stackalloc ulong[ChunkBlocks * (BlockLength / 64)];
        for (int start = 0; start < length; start += ChunkBlocks * BlockLength)
        {
            int count = Math.Min(ChunkBlocks * BlockLength, length - start);
            ref float values = ref Unsafe.Add(ref source, start);
            ref byte codes = ref Unsafe.Add(ref destination, start);
            int groups = Reciprocals(ref values, ref codes, ref Unsafe.Add(ref maxima, start / BlockLength), count, tables, reciprocals);
            near.Clear();
            bool anyNear = SignedGroups(ref values, ref codes, groups, reciprocals, near, wide);
            Finish(ref values, ref codes, count, groups, anyNear, reciprocals, near, tables);
        }
    }

    /// <summary>The unsigned map, as <see cref="QuantizeSignedAvx512"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeUnsignedAvx512(ref float source, ref byte destination, ref float maxima, int length, Tables tables, WideTables wide)
    {
        Span<float> reciprocals = stackalloc float[ChunkBlocks];
        Span<ulong> near = stackalloc ulong[ChunkBlocks * (BlockLength / 64)];
        for (int start = 0; start < length; start += ChunkBlocks * BlockLength)
        {
            int count = Math.Min(ChunkBlocks * BlockLength, length - start);
            ref float values = ref Unsafe.Add(ref source, start);
            ref byte codes = ref Unsafe.Add(ref destination, start);
            int groups = Reciprocals(ref values, ref codes, ref Unsafe.Add(ref maxima, start / BlockLength), count, tables, reciprocals);
            near.Clear();
            bool anyNear = UnsignedGroups(ref values, ref codes, groups, reciprocals, near, wide);
            Finish(ref values, ref codes, count, groups, anyNear, reciprocals, near, tables);
        }
    }

    /// <summary>
    /// The maxima of a chunk's blocks and their reciprocals, 0 for blocks <see cref="Prepare"/> finished; returns the
    /// chunk's whole groups of 64 values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Reciprocals(ref float values, ref byte codes, ref float maxima, int count, Tables tables, Span<float> reciprocals)
    {
        if (count == ChunkBlocks * BlockLength)
        {
            WholeChunkReciprocals(ref values, ref codes, ref maxima, tables, reciprocals);
            return count / 64;
        }

        for (int start = 0, block = 0; start < count; start += BlockLength, block++)
        {
            bool fast = Prepare(ref Unsafe.Add(ref values, start), ref Unsafe.Add(ref codes, start), ref Unsafe.Add(ref maxima, block), Math.Min(BlockLength, count - start), tables, out float reciprocal);
            reciprocals[block] = fast ? reciprocal : 0;
        }

        return count / 64;
    }

    /// <summary>
    /// <see cref="Reciprocals"/> for 16 whole blocks: each block's 16 partial maxima (of the bits with the sign cleared),
    /// the 16 vectors folded pairwise by permutes into one vector of the 16 maxima, one division for the 16
    /// reciprocals. Blocks with a maximum of 0, NaN or ∞, or a reciprocal of ∞, go to <see cref="Prepare"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WholeChunkReciprocals(ref float values, ref byte codes, ref float maxima, Tables tables, Span<float> reciprocals)
    {
        // The static index vectors first (see SignedGroups).
        Vector512<uint> fold16Even = Permutes.Fold16Even, fold16Odd = Permutes.Fold16Odd, fold8Even = Permutes.Fold8Even, fold8Odd = Permutes.Fold8Odd;
        Vector512<uint> fold4Even = Permutes.Fold4Even, fold4Odd = Permutes.Fold4Odd, fold2Even = Permutes.Fold2Even, fold2Odd = Permutes.Fold2Odd;
        Vector512<uint> magnitude = Vector512.Create(0x7FFF_FFFFu);
        ref uint bits = ref Unsafe.As<float, uint>(ref values);
        Span<Vector512<uint>> partial = stackalloc Vector512<uint>[ChunkBlocks];
        for (int block = 0; block < ChunkBlocks; block++)
        {
            ref uint start = ref Unsafe.Add(ref bits, block * BlockLength);
            Vector512<uint> a0 = Vector512.LoadUnsafe(ref start) & magnitude, a1 = Vector512.LoadUnsafe(ref start, 16) & magnitude;
            for (nuint i = 32; i < BlockLength; i += 32)
            {
                a0 = Vector512.Max(a0, Vector512.LoadUnsafe(ref start, i) & magnitude);
                a1 = Vector512.Max(a1, Vector512.LoadUnsafe(ref start, i + 16) & magnitude);
            }

            partial[block] = Vector512.Max(a0, a1);
        }

        // 16 vectors of 16 partials per block, 8 of 2 blocks × 8, 4 of 4 × 4, 2 of 8 × 2, 1 of 16 × 1.
        for (int count = ChunkBlocks; count > 1; count /= 2)
        {
            (Vector512<uint> even, Vector512<uint> odd) = count switch
            {
                16 => (fold16Even, fold16Odd),
                8 => (fold8Even, fold8Odd),
                4 => (fold4Even, fold4Odd),
                _ => (fold2Even, fold2Odd),
            };
            for (int j = 0; j < count / 2; j++)
            {
                Vector512<uint> a = partial[2 * j], b = partial[2 * j + 1];
                partial[j] = Vector512.Max(Avx512F.PermuteVar16x32x2(a, even, b), Avx512F.PermuteVar16x32x2(a, odd, b));
            }
        }

        Vector512<uint> maximum = partial[0];
        Vector512<float> reciprocal = Vector512<float>.One / maximum.AsSingle();
        Vector512<uint> infinity = Vector512.Create(0x7F80_0000u);
        Vector512<uint> exotic = Vector512.GreaterThanOrEqual(maximum, infinity) | Vector512.GreaterThanOrEqual(reciprocal.AsUInt32(), infinity);
        maximum.AsSingle().StoreUnsafe(ref maxima);
        Vector512.AndNot(reciprocal.AsUInt32(), exotic).AsSingle().StoreUnsafe(ref MemoryMarshal.GetReference(reciprocals));
        for (ulong flagged = exotic.ExtractMostSignificantBits(); flagged != 0; flagged &= flagged - 1)
        {
            int block = BitOperations.TrailingZeroCount(flagged);
            Prepare(ref Unsafe.Add(ref values, block * BlockLength), ref Unsafe.Add(ref codes, block * BlockLength), ref Unsafe.Add(ref maxima, block), BlockLength, tables, out _);
        }
    }

    /// <summary>Recodes the values flagged near a threshold and codes the values past the last whole group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Finish(ref float values, ref byte codes, int count, int groups, bool anyNear, Span<float> reciprocals, Span<ulong> near, Tables tables)
    {
        for (int g = 0; anyNear && g < groups; g++)
        {
            if (near[g] != 0)
            {
                Recode(ref values, ref codes, 64 * g, near[g], reciprocals[g / (BlockLength / 64)], tables);
            }
        }

        if (64 * groups < count && reciprocals[64 * groups / BlockLength] != 0)
        {
            QuantizeScalar(ref values, ref codes, 64 * groups, count, reciprocals[64 * groups / BlockLength], tables);
        }
    }

    /// <summary>The vector loop of <see cref="QuantizeSignedAvx512"/> over a chunk's whole groups of 64 values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool SignedGroups(ref float values, ref byte codes, int groups, Span<float> reciprocals, Span<ulong> near, WideTables wide)
    {
        // The static index vectors first: their class-initialization check is a call, across which no vector survives
        // in a register.
        Vector512<byte> byte2 = Permutes.Byte2OfDwords, byte3 = Permutes.Byte3OfDwords, upper = Permutes.UpperHalf;
        Vector512<float> tiny = Vector512.Create(Tables.Tiny);
        Vector512<int> regionOffset = Vector512.Create(wide.RegionOffset), danger = Vector512.Create(wide.DangerMask);
        ref float slopes = ref MemoryMarshal.GetArrayDataReference(wide.Slopes);
        ref float offsets = ref MemoryMarshal.GetArrayDataReference(wide.Offsets);
        Vector512<float> slopes0 = Vector512.LoadUnsafe(ref slopes), slopes1 = Vector512.LoadUnsafe(ref slopes, 16);
        Vector512<float> offsets0 = Vector512.LoadUnsafe(ref offsets), offsets1 = Vector512.LoadUnsafe(ref offsets, 16);
        ref byte table = ref MemoryMarshal.GetArrayDataReference(wide.Codes);
        Vector512<byte> table0 = Vector512.LoadUnsafe(ref table), table1 = Vector512.LoadUnsafe(ref table, 64);
        Vector512<byte> table2 = Vector512.LoadUnsafe(ref table, 128), table3 = Vector512.LoadUnsafe(ref table, 192);
        Vector512<byte> mirror = Vector512.Create((byte)254);
        ref float reciprocal = ref MemoryMarshal.GetReference(reciprocals);
        ref ulong flags = ref MemoryMarshal.GetReference(near);
        bool anyNear = false;
        for (int g = 0; g < groups; g++)
        {
            // The next chunk's values, for its maximum pass, while this one computes. A raw address, as it may lie past
            // the end; a prefetch never faults, and one made stale by the collector costs nothing but the hint.
            byte* next = (byte*)Unsafe.AsPointer(ref values) + sizeof(float) * (ChunkBlocks * BlockLength + 64 * g);
            Sse.Prefetch0(next);
            Sse.Prefetch0(next + 64);
            Sse.Prefetch0(next + 128);
            Sse.Prefetch0(next + 192);
            float r = Unsafe.Add(ref reciprocal, (uint)g / (BlockLength / 64));
            if (r == 0)
            {
                continue;
            }

            Vector512<float> scale = Vector512.Create(r);
            nuint i = (nuint)(64 * g);
            Vector512<float> y0 = Vector512.LoadUnsafe(ref values, i) * scale;
            Vector512<float> y1 = Vector512.LoadUnsafe(ref values, i + 16) * scale;
            Vector512<float> y2 = Vector512.LoadUnsafe(ref values, i + 32) * scale;
            Vector512<float> y3 = Vector512.LoadUnsafe(ref values, i + 48) * scale;

            // max(|y|, 2⁻²⁴) with the sign cleared, in one vrangeps.
            Vector512<int> v0 = Fixed(Avx512DQ.Range(y0, tiny, 0b1011), regionOffset, slopes0, slopes1, offsets0, offsets1);
            Vector512<int> v1 = Fixed(Avx512DQ.Range(y1, tiny, 0b1011), regionOffset, slopes0, slopes1, offsets0, offsets1);
            Vector512<int> v2 = Fixed(Avx512DQ.Range(y2, tiny, 0b1011), regionOffset, slopes0, slopes1, offsets0, offsets1);
            Vector512<int> v3 = Fixed(Avx512DQ.Range(y3, tiny, 0b1011), regionOffset, slopes0, slopes1, offsets0, offsets1);

            Vector512<byte> index = Narrow(v0, v1, v2, v3, byte2, upper);
            Vector512<byte> negative = Narrow(y0.AsInt32(), y1.AsInt32(), y2.AsInt32(), y3.AsInt32(), byte3, upper);
            Vector512<byte> code = Vector512.ConditionalSelect(
                Vector512.LessThan(index.AsSByte(), Vector512<sbyte>.Zero).AsByte(),
                Avx512Vbmi.PermuteVar64x8x2(table2, index, table3),
                Avx512Vbmi.PermuteVar64x8x2(table0, index, table1));
            code = Vector512.ConditionalSelect(Vector512.LessThan(negative.AsSByte(), Vector512<sbyte>.Zero).AsByte(), Avx512BW.SubtractSaturate(mirror, code), code);
            code.StoreUnsafe(ref codes, i);
            if (AnyNear(v0, v1, v2, v3, danger))
            {
                Unsafe.Add(ref flags, g) = Near(v0, v1, v2, v3, danger);
                anyNear = true;
            }
        }

        return anyNear;
    }

    /// <summary>
    /// The vector loop of <see cref="QuantizeUnsignedAvx512"/>: max(x, 2⁻²⁴) (every negative value codes as 0 does,
    /// which is 0) and 512 codes, the ninth bit of the index selecting the upper table pair.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool UnsignedGroups(ref float values, ref byte codes, int groups, Span<float> reciprocals, Span<ulong> near, WideTables wide)
    {
        // The static index vectors first (see SignedGroups).
        Vector512<ushort> word1 = Permutes.Word1OfDwords;
        Vector512<byte> lowBytes = Permutes.Byte0OfWords, highBytes = Permutes.Byte1OfWords;
        Vector512<float> tiny = Vector512.Create(Tables.Tiny);
        Vector512<int> regionOffset = Vector512.Create(wide.RegionOffset), danger = Vector512.Create(wide.DangerMask);
        ref float slopes = ref MemoryMarshal.GetArrayDataReference(wide.Slopes);
        ref float offsets = ref MemoryMarshal.GetArrayDataReference(wide.Offsets);
        Vector512<float> slopes0 = Vector512.LoadUnsafe(ref slopes), slopes1 = Vector512.LoadUnsafe(ref slopes, 16);
        Vector512<float> offsets0 = Vector512.LoadUnsafe(ref offsets), offsets1 = Vector512.LoadUnsafe(ref offsets, 16);
        ref byte table = ref MemoryMarshal.GetArrayDataReference(wide.Codes);
        Vector512<byte> table0 = Vector512.LoadUnsafe(ref table), table1 = Vector512.LoadUnsafe(ref table, 64);
        Vector512<byte> table2 = Vector512.LoadUnsafe(ref table, 128), table3 = Vector512.LoadUnsafe(ref table, 192);
        Vector512<byte> table4 = Vector512.LoadUnsafe(ref table, 256), table5 = Vector512.LoadUnsafe(ref table, 320);
        Vector512<byte> table6 = Vector512.LoadUnsafe(ref table, 384), table7 = Vector512.LoadUnsafe(ref table, 448);
        Vector512<byte> lowerExponents = Vector512.Create((byte)(152 >> 1));
        ref float reciprocal = ref MemoryMarshal.GetReference(reciprocals);
        ref ulong flags = ref MemoryMarshal.GetReference(near);
        bool anyNear = false;
        for (int g = 0; g < groups; g++)
        {
            // The next chunk's values, for its maximum pass (see SignedGroups).
            byte* next = (byte*)Unsafe.AsPointer(ref values) + sizeof(float) * (ChunkBlocks * BlockLength + 64 * g);
            Sse.Prefetch0(next);
            Sse.Prefetch0(next + 64);
            Sse.Prefetch0(next + 128);
            Sse.Prefetch0(next + 192);
            float r = Unsafe.Add(ref reciprocal, (uint)g / (BlockLength / 64));
            if (r == 0)
            {
                continue;
            }

            Vector512<float> scale = Vector512.Create(r);
            nuint i = (nuint)(64 * g);
            Vector512<int> v0 = Fixed(Avx512F.Max(Vector512.LoadUnsafe(ref values, i) * scale, tiny), regionOffset, slopes0, slopes1, offsets0, offsets1);
            Vector512<int> v1 = Fixed(Avx512F.Max(Vector512.LoadUnsafe(ref values, i + 16) * scale, tiny), regionOffset, slopes0, slopes1, offsets0, offsets1);
            Vector512<int> v2 = Fixed(Avx512F.Max(Vector512.LoadUnsafe(ref values, i + 32) * scale, tiny), regionOffset, slopes0, slopes1, offsets0, offsets1);
            Vector512<int> v3 = Fixed(Avx512F.Max(Vector512.LoadUnsafe(ref values, i + 48) * scale, tiny), regionOffset, slopes0, slopes1, offsets0, offsets1);

            // Bits 16..31 of v as words, then their low bytes (the index's low eight bits) and high bytes (76 or 77, the
            // exponent's upper bits, the second telling the index's ninth bit).
            Vector512<byte> words01 = Avx512BW.PermuteVar32x16x2(v0.AsUInt16(), word1, v1.AsUInt16()).AsByte();
            Vector512<byte> words23 = Avx512BW.PermuteVar32x16x2(v2.AsUInt16(), word1, v3.AsUInt16()).AsByte();
            Vector512<byte> index = Avx512Vbmi.PermuteVar64x8x2(words01, lowBytes, words23);
            Vector512<byte> ninth = Avx512Vbmi.PermuteVar64x8x2(words01, highBytes, words23);
            Vector512<byte> bit7 = Vector512.LessThan(index.AsSByte(), Vector512<sbyte>.Zero).AsByte();
            Vector512<byte> lower = Vector512.ConditionalSelect(bit7, Avx512Vbmi.PermuteVar64x8x2(table2, index, table3), Avx512Vbmi.PermuteVar64x8x2(table0, index, table1));
            Vector512<byte> higher = Vector512.ConditionalSelect(bit7, Avx512Vbmi.PermuteVar64x8x2(table6, index, table7), Avx512Vbmi.PermuteVar64x8x2(table4, index, table5));
            Vector512.ConditionalSelect(Vector512.Equals(ninth, lowerExponents), lower, higher).StoreUnsafe(ref codes, i);
            if (AnyNear(v0, v1, v2, v3, danger))
            {
                Unsafe.Add(ref flags, g) = Near(v0, v1, v2, v3, danger);
                anyNear = true;
            }
        }

        return anyNear;
    }

    /// <summary>v = bits of fma(a, slope, offset) with the slope and offset of a's region (see <see cref="WideTables.Fixed"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Fixed(Vector512<float> magnitude, Vector512<int> regionOffset, Vector512<float> slopes0, Vector512<float> slopes1, Vector512<float> offsets0, Vector512<float> offsets1)
    {
        Vector512<int> region = Vector512.ShiftRightLogical(magnitude.AsInt32() + regionOffset, 23);
        Vector512<float> slope = Avx512F.PermuteVar16x32x2(slopes0, region, slopes1);
        Vector512<float> offset = Avx512F.PermuteVar16x32x2(offsets0, region, offsets1);
        return Avx512F.FusedMultiplyAdd(magnitude, slope, offset).AsInt32();
    }

    /// <summary>Whether any of the 64 values lies in a danger window: the least v &amp; mask is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AnyNear(Vector512<int> v0, Vector512<int> v1, Vector512<int> v2, Vector512<int> v3, Vector512<int> mask) =>
        Vector512.EqualsAny(Vector512.Min(Vector512.Min((v0 & mask).AsUInt32(), (v1 & mask).AsUInt32()), Vector512.Min((v2 & mask).AsUInt32(), (v3 & mask).AsUInt32())), Vector512<uint>.Zero);

    /// <summary>Bit j set where value j of the 64 lies in a danger window (v &amp; mask == 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Near(Vector512<int> v0, Vector512<int> v1, Vector512<int> v2, Vector512<int> v3, Vector512<int> mask) =>
        Vector512.Equals(v0 & mask, Vector512<int>.Zero).ExtractMostSignificantBits()
        | (Vector512.Equals(v1 & mask, Vector512<int>.Zero).ExtractMostSignificantBits() << 16)
        | (Vector512.Equals(v2 & mask, Vector512<int>.Zero).ExtractMostSignificantBits() << 32)
        | (Vector512.Equals(v3 & mask, Vector512<int>.Zero).ExtractMostSignificantBits() << 48);

    /// <summary>Recodes the values flagged in <paramref name="near"/> from the buckets.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Recode(ref float values, ref byte codes, int start, ulong near, float reciprocal, Tables tables)
    {
        for (; near != 0; near &= near - 1)
        {
            int j = start + BitOperations.TrailingZeroCount(near);
            Unsafe.Add(ref codes, j) = tables.Code(Unsafe.Add(ref values, j) * reciprocal);
        }
    }

    /// <summary>The chosen byte of each of 64 dwords, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Narrow(Vector512<int> v0, Vector512<int> v1, Vector512<int> v2, Vector512<int> v3, Vector512<byte> index, Vector512<byte> upper) =>
        Vector512.ConditionalSelect(upper, Avx512Vbmi.PermuteVar64x8x2(v2.AsByte(), index, v3.AsByte()), Avx512Vbmi.PermuteVar64x8x2(v0.AsByte(), index, v1.AsByte()));

    /// <summary>
    /// The signed map as <see cref="DequantizeAvx512"/>, with half the byte permutes: its entries are symmetric,
    /// map[c] = −map[254 − c], so each byte of the magnitude comes from one 128-entry permute indexed by |c − 127|
    /// (0 for c = 127, then map[128..254]), the sign set for c &lt; 127, and c = 255, whose index 128 wraps to 0, made 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int DequantizeSignedAvx512(ref byte codes, ref float maxima, ref float values, int length, Tables tables)
    {
        // The static index vectors first (see SignedGroups).
        Vector512<byte> lowPairs = Permutes.LowBytePairs, highPairs = Permutes.HighBytePairs;
        Vector512<ushort> lowQuads = Permutes.LowWordPairs, highQuads = Permutes.HighWordPairs;
        ref byte planes = ref MemoryMarshal.GetArrayDataReference(tables.Magnitudes);
        Vector512<byte> p00 = Vector512.LoadUnsafe(ref planes, 0), p01 = Vector512.LoadUnsafe(ref planes, 64);
        Vector512<byte> p10 = Vector512.LoadUnsafe(ref planes, 128), p11 = Vector512.LoadUnsafe(ref planes, 192);
        Vector512<byte> p20 = Vector512.LoadUnsafe(ref planes, 256), p21 = Vector512.LoadUnsafe(ref planes, 320);
        Vector512<byte> p30 = Vector512.LoadUnsafe(ref planes, 384), p31 = Vector512.LoadUnsafe(ref planes, 448);
        Vector512<byte> middle = Vector512.Create((byte)127), last = Vector512.Create((byte)255), signBit = Vector512.Create((byte)0x80);
        Vector512<byte> oneByte2 = Vector512.Create((byte)0x80), oneByte3 = Vector512.Create((byte)0x3F);
        int i = 0;
        for (; i + 64 <= length; i += 64)
        {
            Vector512<byte> c = Vector512.LoadUnsafe(ref codes, (nuint)i);
            Vector512<byte> index = Vector512.Abs((c - middle).AsSByte()).AsByte();
            Vector512<byte> one = Vector512.Equals(c, last);
            Vector512<byte> b0 = Avx512Vbmi.PermuteVar64x8x2(p00, index, p01);
            Vector512<byte> b1 = Avx512Vbmi.PermuteVar64x8x2(p10, index, p11);
            Vector512<byte> b2 = Vector512.ConditionalSelect(one, oneByte2, Avx512Vbmi.PermuteVar64x8x2(p20, index, p21));
            Vector512<byte> b3 = Vector512.ConditionalSelect(one, oneByte3, Avx512Vbmi.PermuteVar64x8x2(p30, index, p31) | (Vector512.LessThan(c, middle) & signBit));
            Vector512<ushort> low01 = Avx512Vbmi.PermuteVar64x8x2(b0, lowPairs, b1).AsUInt16(), high01 = Avx512Vbmi.PermuteVar64x8x2(b0, highPairs, b1).AsUInt16();
            Vector512<ushort> low23 = Avx512Vbmi.PermuteVar64x8x2(b2, lowPairs, b3).AsUInt16(), high23 = Avx512Vbmi.PermuteVar64x8x2(b2, highPairs, b3).AsUInt16();
            Vector512<float> scale = Vector512.Create(Unsafe.Add(ref maxima, i / BlockLength));
            (Avx512BW.PermuteVar32x16x2(low01, lowQuads, low23).AsSingle() * scale).StoreUnsafe(ref values, (nuint)i);
            (Avx512BW.PermuteVar32x16x2(low01, highQuads, low23).AsSingle() * scale).StoreUnsafe(ref values, (nuint)(i + 16));
            (Avx512BW.PermuteVar32x16x2(high01, lowQuads, high23).AsSingle() * scale).StoreUnsafe(ref values, (nuint)(i + 32));
            (Avx512BW.PermuteVar32x16x2(high01, highQuads, high23).AsSingle() * scale).StoreUnsafe(ref values, (nuint)(i + 48));
        }

        return i;
    }

    /// <summary>
    /// 64 codes at a time: each of the four bytes of map[code] by two byte permutes (codes below and from 128), the
    /// four byte planes interleaved into floats by two rounds of permutes, times the block's maximum. Returns how many
    /// values it did.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int DequantizeAvx512(ref byte codes, ref float maxima, ref float values, int length, Tables tables)
    {
        // The static index vectors first (see SignedGroups).
        Vector512<byte> lowPairs = Permutes.LowBytePairs, highPairs = Permutes.HighBytePairs;
        Vector512<ushort> lowQuads = Permutes.LowWordPairs, highQuads = Permutes.HighWordPairs;
        ref byte planes = ref MemoryMarshal.GetArrayDataReference(tables.Planes);
        Vector512<byte> p00 = Vector512.LoadUnsafe(ref planes, 0), p01 = Vector512.LoadUnsafe(ref planes, 64), p02 = Vector512.LoadUnsafe(ref planes, 128), p03 = Vector512.LoadUnsafe(ref planes, 192);
        Vector512<byte> p10 = Vector512.LoadUnsafe(ref planes, 256), p11 = Vector512.LoadUnsafe(ref planes, 320), p12 = Vector512.LoadUnsafe(ref planes, 384), p13 = Vector512.LoadUnsafe(ref planes, 448);
        Vector512<byte> p20 = Vector512.LoadUnsafe(ref planes, 512), p21 = Vector512.LoadUnsafe(ref planes, 576), p22 = Vector512.LoadUnsafe(ref planes, 640), p23 = Vector512.LoadUnsafe(ref planes, 704);
        Vector512<byte> p30 = Vector512.LoadUnsafe(ref planes, 768), p31 = Vector512.LoadUnsafe(ref planes, 832), p32 = Vector512.LoadUnsafe(ref planes, 896), p33 = Vector512.LoadUnsafe(ref planes, 960);
        int i = 0;
        for (; i + 64 <= length; i += 64)
        {
            Vector512<byte> c = Vector512.LoadUnsafe(ref codes, (nuint)i);
            Vector512<byte> high = Vector512.LessThan(c.AsSByte(), Vector512<sbyte>.Zero).AsByte();
            Vector512<byte> b0 = Vector512.ConditionalSelect(high, Avx512Vbmi.PermuteVar64x8x2(p02, c, p03), Avx512Vbmi.PermuteVar64x8x2(p00, c, p01));
            Vector512<byte> b1 = Vector512.ConditionalSelect(high, Avx512Vbmi.PermuteVar64x8x2(p12, c, p13), Avx512Vbmi.PermuteVar64x8x2(p10, c, p11));
            Vector512<byte> b2 = Vector512.ConditionalSelect(high, Avx512Vbmi.PermuteVar64x8x2(p22, c, p23), Avx512Vbmi.PermuteVar64x8x2(p20, c, p21));
            Vector512<byte> b3 = Vector512.ConditionalSelect(high, Avx512Vbmi.PermuteVar64x8x2(p32, c, p33), Avx512Vbmi.PermuteVar64x8x2(p30, c, p31));
            Vector512<ushort> low01 = Avx512Vbmi.PermuteVar64x8x2(b0, lowPairs, b1).AsUInt16(), high01 = Avx512Vbmi.PermuteVar64x8x2(b0, highPairs, b1).AsUInt16();
            Vector512<ushort> low23 = Avx512Vbmi.PermuteVar64x8x2(b2, lowPairs, b3).AsUInt16(), high23 = Avx512Vbmi.PermuteVar64x8x2(b2, highPairs, b3).AsUInt16();
            Vector512<float> scale = Vector512.Create(Unsafe.Add(ref maxima, i / BlockLength));
            (Avx512BW.PermuteVar32x16x2(low01, lowQuads, low23).AsSingle() * scale).StoreUnsafe(ref values, (nuint)i);
            (Avx512BW.PermuteVar32x16x2(low01, highQuads, low23).AsSingle() * scale).StoreUnsafe(ref values, (nuint)(i + 16));
            (Avx512BW.PermuteVar32x16x2(high01, lowQuads, high23).AsSingle() * scale).StoreUnsafe(ref values, (nuint)(i + 32));
            (Avx512BW.PermuteVar32x16x2(high01, highQuads, high23).AsSingle() * scale).StoreUnsafe(ref values, (nuint)(i + 48));
        }

        return i;
    }

    /// <summary>Index vectors of the AVX-512 permutes, built once.</summary>
    private static class Permutes
    {
        /// <summary>Byte 2 of dword j of two sources of 16 dwords, for j = 0..31, in bytes 0..31 and again in 32..63.</summary>
        internal static readonly Vector512<byte> Byte2OfDwords = Bytes(j => 4 * (j & 31) + 2);

        /// <summary>Byte 3 of dword j likewise.</summary>
        internal static readonly Vector512<byte> Byte3OfDwords = Bytes(j => 4 * (j & 31) + 3);

        /// <summary>All ones in bytes 32..63.</summary>
        internal static readonly Vector512<byte> UpperHalf = Bytes(j => j < 32 ? 0 : 0xFF);

        /// <summary>Word 1 (the upper) of dword j of two sources of 16 dwords, j = 0..31.</summary>
        internal static readonly Vector512<ushort> Word1OfDwords = Words(j => 2 * j + 1);

        /// <summary>Byte 0 of word j of two sources of 32 words, j = 0..63.</summary>
        internal static readonly Vector512<byte> Byte0OfWords = Bytes(j => 2 * j);

        /// <summary>Byte 1 of word j likewise.</summary>
        internal static readonly Vector512<byte> Byte1OfWords = Bytes(j => 2 * j + 1);

        /// <summary>Byte j of both sources side by side, j = 0..31: the low halves of 32 floats from two byte planes.</summary>
        internal static readonly Vector512<byte> LowBytePairs = Bytes(j => (j & 1) * 64 + (j >> 1));

        /// <summary>Likewise for j = 32..63.</summary>
        internal static readonly Vector512<byte> HighBytePairs = Bytes(j => (j & 1) * 64 + 32 + (j >> 1));

        /// <summary>
        /// Folding two vectors each of 16/p blocks × p partial maxima (block-major) into one of 32/p blocks × p/2: for
        /// output block q and partial k, partial 2k of that block (Even) and 2k + 1 (Odd), blocks of the first source then
        /// of the second.
        /// </summary>
        internal static readonly Vector512<uint> Fold16Even = Fold(16, 0);

        /// <summary>See <see cref="Fold16Even"/>.</summary>
        internal static readonly Vector512<uint> Fold16Odd = Fold(16, 1);

        /// <summary>See <see cref="Fold16Even"/>.</summary>
        internal static readonly Vector512<uint> Fold8Even = Fold(8, 0);

        /// <summary>See <see cref="Fold16Even"/>.</summary>
        internal static readonly Vector512<uint> Fold8Odd = Fold(8, 1);

        /// <summary>See <see cref="Fold16Even"/>.</summary>
        internal static readonly Vector512<uint> Fold4Even = Fold(4, 0);

        /// <summary>See <see cref="Fold16Even"/>.</summary>
        internal static readonly Vector512<uint> Fold4Odd = Fold(4, 1);

        /// <summary>See <see cref="Fold16Even"/>.</summary>
        internal static readonly Vector512<uint> Fold2Even = Fold(2, 0);

        /// <summary>See <see cref="Fold16Even"/>.</summary>
        internal static readonly Vector512<uint> Fold2Odd = Fold(2, 1);

        /// <summary>Word j of both sources side by side, j = 0..15: 16 floats from their two halves.</summary>
        internal static readonly Vector512<ushort> LowWordPairs = Words(j => (j & 1) * 32 + (j >> 1));

        /// <summary>Likewise for j = 16..31.</summary>
        internal static readonly Vector512<ushort> HighWordPairs = Words(j => (j & 1) * 32 + 16 + (j >> 1));

        private static Vector512<byte> Bytes(Func<int, int> index)
        {
            var bytes = new byte[64];
            for (int j = 0; j < bytes.Length; j++)
            {
                bytes[j] = (byte)index(j);
            }

            return Vector512.Create(bytes);
        }

        private static Vector512<uint> Fold(int p, int odd)
        {
            var dwords = new uint[16];
            int blocks = 16 / p;
            for (int o = 0; o < 16; o++)
            {
                int q = o / (p / 2), k = o % (p / 2);
                dwords[o] = (uint)((q < blocks ? q * p : 16 + (q - blocks) * p) + 2 * k + odd);
            }

            return Vector512.Create(dwords);
        }

        private static Vector512<ushort> Words(Func<int, int> index)
        {
            var words = new ushort[32];
            for (int j = 0; j < words.Length; j++)
            {
                words[j] = (ushort)index(j);
            }

            return Vector512.Create(words);
        }
    }

    private static void CheckLengths(int values, int codes, int maxima)
    {
        if (codes != values)
        {
            throw new ArgumentException($"Expected {values} codes, one per value, but got {codes}.", nameof(codes));
        }

        if (maxima != BlockCount(values))
        {
            throw new ArgumentException($"Expected {BlockCount(values)} block maxima for {values} values, but got {maxima}.", "maxima");
        }
    }
}
