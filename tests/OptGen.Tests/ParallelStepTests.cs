using System;
using System.Linq;
using System.Runtime.Intrinsics;

namespace OptGen.Tests;

/// <summary>Large steps split across threads; every element is independent, so the thread count cannot change a bit.</summary>
public sealed class ParallelStepTests
{
    [Theory]
    [MemberData(nameof(TestOptimizerFactory.Names), MemberType = typeof(TestOptimizerFactory))]
    public void Results_are_bit_identical_whatever_the_thread_count(string name)
    {
        // Not a multiple of the chunk length, so the last chunk is short and takes its own tail path.
        int length = (3 * ParallelStep.MinimumParallelLength) + 12_345;
        var random = new Random(11);
        double[] initial = Enumerable.Range(0, length).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        double[][] gradients = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, length).Select(_ => (random.NextDouble() * 2) - 1).ToArray()).ToArray();

        (double[] Parameters, double[][] State) reference = Run(name, threads: 1, initial, gradients);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            (double[] parameters, double[][] state) = Run(name, threads, initial, gradients);
            Assert.Equal(reference.Parameters, parameters);
            for (int s = 0; s < state.Length; s++)
            {
                Assert.Equal(reference.State[s], state[s]);
            }
        }
    }

    [Fact]
    public void Thread_count_defaults_to_all_cores_and_rejects_zero()
    {
        var optimizer = new TestAdam(4);
        Assert.Equal(Environment.ProcessorCount, optimizer.ThreadCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.ThreadCount = 0);
    }

    [Fact]
    public void Parallel_step_reports_the_widest_accelerated_path()
    {
        int length = 2 * ParallelStep.MinimumParallelLength;
        var optimizer = new TestAdam(length) { ThreadCount = 2 };
        optimizer.Step(new float[length], new float[length]);
        KernelPath widest = Vector512.IsHardwareAccelerated ? KernelPath.Vector512
            : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
            : Vector128.IsHardwareAccelerated ? KernelPath.Vector128
            : KernelPath.Scalar;
        Assert.Equal(widest, optimizer.LastKernelPath);
    }

    private static (double[] Parameters, double[][] State) Run(string name, int threads, double[] initial, double[][] gradients)
    {
        IOptimizer optimizer = TestOptimizerFactory.Create(name, initial.Length);
        optimizer.ThreadCount = threads;
        if (optimizer is IOptimizer<float> single)
        {
            float[] parameters = Array.ConvertAll(initial, x => (float)x);
            foreach (double[] g in gradients)
            {
                single.Step(parameters, Array.ConvertAll(g, x => (float)x));
            }

            return (Array.ConvertAll(parameters, x => (double)x), Enumerable.Range(0, optimizer.StateBufferNames.Count).Select(i => Array.ConvertAll(single.GetStateBuffer(i).ToArray(), x => (double)x)).ToArray());
        }

        var precise = (IOptimizer<double>)optimizer;
        double[] values = (double[])initial.Clone();
        foreach (double[] g in gradients)
        {
            precise.Step(values, g);
        }

        return (values, Enumerable.Range(0, optimizer.StateBufferNames.Count).Select(i => precise.GetStateBuffer(i).ToArray()).ToArray());
    }
}
