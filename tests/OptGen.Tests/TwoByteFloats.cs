using System;
using System.Runtime.CompilerServices;

namespace OptGen.Tests;

/// <summary>Test values of the 2-byte floats, <see cref="Half"/> and <see cref="BFloat16"/>, made from their bits.</summary>
internal static class TwoByteFloats
{
    /// <summary>The value with these bits.</summary>
    public static T FromBits<T>(int bits)
        where T : unmanaged => Unsafe.BitCast<ushort, T>((ushort)bits);

    /// <summary>The exact float, by .NET's own conversions (not the runtime's vector code under test).</summary>
    public static float Widen<T>(T value)
        where T : unmanaged => typeof(T) == typeof(Half) ? (float)Unsafe.BitCast<T, Half>(value) : (float)Unsafe.BitCast<T, BFloat16>(value);

    public static float[] Widen<T>(T[] values)
        where T : unmanaged => Array.ConvertAll(values, Widen);

    /// <summary>By the types' own IsFinite.</summary>
    public static bool IsFinite<T>(T value)
        where T : unmanaged => typeof(T) == typeof(Half) ? Half.IsFinite(Unsafe.BitCast<T, Half>(value)) : BFloat16.IsFinite(Unsafe.BitCast<T, BFloat16>(value));

    /// <summary>±∞, quiet and signalling NaNs of both signs, the largest NaN payload.</summary>
    public static T[] NonFinite<T>()
        where T : unmanaged
    {
        int infinity = Exponent<T>();
        int quiet = infinity | ((Mantissa<T>() + 1) >> 1);
        return [FromBits<T>(infinity), FromBits<T>(infinity | 0x8000), FromBits<T>(quiet), FromBits<T>(quiet | 0x8000), FromBits<T>(infinity | 1), FromBits<T>(0x8000 | infinity | 1), FromBits<T>(0xFFFF)];
    }

    /// <summary>Random finite values over the whole range, a third of them the extremes: ±max, ±0, the smallest and largest subnormals, the smallest normal.</summary>
    public static T[] FiniteValues<T>(int length, Random random)
        where T : unmanaged
    {
        int exponent = Exponent<T>(), mantissa = Mantissa<T>();
        int[] special = [exponent - 1, 0x8000 | (exponent - 1), 0, 0x8000, 1, 0x8001, mantissa, 0x8000 | mantissa, mantissa + 1, 0x8000 | (mantissa + 1)];
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = FromBits<T>(random.Next(3) == 0 ? special[random.Next(special.Length)] : random.Next(exponent) | (random.Next(2) << 15));
        }

        return values;
    }

    /// <summary>The exponent bits: ∞'s bits.</summary>
    private static int Exponent<T>()
        where T : unmanaged => typeof(T) == typeof(Half) ? 0x7C00 : 0x7F80;

    private static int Mantissa<T>()
        where T : unmanaged => ~Exponent<T>() & 0x7FFF;
}
