using System;
using System.Collections.Generic;
using System.Linq;

namespace OptGen.Tests;

/// <summary>
/// Every lanes type (scalar, Vector128/256/512, unrolled by 2 and 4) against the scalar definition of each operation, on
/// NaN (of both signs, with a payload), ±0, ±∞, subnormals and ordinary values, float and double: a kernel is written
/// once for all of them, so they must agree bit for bit.
/// </summary>
public sealed class LanesTests
{
    public enum Op
    {
        Add, Subtract, Multiply, Divide, Negate, Sqrt, Max, Min, Abs, FusedMultiplyAdd,
        Sign, Clamp, LessThan, LessThanOrEqual, GreaterThan, GreaterThanOrEqual, Equal, NotEqual, Select, Exp, Log,
    }

    // Exp and Log are exact on one element only; their bound on vectors has its own test.
    public static TheoryData<Op> Ops => new(Enum.GetValues<Op>().Where(op => op is not (Op.Exp or Op.Log)));

    /// <summary>
    /// Exp and Log: one element is MathF's/Math's own result; every vector lanes type is within the bound ILanes
    /// documents (float 1 ulp, through double; double Exp 2 ulps, Log 3 ulps) on 200,000 random arguments across the
    /// whole range and on the edges, and exact where the result is exact (e⁰ = 1, ln 1 = 0, ±∞, 0, NaN).
    /// </summary>
    [Theory]
    [InlineData(Op.Exp, 1, 2)]
    [InlineData(Op.Log, 1, 3)]
    public void Exp_and_Log_on_vectors_are_within_their_ulp_bound(Op op, long floatBound, long doubleBound)
    {
        var random = new Random(7);
        float[] floats = [.. FloatEdges, 1f, -1f, .. Enumerable.Range(0, 200_000).Select(i => i % 4 == 0
            ? BitConverter.Int32BitsToSingle(random.Next())
            : (float)(((random.NextDouble() * 2) - 1) * (i % 4 == 1 ? 1 : i % 4 == 2 ? 20 : 100)))];
        double[] doubles = [.. DoubleEdges, .. Enumerable.Range(0, 200_000).Select(i => i % 4 == 0
            ? BitConverter.Int64BitsToDouble(random.NextInt64())
            : ((random.NextDouble() * 2) - 1) * (i % 4 == 1 ? 1 : i % 4 == 2 ? 50 : 750))];
        if (op == Op.Log)
        {
            floats = [.. floats.Select(MathF.Abs), -1f, -float.Epsilon];
            doubles = [.. doubles.Select(Math.Abs), -1d, -double.Epsilon];
        }

        AssertWithin(Float, floats, x => op == Op.Exp ? MathF.Exp(x) : MathF.Log(x), floatBound, Ulps.Between);
        AssertWithin(Double, doubles, x => op == Op.Exp ? Math.Exp(x) : Math.Log(x), doubleBound, Ulps.Between);

        void AssertWithin<T>(Kind<T> kind, T[] arguments, Func<T, T> reference, long bound, Func<T, T, long> ulps)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            T[] expected = [.. arguments.Select(reference)];
            for (int l = 0; l < kind.Lanes.Length; l++)
            {
                T[] actual = kind.Lanes[l](op, arguments, arguments, arguments);
                for (int i = 0; i < arguments.Length; i++)
                {
                    bool exactExpected = T.IsNaN(expected[i]) || T.IsInfinity(expected[i]) || expected[i] == T.Zero || expected[i] == T.One;
                    long distance = T.IsNaN(expected[i]) && T.IsNaN(actual[i]) ? 0 : ulps(expected[i], actual[i]);
                    long allowed = kind.Names[l].Contains("Vector", StringComparison.Ordinal) && !exactExpected ? bound : 0;
                    Assert.True(distance <= allowed, $"{op} on {kind.Names[l]} of {arguments[i]:R}: {actual[i]:R}, reference {expected[i]:R} ({distance} ulps, bound {allowed}).");
                }
            }
        }
    }

    private static readonly float[] FloatEdges =
    [
        float.NaN, -float.NaN, BitConverter.Int32BitsToSingle(0x7FC0_1234), 0f, -0f, float.PositiveInfinity, float.NegativeInfinity,
        float.Epsilon, -float.Epsilon, BitConverter.Int32BitsToSingle(0x0040_0000), 1f, -1f, 2.5f, -3f, 0.1f, float.MaxValue, float.MinValue,
    ];

    private static readonly double[] DoubleEdges =
    [
        double.NaN, -double.NaN, BitConverter.Int64BitsToDouble(0x7FF8_0000_DEAD_BEEF), 0d, -0d, double.PositiveInfinity, double.NegativeInfinity,
        double.Epsilon, -double.Epsilon, BitConverter.Int64BitsToDouble(0x0008_0000_0000_0000), 1d, -1d, 2.5d, -3d, 0.1d, double.MaxValue, double.MinValue,
    ];

    [Theory]
    [MemberData(nameof(Ops))]
    public void Every_float_lanes_type_matches_the_scalar_definition(Op op) => EveryLanesType(op, FloatEdges, Float);

    [Theory]
    [MemberData(nameof(Ops))]
    public void Every_double_lanes_type_matches_the_scalar_definition(Op op) => EveryLanesType(op, DoubleEdges, Double);

    [Fact]
    public void Sign_is_torch_sign_bit_for_bit()
    {
        // PyTorch 1.13.1 (Debian's python3-torch), torch.sign on CPU, 1 and 1200 elements (scalar and vectorised
        // kernels agree): NaN of either sign → +0, ±0 → +0, ±subnormal and ±∞ → ±1.
        //   torch.sign(torch.tensor([nan, -nan, 0.0, -0.0, inf, -inf, 1e-45, -1e-45, 2.5, -3.0], dtype=torch.float32))
        //   → bits 0x0 0x0 0x0 0x0 0x3f800000 0xbf800000 0x3f800000 0xbf800000 0x3f800000 0xbf800000
        //   float64 (with ±5e-324): 0x0 0x0 0x0 0x0 0x3ff0... 0xbff0... 0x3ff0... 0xbff0... 0x3ff0... 0xbff0...
        float[] floats = [float.NaN, -float.NaN, 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon, 2.5f, -3f];
        uint[] floatBits = [0x0, 0x0, 0x0, 0x0, 0x3f800000, 0xbf800000, 0x3f800000, 0xbf800000, 0x3f800000, 0xbf800000];
        double[] doubles = [double.NaN, -double.NaN, 0d, -0d, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, -double.Epsilon, 2.5d, -3d];
        ulong[] doubleBits = [0x0, 0x0, 0x0, 0x0, 0x3ff0000000000000, 0xbff0000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x3ff0000000000000, 0xbff0000000000000];

        Assert.Equal(floatBits, floats.Select(x => (uint)BitConverter.SingleToInt32Bits(Float.Scalar(Op.Sign, x, 0, 0))));
        Assert.Equal(doubleBits, doubles.Select(x => (ulong)BitConverter.DoubleToInt64Bits(Double.Scalar(Op.Sign, x, 0, 0))));
        foreach (Func<Op, float[], float[], float[], float[]> lanes in Float.Lanes)
        {
            Assert.Equal(floatBits, lanes(Op.Sign, floats, floats, floats).Select(x => (uint)BitConverter.SingleToInt32Bits(x)));
        }

        foreach (Func<Op, double[], double[], double[], double[]> lanes in Double.Lanes)
        {
            Assert.Equal(doubleBits, lanes(Op.Sign, doubles, doubles, doubles).Select(x => (ulong)BitConverter.DoubleToInt64Bits(x)));
        }
    }

    [Fact]
    public void Clamp_is_torch_clamp_with_scalar_bounds_bit_for_bit()
    {
        // PyTorch 1.13.1, torch.clamp(x, min, max) with float bounds, float32, 12 and 12000 elements (both kernels agree):
        //   x = [nan, -nan, 0.0, -0.0, inf, -inf, 1e-45, -1e-45, 0.5, -0.5, 2.0, -2.0]
        //   (0, 1)    → 0x7fc00000 0xffc00000 0x0 0x80000000 0x3f800000 0x0 0x1 0x0 0x3f000000 0x0 0x3f800000 0x0
        //   (-0, +0)  → 0x7fc00000 0xffc00000 0x0 0x80000000 0x0 0x80000000 0x0 0x80000000 0x0 0x80000000 0x0 0x80000000
        //   (1, -1)   → 0x7fc00000 0xffc00000 then 0xbf800000 everywhere (max wins)
        //   (nan, 1)  → 0x7fc00000 everywhere (a NaN bound fills NaN)
        // A NaN x keeps its bits, and −0 stays −0 against a bound of +0: the value is kept unless strictly outside.
        // .NET's float.NaN has the sign bit set; Python's nan has it clear.
        float[] x = [BitConverter.Int32BitsToSingle(0x7FC0_0000), BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0000)), 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon, 0.5f, -0.5f, 2f, -2f];
        float nan = BitConverter.Int32BitsToSingle(0x7FC0_0000);
        var cases = new (float Min, float Max, uint[] Bits)[]
        {
            (0f, 1f, [0x7fc00000, 0xffc00000, 0x0, 0x80000000, 0x3f800000, 0x0, 0x1, 0x0, 0x3f000000, 0x0, 0x3f800000, 0x0]),
            (-0f, 0f, [0x7fc00000, 0xffc00000, 0x0, 0x80000000, 0x0, 0x80000000, 0x0, 0x80000000, 0x0, 0x80000000, 0x0, 0x80000000]),
            (1f, -1f, [0x7fc00000, 0xffc00000, .. Enumerable.Repeat(0xbf800000u, 10)]),
            (nan, 1f, [.. Enumerable.Repeat(0x7fc00000u, 12)]),
            (0f, nan, [.. Enumerable.Repeat(0x7fc00000u, 12)]),
        };
        foreach ((float min, float max, uint[] bits) in cases)
        {
            float[] mins = [.. x.Select(_ => min)];
            float[] maxs = [.. x.Select(_ => max)];
            Assert.Equal(bits, x.Select(v => (uint)BitConverter.SingleToInt32Bits(Float.Scalar(Op.Clamp, v, min, max))));
            foreach (Func<Op, float[], float[], float[], float[]> lanes in Float.Lanes)
            {
                Assert.Equal(bits, lanes(Op.Clamp, x, mins, maxs).Select(v => (uint)BitConverter.SingleToInt32Bits(v)));
            }
        }

        // float64 gives the same pattern; its NaN fill is 0x7ff8000000000000.
        double[] dx = [BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000), -0d, 2d, -2d];
        ulong[] dbits = [0x7ff8000000000000, 0x8000000000000000, 0x3ff0000000000000, 0x0];
        Assert.Equal(dbits, dx.Select(v => (ulong)BitConverter.DoubleToInt64Bits(Double.Scalar(Op.Clamp, v, 0d, 1d))));
        Assert.Equal(0x7ff8000000000000UL, (ulong)BitConverter.DoubleToInt64Bits(Double.Scalar(Op.Clamp, 0.5, double.NaN, 1d)));
    }

    [Fact]
    public void StepMath_is_the_lanes_sign_and_clamp_for_per_step_scalars()
    {
        // Generated Step methods call these for per-step scalars; they must agree with the element operations.
        foreach (double x in DoubleEdges)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(ScalarDouble(Op.Sign, x, 0, 0)), BitConverter.DoubleToInt64Bits(StepMath.Sign(x)));
            foreach (double low in DoubleEdges)
            {
                foreach (double high in DoubleEdges)
                {
                    Assert.Equal(BitConverter.DoubleToInt64Bits(ScalarDouble(Op.Clamp, x, low, high)), BitConverter.DoubleToInt64Bits(StepMath.Clamp(x, low, high)));
                }
            }
        }
    }

    [Fact]
    public void Comparisons_give_whole_lane_masks()
    {
        foreach (Func<Op, double[], double[], double[], double[]> lanes in Double.Lanes)
        {
            double[] mask = lanes(Op.LessThan, [1, 2, double.NaN, -0d], [2, 1, 1, 0d], [0, 0, 0, 0]);
            Assert.Equal([-1L, 0L, 0L, 0L], mask.Select(BitConverter.DoubleToInt64Bits));
            mask = lanes(Op.NotEqual, [1, double.NaN, -0d, 3], [1, double.NaN, 0d, 4], [0, 0, 0, 0]);
            Assert.Equal([0L, -1L, 0L, -1L], mask.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    private static void EveryLanesType<T>(Op op, T[] edges, Kind<T> kind)
        where T : unmanaged, IEquatable<T>
    {
        // Every pair of edges for binary operations, and every triple of a smaller set for ternary ones.
        var a = new List<T>();
        var b = new List<T>();
        var c = new List<T>();
        T[] few = [.. edges.Where((_, i) => i % 2 == 0)];
        foreach (T x in few)
        {
            foreach (T y in edges)
            {
                foreach (T z in few)
                {
                    a.Add(x);
                    b.Add(y);
                    c.Add(z);
                }
            }
        }

        foreach (T x in edges)
        {
            foreach (T y in edges)
            {
                a.Add(x);
                b.Add(y);
                c.Add(x);
            }
        }

        T[] left = [.. a], middle = [.. b], right = [.. c];
        if (op == Op.Select)
        {
            // The mask operand is a comparison's: whole lanes of ones or zeros.
            left = kind.Lanes[0](Op.LessThan, left, middle, right);
        }

        T[] expected = [.. left.Select((_, i) => kind.Scalar(op, left[i], middle[i], right[i]))];
        for (int l = 0; l < kind.Lanes.Length; l++)
        {
            T[] actual = kind.Lanes[l](op, left, middle, right);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(
                    kind.Same(op, expected[i], actual[i]),
                    $"{op} on lanes type {l} ({kind.Names[l]}), element {i}: ({left[i]}, {middle[i]}, {right[i]}) gave {actual[i]}, expected {expected[i]}.");
            }
        }
    }

    /// <summary>An element type: its scalar definitions and every lanes type over it.</summary>
    private sealed record Kind<T>(Func<Op, T, T, T, T> Scalar, Func<Op, T[], T[], T[], T[]>[] Lanes, string[] Names, Func<Op, T, T, bool> Same)
        where T : unmanaged;

    private static readonly string[] LanesNames = ["Scalar", "Vector128", "Vector256", "Vector512", "Unrolled2<Vector128>", "Unrolled4<Vector256>", "Unrolled4<Scalar>"];

    private static readonly Kind<float> Float = new(
        ScalarFloat,
        [
            Apply<ScalarLanes<float>, float>, Apply<Vector128Lanes<float>, float>, Apply<Vector256Lanes<float>, float>, Apply<Vector512Lanes<float>, float>,
            Apply<Unrolled2<Vector128Lanes<float>, float>, float>, Apply<Unrolled4<Vector256Lanes<float>, float>, float>, Apply<Unrolled4<ScalarLanes<float>, float>, float>,
        ],
        LanesNames,
        (op, x, y) => BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits(y) || (NaNBitsMayDiffer(op) && float.IsNaN(x) && float.IsNaN(y)));

    private static readonly Kind<double> Double = new(
        ScalarDouble,
        [
            Apply<ScalarLanes<double>, double>, Apply<Vector128Lanes<double>, double>, Apply<Vector256Lanes<double>, double>, Apply<Vector512Lanes<double>, double>,
            Apply<Unrolled2<Vector128Lanes<double>, double>, double>, Apply<Unrolled4<Vector256Lanes<double>, double>, double>, Apply<Unrolled4<ScalarLanes<double>, double>, double>,
        ],
        LanesNames,
        (op, x, y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y) || (NaNBitsMayDiffer(op) && double.IsNaN(x) && double.IsNaN(y)));

    // Arithmetic passes on one of its NaN operands' payloads, which the hardware picks by operand position, and that is
    // not the same across instruction sets; the other operations define their result's bits.
    private static bool NaNBitsMayDiffer(Op op) => op is Op.Add or Op.Subtract or Op.Multiply or Op.Divide or Op.Sqrt or Op.Max or Op.Min or Op.FusedMultiplyAdd;

    // The scalar definitions, written out here rather than taken from the library.
    private static float ScalarFloat(Op op, float x, float y, float z) => op switch
    {
        Op.Add => x + y,
        Op.Subtract => x - y,
        Op.Multiply => x * y,
        Op.Divide => x / y,
        Op.Negate => -x,
        Op.Sqrt => MathF.Sqrt(x),
        Op.Max => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : x == y ? (float.IsNegative(x) ? y : x) : x > y ? x : y,
        Op.Min => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : x == y ? (float.IsNegative(x) ? x : y) : x < y ? x : y,
        Op.Abs => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(x) & 0x7FFF_FFFF),
        Op.FusedMultiplyAdd => MathF.FusedMultiplyAdd(x, y, z),
        Op.Sign => x > 0 ? 1f : x < 0 ? -1f : 0f,
        Op.Clamp => float.IsNaN(y) || float.IsNaN(z) ? BitConverter.Int32BitsToSingle(0x7FC0_0000) : z < (x < y ? y : x) ? z : (x < y ? y : x),
        Op.LessThan => MaskF(x < y),
        Op.LessThanOrEqual => MaskF(x <= y),
        Op.GreaterThan => MaskF(x > y),
        Op.GreaterThanOrEqual => MaskF(x >= y),
        Op.Equal => MaskF(x == y),
        Op.NotEqual => MaskF(x != y),
        _ => BitConverter.SingleToInt32Bits(x) == -1 ? y : z,
    };

    private static double ScalarDouble(Op op, double x, double y, double z) => op switch
    {
        Op.Add => x + y,
        Op.Subtract => x - y,
        Op.Multiply => x * y,
        Op.Divide => x / y,
        Op.Negate => -x,
        Op.Sqrt => Math.Sqrt(x),
        Op.Max => double.IsNaN(x) || double.IsNaN(y) ? double.NaN : x == y ? (double.IsNegative(x) ? y : x) : x > y ? x : y,
        Op.Min => double.IsNaN(x) || double.IsNaN(y) ? double.NaN : x == y ? (double.IsNegative(x) ? x : y) : x < y ? x : y,
        Op.Abs => BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) & 0x7FFF_FFFF_FFFF_FFFF),
        Op.FusedMultiplyAdd => Math.FusedMultiplyAdd(x, y, z),
        Op.Sign => x > 0 ? 1d : x < 0 ? -1d : 0d,
        Op.Clamp => double.IsNaN(y) || double.IsNaN(z) ? BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000) : z < (x < y ? y : x) ? z : (x < y ? y : x),
        Op.LessThan => MaskD(x < y),
        Op.LessThanOrEqual => MaskD(x <= y),
        Op.GreaterThan => MaskD(x > y),
        Op.GreaterThanOrEqual => MaskD(x >= y),
        Op.Equal => MaskD(x == y),
        Op.NotEqual => MaskD(x != y),
        _ => BitConverter.DoubleToInt64Bits(x) == -1 ? y : z,
    };

    private static float MaskF(bool value) => BitConverter.Int32BitsToSingle(value ? -1 : 0);

    private static double MaskD(bool value) => BitConverter.Int64BitsToDouble(value ? -1 : 0);

    /// <summary>Applies <paramref name="op"/> lanewise, <typeparamref name="TLanes"/>.Count elements at a time (the inputs padded with their first element).</summary>
    private static T[] Apply<TLanes, T>(Op op, T[] x, T[] y, T[] z)
        where TLanes : struct, ILanes<TLanes, T>
        where T : unmanaged
    {
        int count = TLanes.Count;
        int padded = (x.Length + count - 1) / count * count;
        T[] Pad(T[] source) => [.. source, .. Enumerable.Repeat(source[0], padded - source.Length)];
        T[] a = Pad(x), b = Pad(y), c = Pad(z);
        var result = new T[padded];
        for (int i = 0; i < padded; i += count)
        {
            TLanes p = TLanes.Load(ref a[0], (nuint)i);
            TLanes q = TLanes.Load(ref b[0], (nuint)i);
            TLanes r = TLanes.Load(ref c[0], (nuint)i);
            TLanes value = op switch
            {
                Op.Add => p + q,
                Op.Subtract => p - q,
                Op.Multiply => p * q,
                Op.Divide => p / q,
                Op.Negate => -p,
                Op.Sqrt => TLanes.Sqrt(p),
                Op.Max => TLanes.Max(p, q),
                Op.Min => TLanes.Min(p, q),
                Op.Abs => TLanes.Abs(p),
                Op.FusedMultiplyAdd => TLanes.FusedMultiplyAdd(p, q, r),
                Op.Sign => TLanes.Sign(p),
                Op.Clamp => TLanes.Clamp(p, q, r),
                Op.LessThan => TLanes.LessThan(p, q),
                Op.LessThanOrEqual => TLanes.LessThanOrEqual(p, q),
                Op.GreaterThan => TLanes.GreaterThan(p, q),
                Op.GreaterThanOrEqual => TLanes.GreaterThanOrEqual(p, q),
                Op.Equal => TLanes.Equal(p, q),
                Op.NotEqual => TLanes.NotEqual(p, q),
                Op.Exp => TLanes.Exp(p),
                Op.Log => TLanes.Log(p),
                _ => TLanes.ConditionalSelect(p, q, r),
            };
            TLanes.Store(value, ref result[0], (nuint)i);
        }

        return result[..x.Length];
    }
}
