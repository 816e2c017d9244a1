using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OptGen;

/// <summary>
/// bfloat16: a 2-byte float with float's sign and 8-bit exponent and the top 7 bits of its mantissa — the upper half of
/// a <see cref="float"/>. Widening is exact (the bits shifted up); narrowing rounds to nearest, ties to even, as
/// PyTorch's <c>.to(torch.bfloat16)</c>, and overflows to ±∞; every NaN becomes the NaN 0xFFFF, PyTorch's (bit for bit
/// PyTorch 1.13's conversion on all tested inputs, its scalar and vectorized kernels alike).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>, IComparable, ISpanFormattable
{
    private readonly ushort _bits;

    private BFloat16(ushort bits)
    {
        _bits = bits;
    }

    /// <summary>+0.</summary>
    public static BFloat16 Zero => default;

    /// <summary>1.</summary>
    public static BFloat16 One => new(0x3F80);

    /// <summary>The NaN every NaN narrows to: 0xFFFF, as PyTorch's conversion gives.</summary>
    public static BFloat16 NaN => new(0xFFFF);

    /// <summary>+∞.</summary>
    public static BFloat16 PositiveInfinity => new(0x7F80);

    /// <summary>−∞.</summary>
    public static BFloat16 NegativeInfinity => new(0xFF80);

    /// <summary>The largest finite value, (2 − 2⁻⁷)·2¹²⁷ ≈ 3.39e38.</summary>
    public static BFloat16 MaxValue => new(0x7F7F);

    /// <summary>The most negative finite value.</summary>
    public static BFloat16 MinValue => new(0xFF7F);

    /// <summary>The smallest positive value, a subnormal: 2⁻¹³³ ≈ 9.18e-41.</summary>
    public static BFloat16 Epsilon => new(0x0001);

    /// <summary>The raw bits: sign, 8 exponent bits, 7 mantissa bits.</summary>
    public ushort Bits => _bits;

    /// <summary>The value with these raw bits.</summary>
    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>Whether the value is a NaN.</summary>
    public static bool IsNaN(BFloat16 value) => (value._bits & 0x7FFF) > 0x7F80;

    /// <summary>Whether the value is +∞ or −∞.</summary>
    public static bool IsInfinity(BFloat16 value) => (value._bits & 0x7FFF) == 0x7F80;

    /// <summary>Whether the value is neither NaN nor infinite.</summary>
    public static bool IsFinite(BFloat16 value) => (value._bits & 0x7F80) != 0x7F80;

    /// <summary>The exact float: the bits shifted into a float's upper half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static explicit operator float(BFloat16 value) => BitConverter.Int32BitsToSingle(value._bits << 16);

    /// <summary>The exact double.</summary>
    public static explicit operator double(BFloat16 value) => (float)value;

    /// <summary>The nearest bfloat16, ties to even; ±∞ beyond the range; a NaN becomes <see cref="NaN"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static explicit operator BFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
        {
            return NaN;
        }

        // Adding 0x7FFF plus the lowest kept bit rounds half to even; a carry into the exponent is the correct rounding
        // up (to the next binade, or from the largest finite value to ∞).
        return new((ushort)((bits + 0x7FFFu + ((bits >> 16) & 1)) >> 16));
    }

    /// <summary>
    /// The nearest bfloat16 to a double, ties to even, rounded once: through a float rounded to odd, which keeps the
    /// information a second rounding needs (two roundings to nearest could round a value just above a tie to the tie,
    /// then to even).
    /// </summary>
    public static explicit operator BFloat16(double value)
    {
        float nearest = (float)value;
        if (float.IsNaN(nearest) || float.IsInfinity(nearest) || (double)nearest == value)
        {
            return (BFloat16)nearest;
        }

        // Round to odd: truncate toward zero, then set the lowest bit if anything was cut off.
        float truncated = Math.Abs((double)nearest) > Math.Abs(value) ? MathF.BitDecrement(Math.Abs(nearest)) * MathF.Sign(nearest) : nearest;
        uint bits = BitConverter.SingleToUInt32Bits(truncated) | 1;
        return (BFloat16)BitConverter.UInt32BitsToSingle(bits);
    }

    /// <summary>IEEE equality: NaN equals nothing, +0 equals −0.</summary>
    public static bool operator ==(BFloat16 left, BFloat16 right) => (float)left == (float)right;

    /// <summary>IEEE inequality.</summary>
    public static bool operator !=(BFloat16 left, BFloat16 right) => (float)left != (float)right;

    /// <summary>IEEE ordering (false if either is NaN).</summary>
    public static bool operator <(BFloat16 left, BFloat16 right) => (float)left < (float)right;

    /// <summary>IEEE ordering (false if either is NaN).</summary>
    public static bool operator >(BFloat16 left, BFloat16 right) => (float)left > (float)right;

    /// <summary>IEEE ordering (false if either is NaN).</summary>
    public static bool operator <=(BFloat16 left, BFloat16 right) => (float)left <= (float)right;

    /// <summary>IEEE ordering (false if either is NaN).</summary>
    public static bool operator >=(BFloat16 left, BFloat16 right) => (float)left >= (float)right;

    /// <summary>As <see cref="float.Equals(float)"/>: NaN equals NaN, +0 equals −0.</summary>
    public bool Equals(BFloat16 other) => ((float)this).Equals((float)other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => ((float)this).GetHashCode();

    /// <summary>As <see cref="float.CompareTo(float)"/>: NaN below everything.</summary>
    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    /// <inheritdoc/>
    public int CompareTo(object? obj) => obj switch
    {
        null => 1,
        BFloat16 other => CompareTo(other),
        _ => throw new ArgumentException("Not a BFloat16.", nameof(obj)),
    };

    /// <summary>The shortest decimal that rounds back to this value (e.g. 0.1, not 0.10009765625), culture-invariant.</summary>
    public override string ToString() => ToString(null, CultureInfo.InvariantCulture);

    /// <summary>
    /// As <see cref="float.ToString(string?, IFormatProvider?)"/> of the exact value; with no format (or "R"), the
    /// shortest decimal that rounds back to this bfloat16.
    /// </summary>
    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        float value = (float)this;
        if (!string.IsNullOrEmpty(format) && format != "R")
        {
            return value.ToString(format, formatProvider);
        }

        if (!float.IsFinite(value))
        {
            return value.ToString(formatProvider);
        }

        for (int digits = 1; digits < 9; digits++)
        {
            string text = value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), formatProvider);
            if (float.TryParse(text, NumberStyles.Float, formatProvider, out float parsed) && ((BFloat16)parsed)._bits == _bits)
            {
                return text;
            }
        }

        return value.ToString("R", formatProvider);
    }

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        string text = ToString(format.IsEmpty ? null : format.ToString(), provider);
        if (!text.AsSpan().TryCopyTo(destination))
        {
            charsWritten = 0;
            return false;
        }

        charsWritten = text.Length;
        return true;
    }

    /// <summary>Widens every value exactly; vectorized.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ConvertToSingle(ReadOnlySpan<BFloat16> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values, fewer than the source's {source.Length}.", nameof(destination));
        }

        // References rather than slices: the conversions run once per chunk of every mixed-precision step, where bounds
        // checks cost more than the widening itself.
        ref ushort bits = ref Unsafe.As<BFloat16, ushort>(ref MemoryMarshal.GetReference(source));
        ref uint wide = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        nuint length = (nuint)source.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector512<uint>.Count <= length; i += (nuint)Vector512<uint>.Count)
            {
                (Vector512.WidenLower(Vector256.LoadUnsafe(ref bits, i).ToVector512Unsafe()) << 16).StoreUnsafe(ref wide, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector256<uint>.Count <= length; i += (nuint)Vector256<uint>.Count)
            {
                (Vector256.WidenLower(Vector128.LoadUnsafe(ref bits, i).ToVector256Unsafe()) << 16).StoreUnsafe(ref wide, i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector128<uint>.Count <= length; i += (nuint)Vector128<uint>.Count)
            {
                (Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref bits, i)))).AsUInt16()) << 16).StoreUnsafe(ref wide, i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref wide, i) = (uint)Unsafe.Add(ref bits, i) << 16;
        }
    }

    /// <summary>Narrows every value as the explicit conversion does (ties to even, NaN kept); vectorized.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ConvertFromSingle(ReadOnlySpan<float> source, Span<BFloat16> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values, fewer than the source's {source.Length}.", nameof(destination));
        }

        ref uint bits = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort narrow = ref Unsafe.As<BFloat16, ushort>(ref MemoryMarshal.GetReference(destination));
        nuint length = (nuint)source.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector512<ushort>.Count <= length; i += (nuint)Vector512<ushort>.Count)
            {
                Vector512<uint> lower = Round(Vector512.LoadUnsafe(ref bits, i));
                Vector512<uint> upper = Round(Vector512.LoadUnsafe(ref bits, i + (nuint)Vector512<uint>.Count));
                Vector512.Narrow(lower, upper).StoreUnsafe(ref narrow, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector256<ushort>.Count <= length; i += (nuint)Vector256<ushort>.Count)
            {
                Vector256<uint> lower = Round(Vector256.LoadUnsafe(ref bits, i));
                Vector256<uint> upper = Round(Vector256.LoadUnsafe(ref bits, i + (nuint)Vector256<uint>.Count));
                Vector256.Narrow(lower, upper).StoreUnsafe(ref narrow, i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector128<ushort>.Count <= length; i += (nuint)Vector128<ushort>.Count)
            {
                Vector128<uint> lower = Round(Vector128.LoadUnsafe(ref bits, i));
                Vector128<uint> upper = Round(Vector128.LoadUnsafe(ref bits, i + (nuint)Vector128<uint>.Count));
                Vector128.Narrow(lower, upper).StoreUnsafe(ref narrow, i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref narrow, i) = ((BFloat16)BitConverter.UInt32BitsToSingle(Unsafe.Add(ref bits, i)))._bits;
        }
    }

    // The scalar conversion's arithmetic on whole lanes: the bfloat16 in each lane's lower 16 bits.
    private static Vector512<uint> Round(Vector512<uint> bits)
    {
        Vector512<uint> rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        Vector512<uint> isNaN = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        return Vector512.ConditionalSelect(isNaN, Vector512.Create(0xFFFFu), rounded);
    }

    private static Vector256<uint> Round(Vector256<uint> bits)
    {
        Vector256<uint> rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        Vector256<uint> isNaN = Vector256.GreaterThan(bits & Vector256.Create(0x7FFF_FFFFu), Vector256.Create(0x7F80_0000u));
        return Vector256.ConditionalSelect(isNaN, Vector256.Create(0xFFFFu), rounded);
    }

    private static Vector128<uint> Round(Vector128<uint> bits)
    {
        Vector128<uint> rounded = (bits + Vector128.Create(0x7FFFu) + ((bits >> 16) & Vector128<uint>.One)) >> 16;
        Vector128<uint> isNaN = Vector128.GreaterThan(bits & Vector128.Create(0x7FFF_FFFFu), Vector128.Create(0x7F80_0000u));
        return Vector128.ConditionalSelect(isNaN, Vector128.Create(0xFFFFu), rounded);
    }
}
