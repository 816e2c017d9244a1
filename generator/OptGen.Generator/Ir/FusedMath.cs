using System;
using System.Numerics;

namespace OptGen.Generator.Ir;

/// <summary>
/// Correctly rounded fused multiply-add for the interpreter: netstandard2.0 has no <c>Math.FusedMultiplyAdd</c>, and the
/// interpreter must round exactly as the hardware FMA in the emitted kernels does. Computes a·b + c exactly as a big
/// integer times a power of two, then rounds once (to nearest, ties to even), subnormals included.
/// </summary>
internal static class FusedMath
{
    public static double MultiplyAdd(double a, double b, double c) => Fused(a, b, c, precision: 53, minExponent: -1074);

    public static float MultiplyAdd(float a, float b, float c) => (float)Fused(a, b, c, precision: 24, minExponent: -149);

    private static double Fused(double a, double b, double c, int precision, int minExponent)
    {
        if (double.IsNaN(a) || double.IsNaN(b) || double.IsNaN(c) || double.IsInfinity(a) || double.IsInfinity(b) || double.IsInfinity(c)
            || a == 0 || b == 0)
        {
            // Special values and exact-zero products: plain arithmetic already gives the IEEE result.
            return (a * b) + c;
        }

        (BigInteger productMantissa, int productExponent) = Decompose(a);
        (BigInteger bMantissa, int bExponent) = Decompose(b);
        productMantissa *= bMantissa;
        productExponent += bExponent;
        if (c == 0)
        {
            return Round(productMantissa, productExponent, precision, minExponent);
        }

        (BigInteger cMantissa, int cExponent) = Decompose(c);
        int exponent = Math.Min(productExponent, cExponent);
        BigInteger sum = (productMantissa << (productExponent - exponent)) + (cMantissa << (cExponent - exponent));
        return sum.IsZero ? 0.0 : Round(sum, exponent, precision, minExponent);
    }

    // x = mantissa · 2^exponent, mantissa signed.
    private static (BigInteger Mantissa, int Exponent) Decompose(double x)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        int biased = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & 0xFFFFFFFFFFFFFL;
        long mantissa = biased == 0 ? fraction : fraction | (1L << 52);
        int exponent = biased == 0 ? -1074 : biased - 1075;
        return (bits < 0 ? -mantissa : mantissa, exponent);
    }

    private static double Round(BigInteger value, int exponent, int precision, int minExponent)
    {
        int sign = value.Sign;
        BigInteger magnitude = BigInteger.Abs(value);
        int length = BitLength(magnitude);
        int shift = length - precision;
        if (exponent + shift < minExponent)
        {
            shift = minExponent - exponent;
        }

        if (shift > 0)
        {
            BigInteger quotient = magnitude >> shift;
            BigInteger remainder = magnitude - (quotient << shift);
            BigInteger half = BigInteger.One << (shift - 1);
            if (remainder > half || (remainder == half && !quotient.IsEven))
            {
                quotient += 1;
            }

            magnitude = quotient;
            exponent += shift;
        }

        double result = ScaleByPowerOfTwo((double)magnitude, exponent);
        return sign < 0 ? -result : result;
    }

    private static int BitLength(BigInteger value)
    {
        byte[] bytes = value.ToByteArray();
        int top = bytes.Length - 1;
        while (top > 0 && bytes[top] == 0)
        {
            top--;
        }

        int bits = top * 8;
        for (int b = bytes[top]; b != 0; b >>= 1)
        {
            bits++;
        }

        return bits;
    }

    // The result is exactly representable (or overflows), so scaling in steps loses nothing.
    private static double ScaleByPowerOfTwo(double x, int exponent)
    {
        while (exponent > 0)
        {
            int step = Math.Min(exponent, 1000);
            x *= BitConverter.Int64BitsToDouble((long)(step + 1023) << 52);
            exponent -= step;
        }

        while (exponent < 0)
        {
            int step = Math.Max(exponent, -1000);
            x *= BitConverter.Int64BitsToDouble((long)(step + 1023) << 52);
            exponent -= step;
        }

        return x;
    }
}
