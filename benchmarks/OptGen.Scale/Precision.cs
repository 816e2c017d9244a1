using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using OptGen;

/// <summary>
/// Mixed precision: one Adam step per storage choice at each size and thread count, each against fp32 Adam and against
/// the roofline of its own byte mix (the same arrays read and written with trivial arithmetic, in the same run).
/// </summary>
/// <remarks>
///   dotnet run -c Release --project benchmarks/OptGen.Scale -- precision [--sizes 10000000,100000000] [--threads 1,2]
///   dotnet run -c Release --project benchmarks/OptGen.Scale -- billion   (bf16 AdamW with 8-bit state at 10⁹ parameters)
/// </remarks>
internal static class PrecisionBenchmark
{
    /// <summary>One array the step moves: its element size, and whether it is read, written or both.</summary>
    private sealed record Stream(Array Data, int ElementSize, bool Read, bool Written);

    public static int Run(string[] args)
    {
        long[] sizes = Arguments.Option(args, "--sizes", "10000000,100000000").Split(',').Select(long.Parse).ToArray();
        int[] threadCounts = Arguments.Option(args, "--threads", string.Join(",", new[] { 1, Environment.ProcessorCount }.Distinct())).Split(',').Select(int.Parse).ToArray();
        Console.WriteLine("| Parameters | Threads | Storage | Bytes/param | State bytes/param | Step ms | GB/s | vs fp32 Adam | Roofline ms | % of roofline |");
        Console.WriteLine("|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (long size in sizes)
        {
            int n = (int)size;
            foreach (int threads in threadCounts)
            {
                double baseline = 0;
                foreach ((string name, Func<int, Case> make) in Cases())
                {
                    Case c = make(n);
                    c.Optimizer.ThreadCount = threads;
                    double seconds = Median(c.Step);
                    var roofline = new ByteMixRoofline(c.Streams, n) { Threads = threads };
                    double memory = Median(roofline.Step);
                    baseline = baseline == 0 ? seconds : baseline;
                    double bytes = c.Streams.Sum(s => ((s.Read ? s.ElementSize : 0) + (s.Written ? s.ElementSize : 0)) * (double)s.Data.Length / n);
                    Console.WriteLine(
                        $"| {size:N0} | {threads} | {name} | {bytes:F2} | {c.Optimizer.StateBytesPerParameter:F2} | {seconds * 1e3:F2} | {bytes * n / seconds / 1e9:F1} | {baseline / seconds:F2}× | {memory * 1e3:F2} | {memory / seconds:P0} |");
                    c = null!;
                    GC.Collect();
                }
            }
        }

        return 0;
    }

    /// <summary>10⁹ bf16 parameters of AdamW with 8-bit state: what it takes in memory, and one step's time.</summary>
    public static int Billion(string[] args)
    {
        int n = (int)long.Parse(Arguments.Option(args, "--size", "1000000000"));
        var watch = Stopwatch.StartNew();
        var parameters = GC.AllocateUninitializedArray<BFloat16>(n);
        var gradients = GC.AllocateUninitializedArray<BFloat16>(n);
        Fill(parameters, 1, 1f);
        Fill(gradients, 2, 1e-3f);
        var optimizer = new BillionAdamW(n);
        Console.WriteLine($"{n:N0} bf16 parameters, AdamW with blockwise 8-bit state: {optimizer.StateBytesPerParameter:F3} state bytes per parameter, allocated in {watch.Elapsed.TotalSeconds:F1} s");
        foreach (int threads in new[] { 1, Environment.ProcessorCount }.Distinct())
        {
            optimizer.ThreadCount = threads;
            double seconds = Median(() => optimizer.Step(parameters, gradients));
            Console.WriteLine($"{threads} thread(s): {seconds * 1e3:F0} ms per step, {10.06 * n / seconds / 1e9:F1} GB/s at 10.06 bytes per parameter");
        }

        GC.Collect();
        Console.WriteLine($"Process working set {Environment.WorkingSet / (1024.0 * 1024 * 1024):F2} GiB; managed heap {GC.GetTotalMemory(false) / (1024.0 * 1024 * 1024):F2} GiB; step count {optimizer.StepCount}; a finite parameter: {BFloat16.IsFinite(parameters[n / 2])}");
        return 0;
    }

    private sealed record Case(IOptimizer Optimizer, Action Step, Stream[] Streams);

    private static IEnumerable<(string Name, Func<int, Case> Make)> Cases()
    {
        yield return ("fp32 Adam", n =>
        {
            float[] p = Floats(n, 1, 1f), g = Floats(n, 2, 1e-3f);
            var o = new Fp32Adam(n);
            return new Case(o, () => o.Step(p, g), [new(p, 4, true, true), new(g, 4, true, false), new(new float[n], 4, true, true), new(new float[n], 4, true, true)]);
        });
        yield return ("bf16 params, fp32 state", n =>
        {
            BFloat16[] p = Bf16(n, 1, 1f), g = Bf16(n, 2, 1e-3f);
            var o = new Bf16Adam(n);
            return new Case(o, () => o.Step(p, g), [new(p, 2, true, true), new(g, 2, true, false), new(new float[n], 4, true, true), new(new float[n], 4, true, true)]);
        });
        yield return ("bf16 params, bf16 state", n =>
        {
            BFloat16[] p = Bf16(n, 1, 1f), g = Bf16(n, 2, 1e-3f);
            var o = new Bf16AdamBf16State(n);
            return new Case(o, () => o.Step(p, g), [new(p, 2, true, true), new(g, 2, true, false), new(new ushort[n], 2, true, true), new(new ushort[n], 2, true, true)]);
        });
        yield return ("fp32 params, 8-bit state", n =>
        {
            float[] p = Floats(n, 1, 1f), g = Floats(n, 2, 1e-3f);
            var o = new Fp32Adam8Bit(n);
            return new Case(o, () => o.Step(p, g), [new(p, 4, true, true), new(g, 4, true, false), .. EightBit(n)]);
        });
        yield return ("bf16 params, 8-bit state", n =>
        {
            BFloat16[] p = Bf16(n, 1, 1f), g = Bf16(n, 2, 1e-3f);
            var o = new Bf16Adam8Bit(n);
            return new Case(o, () => o.Step(p, g), [new(p, 2, true, true), new(g, 2, true, false), .. EightBit(n)]);
        });
        yield return ("bf16 params, fp32 master, 8-bit state", n =>
        {
            BFloat16[] p = Bf16(n, 1, 1f), g = Bf16(n, 2, 1e-3f);
            var o = new Bf16MasterAdam8Bit(n);
            return new Case(o, () => o.Step(p, g), [new(p, 2, false, true), new(g, 2, true, false), new(new float[n], 4, true, true), .. EightBit(n)]);
        });
    }

    // Codes of m and v, and their block maxima (read and written once per 256 values).
    private static Stream[] EightBit(int n) =>
        [new(new byte[n], 1, true, true), new(new byte[n], 1, true, true), new(new float[BlockwiseQuantization.BlockCount(n)], 4, true, true), new(new float[BlockwiseQuantization.BlockCount(n)], 4, true, true)];

    private static float[] Floats(int n, uint seed, float scale)
    {
        float[] values = GC.AllocateUninitializedArray<float>(n);
        uint state = seed * 2654435761u;
        for (int i = 0; i < n; i++)
        {
            state = (state * 1664525u) + 1013904223u;
            values[i] = (((state >> 8) * (1f / (1 << 24))) - 0.5f) * scale;
        }

        return values;
    }

    private static BFloat16[] Bf16(int n, uint seed, float scale)
    {
        var values = GC.AllocateUninitializedArray<BFloat16>(n);
        Fill(values, seed, scale);
        return values;
    }

    private static void Fill(BFloat16[] values, uint seed, float scale)
    {
        const int Block = 1 << 20;
        System.Threading.Tasks.Parallel.For(0, (values.Length + Block - 1) / Block, block =>
        {
            float[] chunk = System.Buffers.ArrayPool<float>.Shared.Rent(Block);
            uint state = (seed * 2654435761u) + (uint)block;
            int start = block * Block, length = Math.Min(Block, values.Length - start);
            for (int i = 0; i < length; i++)
            {
                state = (state * 1664525u) + 1013904223u;
                chunk[i] = (((state >> 8) * (1f / (1 << 24))) - 0.5f) * scale;
            }

            BFloat16.ConvertFromSingle(chunk.AsSpan(0, length), values.AsSpan(start, length));
            System.Buffers.ArrayPool<float>.Shared.Return(chunk);
        });
    }

    // Median of timed steps after two warm-up steps: at least 5, and up to about two seconds.
    private static double Median(Action step)
    {
        step();
        step();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || (times.Count < 60 && total.Elapsed.TotalSeconds < 2))
        {
            long start = Stopwatch.GetTimestamp();
            step();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>
    /// Reads and writes the given arrays as a step of that mix would, 64 elements at a time across every array, with
    /// trivial arithmetic, split across threads as a generated step is.
    /// </summary>
    private sealed class ByteMixRoofline(Stream[] streams, int length) : IPartitionedStep<float>
    {
        private readonly float[] _index = new float[Math.Max(1, length / 64)];

        public int Threads { get; init; } = 1;

        // The split runs over one float per 64 elements (a chunk of that array is a range of groups).
        public void Step() => ParallelStep.Run(this, _index, _index, Threads);

        public KernelPath StepRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start)
        {
            Vector512<byte> sum = Vector512<byte>.Zero;
            long firstElement = (long)start * 64, endElement = Math.Min(length, (long)(start + parameters.Length) * 64);
            foreach (Stream stream in streams)
            {
                // Block maxima are one value per 256 elements: scaled to their own length.
                long scale = stream.Data.Length == length ? 1 : 256;
                long from = firstElement / scale * stream.ElementSize, to = (endElement + scale - 1) / scale * stream.ElementSize;
                sum ^= Touch(stream, from, to);
            }

            return sum == Vector512<byte>.AllBitsSet ? KernelPath.Scalar : KernelPath.Vector512;
        }

        private static Vector512<byte> Touch(Stream stream, long from, long to)
        {
            ref byte start = ref MemoryMarshal.GetArrayDataReference(stream.Data);
            Vector512<byte> sum = Vector512<byte>.Zero, one = Vector512<byte>.One;
            nuint i = (nuint)from, end = (nuint)to;
            for (; i + 64 <= end; i += 64)
            {
                if (stream.Read)
                {
                    Vector512<byte> x = Vector512.LoadUnsafe(ref start, i);
                    sum += x;
                    if (stream.Written)
                    {
                        (x + one).StoreUnsafe(ref start, i);
                    }
                }
                else
                {
                    sum.StoreUnsafe(ref start, i);
                }
            }

            for (; i < end; i++)
            {
                Unsafe.Add(ref start, i) += 1;
            }

            return sum;
        }
    }
}

[Optimizer(UpdateRule.Adam)]
internal sealed partial class Fp32Adam;

[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
internal sealed partial class Bf16Adam;

[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
[StateStorage(StateStorage.BFloat16)]
internal sealed partial class Bf16AdamBf16State;

[Optimizer(UpdateRule.Adam)]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class Fp32Adam8Bit;

[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class Bf16Adam8Bit;

[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
[MasterWeights]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class Bf16MasterAdam8Bit;

[Optimizer(UpdateRule.AdamW, ElementType = typeof(BFloat16))]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class BillionAdamW;
