using System;
using System.Linq;
using System.Runtime.CompilerServices;

namespace OptGen.Tests;

/// <summary>
/// The runtime's element loop with a hand-written update: every width, unroll factor and length gives the bits of a
/// plain scalar loop of the same formula, with the overlapping last vector; bad arguments change nothing.
/// </summary>
public sealed class ElementLoopTests
{
    [Fact]
    public void Every_length_and_unroll_factor_gives_the_bits_of_a_plain_loop()
    {
        foreach (int length in new[] { 0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 1000, 1027 })
        {
            float[] expected = Run(new PeakUpdate(0.25f), length, plain: true);
            Assert.Equal(expected, Run(new PeakUpdate(0.25f), length, plain: false));
            Assert.Equal(expected, Run(new PeakUpdateUnrolledOnce(0.25f), length, plain: false));
            Assert.Equal(expected, Run(new PeakUpdateUnrolledTwice(0.25f), length, plain: false));
        }
    }

    [Fact]
    public void Every_lanes_type_is_its_elements_and_nothing_else()
    {
        // The loop hands an update references into the streams as references to lanes.
        Assert.Equal(sizeof(float), Unsafe.SizeOf<ScalarLanes<float>>());
        Assert.Equal(16, Unsafe.SizeOf<Vector128Lanes<float>>());
        Assert.Equal(32, Unsafe.SizeOf<Vector256Lanes<double>>());
        Assert.Equal(64, Unsafe.SizeOf<Vector512Lanes<float>>());
        Assert.Equal(2 * 64, Unsafe.SizeOf<Unrolled2<Vector512Lanes<float>, float>>());
        Assert.Equal(4 * 32, Unsafe.SizeOf<Unrolled4<Vector256Lanes<double>, double>>());
        Assert.Equal(Unrolled4<Vector512Lanes<float>, float>.Count * sizeof(float), Unsafe.SizeOf<Unrolled4<Vector512Lanes<float>, float>>());
    }

    [Fact]
    public void Doubles_take_the_same_path_as_floats()
    {
        double[] parameters = Enumerable.Range(0, 37).Select(i => (double)i).ToArray();
        double[] gradients = Enumerable.Range(0, 37).Select(i => 1.0).ToArray();
        KernelPath path = ElementLoop.Run(new AddGradient(), parameters, gradients);
        Assert.Equal(Enumerable.Range(0, 37).Select(i => i + 1.0), parameters);
        KernelPath widest = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? KernelPath.Vector512
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? KernelPath.Vector256
            : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? KernelPath.Vector128
            : KernelPath.Scalar;
        Assert.Equal(widest, path);
    }

    [Fact]
    public void Bad_arguments_throw_before_anything_is_written()
    {
        float[] parameters = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        float[] peak = new float[9];
        var update = new PeakUpdate(0.5f);
        AssertUntouched("gradients", () => ElementLoop.Run(update, parameters, new float[8], peak));
        AssertUntouched("state0", () => ElementLoop.Run(update, parameters, new float[9], new float[10]));
        AssertUntouched("state1", () => ElementLoop.Run(update, parameters, new float[9], peak, new float[9]));
        AssertUntouched("update", () => ElementLoop.Run(new BadUnroll(), parameters, new float[9]));
        Assert.Throws<NotSupportedException>(() => ElementLoop.Run(new IntegerUpdate(), new int[4], new int[4]));

        void AssertUntouched(string argument, Action call)
        {
            ArgumentException error = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(argument, error.ParamName);
            Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], parameters);
            Assert.All(peak, value => Assert.Equal(0, value));
        }
    }

    private static float[] Run<TUpdate>(TUpdate update, int length, bool plain)
        where TUpdate : struct, IElementUpdate<float>
    {
        var random = new Random(length);
        float[] parameters = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        float[] gradients = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        float[] peak = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
        if (plain)
        {
            for (int i = 0; i < length; i++)
            {
                float newPeak = MathF.Max(MathF.Abs(gradients[i]), peak[i] * 0.9f);
                peak[i] = newPeak;
                parameters[i] = MathF.FusedMultiplyAdd(-0.25f, gradients[i] / (newPeak + 1f), parameters[i]);
            }
        }
        else
        {
            ElementLoop.Run(update, parameters, gradients, peak);
        }

        return [.. parameters, .. peak];
    }

    // peak ← max(|g|, 0.9·peak); p ← fma(−rate, g / (peak + 1), p).
    private readonly struct PeakUpdate(float rate) : IElementUpdate<float>
    {
        public static int StateCount => 1;

        public void Invoke<TLanes>(ref TLanes parameter, TLanes gradient, ref TLanes state0, ref TLanes state1, ref TLanes state2, ref TLanes state3)
            where TLanes : struct, ILanes<TLanes, float> => Peak(rate, ref parameter, gradient, ref state0);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Peak<TLanes>(float rate, ref TLanes parameter, TLanes gradient, ref TLanes peak)
            where TLanes : struct, ILanes<TLanes, float>
        {
            TLanes newPeak = TLanes.Max(TLanes.Abs(gradient), peak * TLanes.Create(0.9f));
            peak = newPeak;
            parameter = TLanes.FusedMultiplyAdd(-TLanes.Create(rate), gradient / (newPeak + TLanes.Create(1f)), parameter);
        }
    }

    private readonly struct PeakUpdateUnrolledOnce(float rate) : IElementUpdate<float>
    {
        public static int StateCount => 1;

        public static int UnrollFactor => 1;

        public void Invoke<TLanes>(ref TLanes parameter, TLanes gradient, ref TLanes state0, ref TLanes state1, ref TLanes state2, ref TLanes state3)
            where TLanes : struct, ILanes<TLanes, float> => PeakUpdate.Peak(rate, ref parameter, gradient, ref state0);
    }

    private readonly struct PeakUpdateUnrolledTwice(float rate) : IElementUpdate<float>
    {
        public static int StateCount => 1;

        public static int UnrollFactor => 2;

        public void Invoke<TLanes>(ref TLanes parameter, TLanes gradient, ref TLanes state0, ref TLanes state1, ref TLanes state2, ref TLanes state3)
            where TLanes : struct, ILanes<TLanes, float> => PeakUpdate.Peak(rate, ref parameter, gradient, ref state0);
    }

    private readonly struct AddGradient : IElementUpdate<double>
    {
        public static int StateCount => 0;

        public void Invoke<TLanes>(ref TLanes parameter, TLanes gradient, ref TLanes state0, ref TLanes state1, ref TLanes state2, ref TLanes state3)
            where TLanes : struct, ILanes<TLanes, double> => parameter += gradient;
    }

    private readonly struct BadUnroll : IElementUpdate<float>
    {
        public static int StateCount => 0;

        public static int UnrollFactor => 3;

        public void Invoke<TLanes>(ref TLanes parameter, TLanes gradient, ref TLanes state0, ref TLanes state1, ref TLanes state2, ref TLanes state3)
            where TLanes : struct, ILanes<TLanes, float> => parameter += gradient;
    }

    private readonly struct IntegerUpdate : IElementUpdate<int>
    {
        public static int StateCount => 0;

        public void Invoke<TLanes>(ref TLanes parameter, TLanes gradient, ref TLanes state0, ref TLanes state1, ref TLanes state2, ref TLanes state3)
            where TLanes : struct, ILanes<TLanes, int> => parameter += gradient;
    }
}
