using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using OptGen;

/// <summary>
/// Whether step time depends on where the arrays land: identical Adam optimizers (with their own parameters and
/// gradients), allocated one after another, stepped in interleaved rounds on one thread; the ratio of the slowest to
/// the fastest median, and each array's offset from 64-byte lines, 4 KiB pages and 2 MiB pages.
/// </summary>
/// <remarks>
///   taskset -c 1 dotnet run -c Release --project benchmarks/OptGen.Scale -- placement [--size 10000000] [--count 3] [--rounds 15]
/// </remarks>
internal static class PlacementBenchmark
{
    public static int Run(string[] args)
    {
        int n = int.Parse(Arguments.Option(args, "--size", "10000000"));
        int count = int.Parse(Arguments.Option(args, "--count", "3"));
        int rounds = int.Parse(Arguments.Option(args, "--rounds", "15"));
        var sets = new List<(float[] P, float[] G, PlacementAdam Adam)>();
        for (int k = 0; k < count; k++)
        {
            float[] p = new float[n], g = new float[n];
            for (int i = 0; i < n; i++)
            {
                g[i] = MathF.Sin(i) * 1e-2f;
            }

            sets.Add((p, g, new PlacementAdam(n) { ThreadCount = 1 }));
        }

        var times = sets.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds + 1; round++)
        {
            for (int k = 0; k < count; k++)
            {
                long start = Stopwatch.GetTimestamp();
                sets[k].Adam.Step(sets[k].P, sets[k].G);
                if (round > 0)
                {
                    times[k].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
        }

        var medians = times.Select(Arguments.Median).ToArray();
        Console.WriteLine($"{count} Adam optimizers of {n:N0} parameters, 1 thread, median of {rounds} interleaved rounds:");
        for (int k = 0; k < count; k++)
        {
            var (p, g, adam) = sets[k];
            Console.WriteLine($"  #{k + 1}: {medians[k],7:F2} ms   offsets (64 B / 4 KiB / 2 MiB): p {Offsets(p)}  g {Offsets(g)}  m {Offsets(adam.GetStateBuffer(0))}  v {Offsets(adam.GetStateBuffer(1))}");
        }

        Console.WriteLine($"max/min {medians.Max() / medians.Min():F2}");
        return 0;
    }

    private static unsafe string Offsets(Span<float> values)
    {
        nuint address = (nuint)Unsafe.AsPointer(ref values[0]);
        return $"{address % 64,2}/{address % 4096,4}/{address % (2 << 20),7}";
    }
}

/// <summary>PyTorch's default Adam.</summary>
[Optimizer(UpdateRule.Adam)]
internal sealed partial class PlacementAdam;
