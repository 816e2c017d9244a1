// One Adam step over 10M, 100M and 1B float parameters (PyTorch's defaults), on 1 … N threads, against the roofline
// of the same read/write mix measured in the same run; and a check that the thread count never changes a bit.
//
//   dotnet run -c Release --project benchmarks/OptGen.Scale -- [--sizes 10000000,100000000,1000000000]
//       [--threads 1,2,4,8,16] [--out scale.json]
//   dotnet run -c Release --project benchmarks/OptGen.Scale -- precision | billion     (see Precision.cs)
//   taskset -c 1 dotnet run -c Release --project benchmarks/OptGen.Scale -- incache | placement | tensors
//       (see InCache.cs, Placement.cs, ManyTensors.cs)

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using System.Threading.Tasks;
using OptGen;
using System.Runtime.InteropServices;

if (args.Length > 0 && args[0] == "precision")
{
    return PrecisionBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "incache")
{
    return InCacheBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "placement")
{
    return PlacementBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "tensors")
{
    return ManyTensorsBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "billion")
{
    return PrecisionBenchmark.Billion(args[1..]);
}

long[] sizes = Option("--sizes", "10000000,100000000,1000000000").Split(',').Select(long.Parse).ToArray();
int[] threadCounts = Option("--threads", string.Join(",", new[] { 1, 2, 4, 8, 16 }.Where(t => t <= Environment.ProcessorCount).Append(Environment.ProcessorCount).Distinct()))
    .Split(',').Select(int.Parse).ToArray();
string output = Option("--out", "scale.json");
const int BytesPerParameter = 28; // Adam reads p, g, m, v and writes p, m, v

string cpu = File.Exists("/proc/cpuinfo")
    ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown"
    : "unknown";
string simd = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "Scalar";
Console.WriteLine($"{cpu}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {simd}");

var results = new List<(string Implementation, int Threads, long Parameters, double Seconds)>();
Console.WriteLine(IdenticalAcrossThreadCounts(10_000_000, threadCounts.Max())
    ? "Bit-identical: 10M Adam, 2 steps, 1 thread vs all threads."
    : "MISMATCH between thread counts.");

foreach (long size in sizes)
{
    if (size > Array.MaxLength)
    {
        Console.WriteLine($"Skipping {size}: more than one array holds.");
        continue;
    }

    int n = (int)size;

    // p and g, the roofline's m and v, the optimizer's own m and v. Past the machine's memory the allocation may
    // succeed and the kernel kill the process when the pages are touched, so that is checked first.
    double gib = 6.0 * sizeof(float) * size / (1 << 30);
    if (gib > 0.9 * GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30))
    {
        Console.WriteLine($"Skipping {size}: its arrays need {gib:F1} GiB, more than this machine has.");
        continue;
    }

    float[] p, g, m, v;
    try
    {
        (p, g, m, v) = (Allocate(n), Allocate(n), Allocate(n), Allocate(n));
    }
    catch (OutOfMemoryException)
    {
        Console.WriteLine($"Skipping {size}: not enough memory.");
        continue;
    }

    Fill(p, 1);
    Fill(g, 2);
    var adam = new ScaleAdam(n);
    foreach (int threads in threadCounts)
    {
        adam.ThreadCount = threads;
        double generated = Median(() => adam.Step(p, g));
        var roofline = new AdamMixRoofline(p, g, m, v) { Threads = threads };
        double memory = Median(roofline.Step);
        Console.WriteLine(
            $"{size,13:N0} params {threads,2} threads: OptGen {generated * 1e3,9:F2} ms {Gbps(generated, size),6:F1} GB/s | " +
            $"roofline {memory * 1e3,9:F2} ms {Gbps(memory, size),6:F1} GB/s | {memory / generated,5:P0} of roofline | {adam.LastKernelPath}");
        results.Add(("OptGen generated", threads, size, generated));
        results.Add(("Roofline", threads, size, memory));
    }

}

WriteJson(output, cpu, simd, results);
Console.WriteLine($"Wrote {output}.");
return 0;

string Option(string name, string fallback) => Arguments.Option(args, name, fallback);

static float[] Allocate(int n) => GC.AllocateUninitializedArray<float>(n);

// Deterministic values, filled in parallel (a 4 GB array takes seconds on one core).
static void Fill(float[] values, uint seed) => Parallel.For(0, (values.Length + (1 << 20) - 1) >> 20, block =>
{
    uint state = seed * 2654435761u + (uint)block;
    int end = Math.Min(values.Length, (block + 1) << 20);
    for (int i = block << 20; i < end; i++)
    {
        state = (state * 1664525u) + 1013904223u;
        values[i] = ((state >> 8) * (1f / (1 << 24))) - 0.5f;
    }
});

// Median of timed steps after one warm-up step: at least 3, and up to about a second.
static double Median(Action step)
{
    step();
    var times = new List<double>();
    var total = Stopwatch.StartNew();
    while (times.Count < 3 || (times.Count < 50 && total.Elapsed.TotalSeconds < 1))
    {
        long start = Stopwatch.GetTimestamp();
        step();
        times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    times.Sort();
    return times[times.Count / 2];
}

static double Gbps(double seconds, long size) => BytesPerParameter * (double)size / seconds / 1e9;

// The schema benchmarks/report.py reads (Utf8JsonWriter: no reflection, so the trimmed build keeps working).
static void WriteJson(string path, string cpu, string simd, List<(string Implementation, int Threads, long Parameters, double Seconds)> rows)
{
    using FileStream file = File.Create(path);
    using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
    json.WriteStartObject();
    json.WriteString("source", "dotnet-scale");
    json.WriteStartObject("machine");
    json.WriteString("cpu", cpu);
    json.WriteNumber("cores", Environment.ProcessorCount);
    json.WriteString("dotnet", Environment.Version.ToString());
    json.WriteString("simd", simd);
    json.WriteEndObject();
    json.WriteStartArray("results");
    foreach ((string implementation, int threads, long parameters, double seconds) in rows)
    {
        json.WriteStartObject();
        json.WriteString("rule", "Adam");
        json.WriteString("implementation", implementation);
        json.WriteNumber("threads", threads);
        json.WriteNumber("parameters", parameters);
        json.WriteNumber("bytes_per_parameter", BytesPerParameter);
        json.WriteNumber("seconds_per_step", seconds);
        json.WriteEndObject();
    }

    json.WriteEndArray();
    json.WriteEndObject();
}

static bool IdenticalAcrossThreadCounts(int n, int threads)
{
    float[] Run(int count)
    {
        float[] p = Allocate(n), g = Allocate(n);
        Fill(p, 3);
        Fill(g, 4);
        var adam = new ScaleAdam(n) { ThreadCount = count };
        adam.Step(p, g);
        adam.Step(p, g);
        return p;
    }

    return Run(1).AsSpan().SequenceEqual(Run(threads));
}

/// <summary>
/// The roofline for Adam's mix: reads four arrays and writes three of them (p += g, m += g, v += g), with Vector512
/// (else Vector256) loads and stores, split across threads exactly as a generated step is.
/// </summary>
internal sealed class AdamMixRoofline(float[] p, float[] g, float[] m, float[] v) : IPartitionedStep<float>
{
    public int Threads { get; init; } = 1;

    public void Step() => ParallelStep.Run(this, p, g, Threads);

    // Compiled optimized at once, as the generated steps it is compared with (see TieredCompilationTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public KernelPath StepRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start)
    {
        Span<float> first = m.AsSpan(start, parameters.Length), second = v.AsSpan(start, parameters.Length);
        ref float rp = ref MemoryMarshal.GetReference(parameters);
        ref float rg = ref MemoryMarshal.GetReference(gradients);
        ref float rm = ref MemoryMarshal.GetReference(first);
        ref float rv = ref MemoryMarshal.GetReference(second);
        nuint n = (nuint)parameters.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (nuint w = (nuint)Vector512<float>.Count; i + w <= n; i += w)
            {
                Vector512<float> x = Vector512.LoadUnsafe(ref rg, i);
                (Vector512.LoadUnsafe(ref rp, i) + x).StoreUnsafe(ref rp, i);
                (Vector512.LoadUnsafe(ref rm, i) + x).StoreUnsafe(ref rm, i);
                (Vector512.LoadUnsafe(ref rv, i) + x).StoreUnsafe(ref rv, i);
            }
        }
        else
        {
            for (nuint w = (nuint)Vector256<float>.Count; i + w <= n; i += w)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref rg, i);
                (Vector256.LoadUnsafe(ref rp, i) + x).StoreUnsafe(ref rp, i);
                (Vector256.LoadUnsafe(ref rm, i) + x).StoreUnsafe(ref rm, i);
                (Vector256.LoadUnsafe(ref rv, i) + x).StoreUnsafe(ref rv, i);
            }
        }

        for (; i < n; i++)
        {
            float x = Unsafe.Add(ref rg, i);
            Unsafe.Add(ref rp, i) += x;
            Unsafe.Add(ref rm, i) += x;
            Unsafe.Add(ref rv, i) += x;
        }

        return Vector512.IsHardwareAccelerated ? KernelPath.Vector512 : KernelPath.Vector256;
    }
}

/// <summary>PyTorch's default Adam.</summary>
[Optimizer(UpdateRule.Adam)]
internal sealed partial class ScaleAdam;
