using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OptGen;

/// <summary>
/// A step over many small tensors (10,000 of 64–4,096 elements by default), Adam with PyTorch's defaults, one thread:
/// one <see cref="ParameterStore{T}"/> with one optimizer, against one optimizer per tensor, against one tensor of the
/// same total size, in interleaved rounds (median of the rounds). benchmarks/pytorch_tensors_bench.py times PyTorch's
/// Adam over the same tensor sizes, with and without foreach.
/// </summary>
/// <remarks>
///   taskset -c 1 dotnet run -c Release --project benchmarks/OptGen.Scale -- tensors [--count 10000] [--min 64] [--max 4096] [--rounds 9]
/// </remarks>
internal static class ManyTensorsBenchmark
{
    public static int Run(string[] args)
    {
        int count = int.Parse(Arguments.Option(args, "--count", "10000"));
        int min = int.Parse(Arguments.Option(args, "--min", "64"));
        int max = int.Parse(Arguments.Option(args, "--max", "4096"));
        int rounds = int.Parse(Arguments.Option(args, "--rounds", "9"));
        int[] lengths = Lengths(count, min, max);
        int total = lengths.Sum();

        var store = new ParameterStore<float>(lengths.Select((length, k) => ($"tensor{k}", length)));
        var storeAdam = new TensorsAdam(store.Length) { ThreadCount = 1 };
        float[] bigP = new float[total], bigG = new float[total];
        var bigAdam = new TensorsAdam(total) { ThreadCount = 1 };
        var separate = lengths.Select(length => (P: new float[length], G: new float[length], Adam: new TensorsAdam(length) { ThreadCount = 1 })).ToArray();
        Fill(store.Gradients);
        Fill(bigG);
        foreach (var tensor in separate)
        {
            Fill(tensor.G);
        }

        var implementations = new (string Name, Action Step)[]
        {
            ("One tensor of the same total size", () => bigAdam.Step(bigP, bigG)),
            ("One ParameterStore, one optimizer", () => storeAdam.Step(store)),
            ("One optimizer per tensor", () =>
            {
                foreach (var tensor in separate)
                {
                    tensor.Adam.Step(tensor.P, tensor.G);
                }
            }),
        };

        var times = implementations.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds + 1; round++)
        {
            for (int k = 0; k < implementations.Length; k++)
            {
                long start = Stopwatch.GetTimestamp();
                implementations[k].Step();
                if (round > 0)
                {
                    times[k].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
        }

        double baseline = Arguments.Median(times[0]);
        Console.WriteLine($"Adam over {count:N0} tensors of {min:N0}–{max:N0} elements ({total:N0} parameters; the store pads to {store.Length:N0}), 1 thread, median of {rounds} interleaved rounds:");
        Console.WriteLine("| Layout | ms/step | ns/param | Speed vs one tensor |");
        Console.WriteLine("|---|--:|--:|--:|");
        for (int k = 0; k < implementations.Length; k++)
        {
            double ms = Arguments.Median(times[k]);
            Console.WriteLine($"| {implementations[k].Name} | {ms:F2} | {ms * 1e6 / total:F3} | {baseline / ms:F2}× |");
        }

        return 0;
    }

    /// <summary>The tensor sizes: uniform in [min, max], from a fixed seed (the PyTorch script draws the same ones).</summary>
    public static int[] Lengths(int count, int min, int max)
    {
        var lengths = new int[count];
        uint state = 12345;
        for (int k = 0; k < count; k++)
        {
            state = (state * 1664525u) + 1013904223u;
            lengths[k] = min + (int)((ulong)(state >> 8) * (ulong)(max - min + 1) >> 24);
        }

        return lengths;
    }

    private static void Fill(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = MathF.Sin(i) * 1e-2f;
        }
    }
}

/// <summary>PyTorch's default Adam.</summary>
[Optimizer(UpdateRule.Adam)]
internal sealed partial class TensorsAdam;
