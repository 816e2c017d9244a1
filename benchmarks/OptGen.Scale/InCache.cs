using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using OptGen;

/// <summary>
/// Adam (PyTorch's defaults) on one thread at sizes from L1 to memory: the generated exact and [FastMath] steps against a hand-written
/// Vector512 kernel with one division per element and against a STREAM-style kernel that moves the same bytes with
/// trivial arithmetic, interleaved in rounds (median of the rounds). First, before anything else has run in the
/// process, the step time over the first steps of a fresh optimizer: what a training loop sees while the runtime
/// compiles it.
/// </summary>
/// <remarks>
///   taskset -c 1 dotnet run -c Release --project benchmarks/OptGen.Scale -- incache [--sizes 4096,65536,1048576,10000000] [--rounds 9]
/// </remarks>
internal static class InCacheBenchmark
{
    public static int Run(string[] args)
    {
        FirstSteps();

        int[] sizes = Arguments.Option(args, "--sizes", "4096,65536,1048576,10000000").Split(',').Select(int.Parse).ToArray();
        int rounds = int.Parse(Arguments.Option(args, "--rounds", "9"));
        Console.WriteLine();
        Console.WriteLine($"Adam, 1 thread, median of {rounds} interleaved rounds, ns per parameter (lower is better); ratios are the hand kernel's or the roofline's time over the generated step's (above 1: the generated step is faster).");
        Console.WriteLine("| Parameters | Generated exact | Generated [FastMath] | Hand Vector512, one division | Same-bytes roofline | Exact vs hand | FastMath vs hand | FastMath vs roofline |");
        Console.WriteLine("|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (int n in sizes)
        {
            float[] p = Random(n, 1), g = Random(n, 2), m = new float[n], v = new float[n];
            var adam = new InCacheAdam(n) { ThreadCount = 1 };
            var fast = new InCacheFastAdam(n) { ThreadCount = 1 };
            var roofline = new AdamMixRoofline(p, g, m, v);
            long t = 0;
            var implementations = new (string Name, Action Step)[]
            {
                ("generated", () => adam.Step(p, g)),
                ("fast", () => fast.Step(p, g)),
                ("hand", () => HandAdam.Step(p, g, m, v, ++t)),
                ("roofline", () => roofline.StepRange(p, g, 0)), // the calling thread only, as the others
            };

            // Each timing covers about 2·10⁷ elements, so that timer resolution and per-call overhead stay below 1 %.
            int repetitions = Math.Max(1, 20_000_000 / n);
            var times = implementations.Select(_ => new List<double>()).ToArray();
            for (int round = 0; round < rounds + 1; round++)
            {
                for (int k = 0; k < implementations.Length; k++)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int r = 0; r < repetitions; r++)
                    {
                        implementations[k].Step();
                    }

                    double nanoseconds = Stopwatch.GetElapsedTime(start).TotalNanoseconds / repetitions / n;
                    if (round > 0)
                    {
                        times[k].Add(nanoseconds); // round 0 warms caches and code
                    }
                }
            }

            double generated = Arguments.Median(times[0]), fastMath = Arguments.Median(times[1]), hand = Arguments.Median(times[2]), memory = Arguments.Median(times[3]);
            Console.WriteLine(
                $"| {n:N0} | {generated:F3} | {fastMath:F3} | {(Vector512.IsHardwareAccelerated ? hand.ToString("F3") : "n/a (no Vector512)")} | {memory:F3} | " +
                $"{hand / generated:F2}× | {hand / fastMath:F2}× | {memory / fastMath:F2}× |");
        }

        return 0;
    }

    /// <summary>
    /// ns per parameter over each of the first blocks of steps of an optimizer type that has not run before in this
    /// process, at a size that fits in L1, with the time since its first step.
    /// </summary>
    private static void FirstSteps()
    {
        const int N = 4096, Block = 500, Blocks = 12;
        float[] p = Random(N, 3), g = Random(N, 4);
        var adam = new FirstStepsAdam(N) { ThreadCount = 1 };
        Console.WriteLine($"First steps of a fresh Adam, {N:N0} parameters, 1 thread (blocks of {Block} steps):");
        Console.WriteLine("| Steps | ns/param | Seconds since the first step |");
        Console.WriteLine("|--:|--:|--:|");
        var since = Stopwatch.StartNew();
        for (int block = 0; block < Blocks; block++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int s = 0; s < Block; s++)
            {
                adam.Step(p, g);
            }

            double nanoseconds = Stopwatch.GetElapsedTime(start).TotalNanoseconds / Block / N;
            Console.WriteLine($"| {(block * Block) + 1}–{(block + 1) * Block} | {nanoseconds:F2} | {since.Elapsed.TotalSeconds:F3} |");
        }
    }

    private static float[] Random(int n, uint seed)
    {
        var values = new float[n];
        uint state = seed * 2654435761u;
        for (int i = 0; i < n; i++)
        {
            state = (state * 1664525u) + 1013904223u;
            values[i] = ((state >> 8) * (1f / (1 << 24))) - 0.5f;
        }

        return values;
    }
}

/// <summary>
/// The fastest Adam step written by hand for AVX-512: Vector512, four vectors per iteration, fused multiply-adds,
/// per-step scalars hoisted, 1/√(1 − β₂ᵗ) folded into a multiplication, so one division per element (not PyTorch's
/// rounding, which needs two).
/// </summary>
internal static class HandAdam
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f, LearningRate = 1e-3f;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step(float[] parameters, float[] gradients, float[] expAvg, float[] expAvgSq, long t)
    {
        float negativeStepSize = (float)(-LearningRate / (1 - Math.Pow(Beta1, t)));
        float inverseBiasCorrection2Sqrt = (float)(1 / Math.Sqrt(1 - Math.Pow(Beta2, t)));
        ref float p = ref MemoryMarshal.GetArrayDataReference(parameters);
        ref float g = ref MemoryMarshal.GetArrayDataReference(gradients);
        ref float m = ref MemoryMarshal.GetArrayDataReference(expAvg);
        ref float v = ref MemoryMarshal.GetArrayDataReference(expAvgSq);
        nuint length = (nuint)parameters.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> beta1 = Vector512.Create(Beta1), oneMinusBeta1 = Vector512.Create(1 - Beta1);
            Vector512<float> beta2 = Vector512.Create(Beta2), oneMinusBeta2 = Vector512.Create(1 - Beta2);
            Vector512<float> epsilon = Vector512.Create(Epsilon), scale = Vector512.Create(inverseBiasCorrection2Sqrt);
            Vector512<float> step = Vector512.Create(negativeStepSize);
            nuint w = (nuint)Vector512<float>.Count;
            for (; i + (4 * w) <= length; i += 4 * w)
            {
                Vector512<float> g0 = Vector512.LoadUnsafe(ref g, i), g1 = Vector512.LoadUnsafe(ref g, i + w);
                Vector512<float> g2 = Vector512.LoadUnsafe(ref g, i + (2 * w)), g3 = Vector512.LoadUnsafe(ref g, i + (3 * w));
                Vector512<float> m0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, i), beta1, g0 * oneMinusBeta1);
                Vector512<float> m1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, i + w), beta1, g1 * oneMinusBeta1);
                Vector512<float> m2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, i + (2 * w)), beta1, g2 * oneMinusBeta1);
                Vector512<float> m3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, i + (3 * w)), beta1, g3 * oneMinusBeta1);
                Vector512<float> v0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i), beta2, g0 * g0 * oneMinusBeta2);
                Vector512<float> v1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i + w), beta2, g1 * g1 * oneMinusBeta2);
                Vector512<float> v2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i + (2 * w)), beta2, g2 * g2 * oneMinusBeta2);
                Vector512<float> v3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i + (3 * w)), beta2, g3 * g3 * oneMinusBeta2);
                m0.StoreUnsafe(ref m, i);
                m1.StoreUnsafe(ref m, i + w);
                m2.StoreUnsafe(ref m, i + (2 * w));
                m3.StoreUnsafe(ref m, i + (3 * w));
                v0.StoreUnsafe(ref v, i);
                v1.StoreUnsafe(ref v, i + w);
                v2.StoreUnsafe(ref v, i + (2 * w));
                v3.StoreUnsafe(ref v, i + (3 * w));
                Vector512<float> d0 = Vector512.FusedMultiplyAdd(Vector512.Sqrt(v0), scale, epsilon);
                Vector512<float> d1 = Vector512.FusedMultiplyAdd(Vector512.Sqrt(v1), scale, epsilon);
                Vector512<float> d2 = Vector512.FusedMultiplyAdd(Vector512.Sqrt(v2), scale, epsilon);
                Vector512<float> d3 = Vector512.FusedMultiplyAdd(Vector512.Sqrt(v3), scale, epsilon);
                Vector512.FusedMultiplyAdd(step, m0 / d0, Vector512.LoadUnsafe(ref p, i)).StoreUnsafe(ref p, i);
                Vector512.FusedMultiplyAdd(step, m1 / d1, Vector512.LoadUnsafe(ref p, i + w)).StoreUnsafe(ref p, i + w);
                Vector512.FusedMultiplyAdd(step, m2 / d2, Vector512.LoadUnsafe(ref p, i + (2 * w))).StoreUnsafe(ref p, i + (2 * w));
                Vector512.FusedMultiplyAdd(step, m3 / d3, Vector512.LoadUnsafe(ref p, i + (3 * w))).StoreUnsafe(ref p, i + (3 * w));
            }
        }

        for (; i < length; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            float mi = MathF.FusedMultiplyAdd(Unsafe.Add(ref m, i), Beta1, gi * (1 - Beta1));
            float vi = MathF.FusedMultiplyAdd(Unsafe.Add(ref v, i), Beta2, gi * gi * (1 - Beta2));
            Unsafe.Add(ref m, i) = mi;
            Unsafe.Add(ref v, i) = vi;
            float di = MathF.FusedMultiplyAdd(MathF.Sqrt(vi), inverseBiasCorrection2Sqrt, Epsilon);
            Unsafe.Add(ref p, i) = MathF.FusedMultiplyAdd(negativeStepSize, mi / di, Unsafe.Add(ref p, i));
        }
    }
}

/// <summary>PyTorch's default Adam, timed in the size sweep.</summary>
[Optimizer(UpdateRule.Adam)]
internal sealed partial class InCacheAdam;

/// <summary>PyTorch's default Adam with <c>[FastMath]</c>: one division per element, as the hand kernel.</summary>
[Optimizer(UpdateRule.Adam)]
[FastMath]
internal sealed partial class InCacheFastAdam;

/// <summary>The same rule as a type of its own, so that its first steps are its first compilation.</summary>
[Optimizer(UpdateRule.Adam)]
internal sealed partial class FirstStepsAdam;
