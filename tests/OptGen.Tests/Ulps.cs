using System;

namespace OptGen.Tests;

/// <summary>Distance between floating-point numbers in units in the last place (representable values in between).</summary>
internal static class Ulps
{
    public static long Between(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b))
        {
            return float.IsNaN(a) && float.IsNaN(b) ? 0 : long.MaxValue;
        }

        return Math.Abs(Ordered(BitConverter.SingleToInt32Bits(a)) - Ordered(BitConverter.SingleToInt32Bits(b)));
    }

    public static long Between(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
        {
            return double.IsNaN(a) && double.IsNaN(b) ? 0 : long.MaxValue;
        }

        long x = Ordered(BitConverter.DoubleToInt64Bits(a));
        long y = Ordered(BitConverter.DoubleToInt64Bits(b));
        return (x >= 0) == (y >= 0) ? Math.Abs(x - y) : (long)Math.Min((ulong)Math.Abs((decimal)x - y), long.MaxValue);
    }

    // Maps the sign-magnitude bit pattern to a two's-complement order: -0 and +0 both map to 0.
    private static long Ordered(int bits) => bits < 0 ? -(long)(bits & int.MaxValue) : bits;

    private static long Ordered(long bits) => bits < 0 ? -(bits & long.MaxValue) : bits;
}
