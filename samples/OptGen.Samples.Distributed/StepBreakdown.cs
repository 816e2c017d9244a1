using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using OptGen.Distributed;
using OptGen.Samples.Digits;

namespace OptGen.Samples.Distributed;

/// <summary>
/// Times sharded AdamW steps over a synthetic model of a given size: the reduce-scatter of the gradients, the fused
/// local step over this rank's shard, and the all-gather of the parameters, each the median over the steps; and the
/// memory each rank holds. Alone (no mpirun), it times the whole optimizer over the whole model instead, the baseline.
/// </summary>
internal static class StepBreakdown
{
    public static void Run(int parameters, int steps)
    {
        // A few tensors, so that the store's per-tensor machinery is in the loop as in a real model.
        int layer = parameters / 4;
        var store = new ParameterStore<float>([("layer1.weight", layer), ("layer1.bias", 1000), ("layer2.weight", layer), ("layer3.weight", parameters - (2 * layer) - 1000)]);
        var random = new Random(3);
        foreach (TensorSlice tensor in store.Tensors)
        {
            Span<float> p = store.Parameter(tensor.Name), g = store.Gradient(tensor.Name);
            for (int i = 0; i < p.Length; i++)
            {
                p[i] = (float)(random.NextDouble() - 0.5);
                g[i] = (float)((random.NextDouble() - 0.5) * 1e-3);
            }
        }

        int warmup = 2;
        if (Mpi.LaunchedSize <= 1)
        {
            var whole = new ClippedAdamW(store.Length) { ThreadCount = 1 };
            double[] local = new double[steps];
            for (int s = -warmup; s < steps; s++)
            {
                long start = Stopwatch.GetTimestamp();
                whole.Step(store);
                if (s >= 0)
                {
                    local[s] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"1 process, {store.Length:N0} parameters: step {Statistics.Median<double>(local):F2} ms; parameters and gradients {Megabytes(store.Length * 8L)}, optimizer state {Megabytes((long)(whole.StateBytesPerParameter * store.Length))}"));
            return;
        }

        var sharded = new ShardedOptimizer<float>(store, length => new ClippedAdamW(length));
        sharded.Optimizer.ThreadCount = 1; // one core per rank
        var timings = new ShardedStepTimings[steps];
        for (int s = -warmup; s < steps; s++)
        {
            Mpi.Barrier(); // each step starts together, so waits for a slower rank are not counted as communication
            sharded.Step();
            if (s >= 0)
            {
                timings[s] = sharded.LastStepTimings;
            }
        }

        if (sharded.Rank == 0)
        {
            double scatter = Statistics.Median<double>(timings.Select(t => t.ReduceScatter.TotalMilliseconds).ToArray());
            double local = Statistics.Median<double>(timings.Select(t => t.LocalStep.TotalMilliseconds).ToArray());
            double gather = Statistics.Median<double>(timings.Select(t => t.Allgather.TotalMilliseconds).ToArray());
            double total = Statistics.Median<double>(timings.Select(t => t.Total.TotalMilliseconds).ToArray());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{sharded.WorldSize} ranks ({Mpi.Implementation}), {store.Length:N0} parameters, shard {sharded.ShardLength:N0}:"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  step {total:F2} ms = reduce-scatter {scatter:F2} + local step {local:F2} + all-gather {gather:F2} (medians of {steps}); communication {100 * (scatter + gather) / total:F0}%"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  memory per rank: parameters and gradients {Megabytes(store.Length * 8L)}, optimizer state {Megabytes((long)(sharded.Optimizer.StateBytesPerParameter * sharded.ShardLength))} (1/{sharded.WorldSize} of {Megabytes((long)(sharded.Optimizer.StateBytesPerParameter * store.Length))}); working set {Megabytes(Process.GetCurrentProcess().PeakWorkingSet64)}"));
        }

        Mpi.Shutdown();
    }

    private static string Megabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:N0} MB");
}
