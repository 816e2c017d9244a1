using System;
using System.Runtime.Intrinsics;

namespace OptGen.Tests;

/// <summary>
/// Proves which SIMD path ran. CI runs this suite with AVX-512, AVX2 and all hardware intrinsics switched off through
/// the runtime's DOTNET_Enable* settings and names the path it expects in OPTGEN_EXPECTED_KERNEL_PATH.
/// </summary>
public sealed class KernelPathTests
{
    public const string ExpectedPathVariable = "OPTGEN_EXPECTED_KERNEL_PATH";

    private static KernelPath WidestAccelerated =>
        Vector512.IsHardwareAccelerated ? KernelPath.Vector512
        : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
        : Vector128.IsHardwareAccelerated ? KernelPath.Vector128
        : KernelPath.Scalar;

    [Fact]
    public void Large_step_takes_the_widest_accelerated_path()
    {
        var optimizer = new TestAdam(1000);
        Assert.Equal(KernelPath.None, optimizer.LastKernelPath);

        optimizer.Step(new float[1000], new float[1000]);

        Assert.Equal(WidestAccelerated, optimizer.LastKernelPath);
        string? expected = Environment.GetEnvironmentVariable(ExpectedPathVariable);
        if (expected is not null)
        {
            Assert.Equal(Enum.Parse<KernelPath>(expected), optimizer.LastKernelPath);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Fewer_elements_than_a_vector_take_the_scalar_path(int length)
    {
        var optimizer = new TestAdam(length);
        optimizer.Step(new float[length], new float[length]);
        Assert.Equal(KernelPath.Scalar, optimizer.LastKernelPath);
    }

    [Theory]
    [InlineData(4, KernelPath.Vector128)]
    [InlineData(8, KernelPath.Vector256)]
    [InlineData(16, KernelPath.Vector512)]
    public void Each_width_needs_one_full_vector(int length, KernelPath widest)
    {
        var optimizer = new TestAdam(length);
        optimizer.Step(new float[length], new float[length]);
        KernelPath expected = widest <= WidestAccelerated ? widest : WidestAccelerated;
        Assert.Equal(expected, optimizer.LastKernelPath);
    }

    /// <summary>
    /// Elements are independent, so one optimizer over the whole array must give the same bits as separate optimizers
    /// over chunks of 1 to 40 elements, which run the scalar path and every vector width with every tail length.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestOptimizerFactory.Names), MemberType = typeof(TestOptimizerFactory))]
    public void Every_path_and_tail_gives_bit_identical_results(string name)
    {
        const int length = 40 * 41 / 2;
        var random = new Random(7);
        double[] initial = RandomValues(random, length);
        IOptimizer whole = TestOptimizerFactory.Create(name, length);
        var chunks = new IOptimizer[40];
        for (int size = 1; size <= 40; size++)
        {
            chunks[size - 1] = TestOptimizerFactory.Create(name, size);
        }

        if (whole is IOptimizer<float>)
        {
            float[] together = Array.ConvertAll(initial, x => (float)x);
            float[] separately = (float[])together.Clone();
            for (int step = 0; step < 5; step++)
            {
                float[] gradients = Array.ConvertAll(RandomValues(random, length), x => (float)x);
                ((IOptimizer<float>)whole).Step(together, gradients);
                for (int size = 1, start = 0; size <= 40; start += size, size++)
                {
                    ((IOptimizer<float>)chunks[size - 1]).Step(separately.AsSpan(start, size), gradients.AsSpan(start, size));
                }

                Assert.Equal(together, separately);
            }
        }
        else
        {
            double[] together = (double[])initial.Clone();
            double[] separately = (double[])initial.Clone();
            for (int step = 0; step < 5; step++)
            {
                double[] gradients = RandomValues(random, length);
                ((IOptimizer<double>)whole).Step(together, gradients);
                for (int size = 1, start = 0; size <= 40; start += size, size++)
                {
                    ((IOptimizer<double>)chunks[size - 1]).Step(separately.AsSpan(start, size), gradients.AsSpan(start, size));
                }

                Assert.Equal(together, separately);
            }
        }
    }

    private static double[] RandomValues(Random random, int length)
    {
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = random.NextDouble() < 0.1 ? 0 : (random.NextDouble() * 4) - 2;
        }

        return values;
    }
}
