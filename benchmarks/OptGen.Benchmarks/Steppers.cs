using System;
using System.Collections.Generic;
using System.Threading.Tasks;

namespace OptGen.Benchmarks;

/// <summary>One timed unit of the suite: a single optimizer step (or roofline pass) over prepared arrays.</summary>
public abstract class Stepper
{
    /// <summary>Runs one step.</summary>
    public abstract void Step();
}

/// <summary>Deterministic, quickly generated test data.</summary>
public static class TestData
{
    /// <summary>Fills <paramref name="values"/> with values uniform in [<paramref name="low"/>, <paramref name="high"/>), from <paramref name="seed"/>.</summary>
    public static void Fill(Span<float> values, uint seed, float low, float high)
    {
        uint state = seed * 2654435761u | 1u;
        float scale = (high - low) / (1 << 24);
        for (int i = 0; i < values.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            values[i] = low + ((state >> 8) * scale);
        }
    }

    /// <summary>Fills a large buffer on all cores (each chunk seeded by its index).</summary>
    public static void FillParallel(Memory<float> values, uint seed, float low, float high)
    {
        const int chunk = 1 << 22;
        int chunks = (int)(((long)values.Length + chunk - 1) / chunk);
        Parallel.For(0, chunks, c =>
        {
            int start = c * chunk;
            Fill(values.Span.Slice(start, Math.Min(chunk, values.Length - start)), seed + ((uint)c * 7919u), low, high);
        });
    }

    /// <summary>Parameters in [−1, 1), seed 1.</summary>
    public static void FillParameters(Memory<float> values) => FillParallel(values, 1, -1f, 1f);

    /// <summary>Gradients in [−0.5, 0.5), seed 2.</summary>
    public static void FillGradients(Memory<float> values) => FillParallel(values, 2, -0.5f, 0.5f);

    /// <summary>New parameter and gradient arrays of <paramref name="length"/>, filled as above.</summary>
    public static (float[] Parameters, float[] Gradients) NewParametersAndGradients(int length)
    {
        var parameters = new float[length];
        var gradients = new float[length];
        FillParameters(parameters);
        FillGradients(gradients);
        return (parameters, gradients);
    }
}

/// <summary>
/// A float buffer in an ordinary GC array (so aligned as the GC aligns, like any user's array), starting
/// <see cref="Slot"/> × 4160 bytes into it. The GC puts every large array at the start of its own region, so two large
/// arrays lie a multiple of 32 MB apart, sometimes of 256 MB; on this machine's memory system a loop that streams two
/// arrays exactly k·256 MB apart runs up to 6× slower (measured: the scalar RMSprop loop at 10M, 24 ms or 140 ms by
/// placement alone; the generated step 5 ms or 8 ms). Giving every buffer the suite allocates its own slot (4 KiB +
/// 64 B apart: no 4K aliasing either, same alignment mod 64) keeps such accidents out of the comparison. The generated
/// optimizers' own state buffers are allocated by them, as in any program.
/// </summary>
public sealed class PlacedBuffer
{
    /// <summary>Floats between consecutive slots: 4 KiB + 64 bytes.</summary>
    public const int SlotStride = 1040;

    private readonly float[] _array;

    /// <summary>A zeroed (or uninitialised) buffer of <paramref name="length"/> floats in slot <paramref name="slot"/>.</summary>
    public PlacedBuffer(int length, int slot, bool uninitialized = false)
    {
        int offset = slot * SlotStride;
        _array = uninitialized ? GC.AllocateUninitializedArray<float>(length + offset) : new float[length + offset];
        Slot = slot;
        Memory = _array.AsMemory(offset, length);
    }

    /// <summary>Which slot.</summary>
    public int Slot { get; }

    /// <summary>The buffer.</summary>
    public Memory<float> Memory { get; }

    /// <summary>The buffer.</summary>
    public Span<float> Span => Memory.Span;
}

/// <summary>Parameters and gradients of one size, shared by every case of that size (kept until <see cref="Clear"/>).</summary>
public sealed class Workspace
{
    /// <summary>Slot of the parameters; the gradients take the next, state buffers the ones after.</summary>
    public const int ParameterSlot = 0;

    /// <summary>First slot free for state buffers.</summary>
    public const int FirstStateSlot = 2;

    private static readonly Dictionary<int, Workspace> s_cache = [];

    private Workspace(int length)
    {
        var parameters = new PlacedBuffer(length, ParameterSlot, uninitialized: true);
        var gradients = new PlacedBuffer(length, ParameterSlot + 1, uninitialized: true);
        TestData.FillParameters(parameters.Memory);
        TestData.FillGradients(gradients.Memory);
        Parameters = parameters.Memory;
        Gradients = gradients.Memory;
    }

    /// <summary>The parameters (every case updates them in place; values drift, harmlessly, from case to case).</summary>
    public Memory<float> Parameters { get; }

    /// <summary>The gradients (never written).</summary>
    public Memory<float> Gradients { get; }

    /// <summary>The workspace of <paramref name="length"/> elements.</summary>
    public static Workspace Get(int length)
    {
        if (!s_cache.TryGetValue(length, out Workspace? workspace))
        {
            workspace = new Workspace(length);
            s_cache[length] = workspace;
        }

        return workspace;
    }

    /// <summary>Forgets every workspace (and collects them).</summary>
    public static void Clear()
    {
        s_cache.Clear();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>A zeroed state buffer of the workspace's length in state slot <paramref name="index"/> (0, 1, 2).</summary>
    public Memory<float> State(int index) => new PlacedBuffer(Parameters.Length, FirstStateSlot + index).Memory;
}

/// <summary>The suite's steppers.</summary>
public static class Steppers
{
    /// <summary>A stepper of <paramref name="implementation"/> (one of <see cref="Impl"/>'s per-rule names) for the rule.</summary>
    public static Stepper Create(SuiteRule rule, string implementation, int threads, int length)
    {
        if (implementation == Impl.Roofline)
        {
            return new RooflineStepper(new Roofline(length, Hyper.Streams(rule) == 4, threads));
        }

        Workspace w = Workspace.Get(length);
        return implementation switch
        {
            Impl.Generated => new GeneratedStepper(Hyper.CreateGenerated(rule, length, threads), w.Parameters, w.Gradients),
            Impl.Scalar => new ScalarStepper(rule, w),
            Impl.TensorPrimitives => new TensorPrimitivesStepper(rule, w),
            Impl.Expert when rule == SuiteRule.Adam => new ExpertStepper(w),
            Impl.GeneratedParallelFor when rule == SuiteRule.Adam => new ParallelForStepper(w, threads),
            _ => throw new ArgumentException($"No implementation '{implementation}' for {Hyper.Name(rule)}.", nameof(implementation)),
        };
    }

    private sealed class GeneratedStepper(IOptimizer<float> optimizer, Memory<float> parameters, Memory<float> gradients) : Stepper
    {
        public override void Step() => optimizer.Step(parameters.Span, gradients.Span);
    }

    private sealed class ScalarStepper(SuiteRule rule, Workspace w) : Stepper
    {
        private readonly Memory<float> _p = w.Parameters;
        private readonly Memory<float> _g = w.Gradients;
        private readonly Memory<float> _s0 = w.State(0);
        private readonly Memory<float> _s1 = Hyper.Streams(rule) == 4 ? w.State(1) : Memory<float>.Empty;
        private long _t;

        public override void Step()
        {
            long t = ++_t;
            Span<float> p = _p.Span;
            ReadOnlySpan<float> g = _g.Span;
            switch (rule)
            {
                case SuiteRule.Adam: ScalarLoops.Adam(p, g, _s0.Span, _s1.Span, t, decoupledWeightDecay: false); break;
                case SuiteRule.AdamW: ScalarLoops.Adam(p, g, _s0.Span, _s1.Span, t, decoupledWeightDecay: true); break;
                case SuiteRule.RmsProp: ScalarLoops.RmsProp(p, g, _s0.Span); break;
                case SuiteRule.AdaGrad: ScalarLoops.AdaGrad(p, g, _s0.Span); break;
                default: ScalarLoops.SgdMomentum(p, g, _s0.Span, t); break;
            }
        }
    }

    private sealed class TensorPrimitivesStepper(SuiteRule rule, Workspace w) : Stepper
    {
        private readonly Memory<float> _p = w.Parameters;
        private readonly Memory<float> _g = w.Gradients;
        private readonly Memory<float> _s0 = w.State(0);
        private readonly Memory<float> _s1 = Hyper.Streams(rule) == 4 ? w.State(1) : Memory<float>.Empty;
        private readonly Memory<float> _tmp = rule == SuiteRule.SgdMomentum ? Memory<float>.Empty : w.State(2);
        private long _t;

        public override void Step()
        {
            long t = ++_t;
            Span<float> p = _p.Span;
            ReadOnlySpan<float> g = _g.Span;
            switch (rule)
            {
                case SuiteRule.Adam: TensorPrimitivesRules.Adam(p, g, _s0.Span, _s1.Span, _tmp.Span, t, decoupledWeightDecay: false); break;
                case SuiteRule.AdamW: TensorPrimitivesRules.Adam(p, g, _s0.Span, _s1.Span, _tmp.Span, t, decoupledWeightDecay: true); break;
                case SuiteRule.RmsProp: TensorPrimitivesRules.RmsProp(p, g, _s0.Span, _tmp.Span); break;
                case SuiteRule.AdaGrad: TensorPrimitivesRules.AdaGrad(p, g, _s0.Span, _tmp.Span); break;
                default: TensorPrimitivesRules.SgdMomentum(p, g, _s0.Span, t); break;
            }
        }
    }

    private sealed class ExpertStepper(Workspace w) : Stepper
    {
        private readonly Memory<float> _p = w.Parameters;
        private readonly Memory<float> _g = w.Gradients;
        private readonly Memory<float> _m = w.State(0);
        private readonly Memory<float> _v = w.State(1);
        private long _t;

        public override void Step() => ExpertAdam.Step(_p.Span, _g.Span, _m.Span, _v.Span, ++_t);
    }

    private sealed class RooflineStepper(Roofline roofline) : Stepper
    {
        public override void Step() => roofline.Step();
    }

    /// <summary>
    /// The generated Adam's ranges (<see cref="IPartitionedStep{T}.StepRange"/>) driven by Parallel.For over exactly the
    /// chunks <see cref="ParallelStep"/> uses. The ranges read the step number and rate the last <c>Step</c> set, so one
    /// untimed single-threaded <c>Step</c> runs first: every timed pass then repeats step 1's arithmetic (the same
    /// work per element as any other step).
    /// </summary>
    private sealed class ParallelForStepper : Stepper
    {
        private readonly int _chunkCount;
        private readonly ParallelOptions _options;
        private readonly Action<int> _body;

        public ParallelForStepper(Workspace w, int threads)
        {
            Memory<float> p = w.Parameters, g = w.Gradients;
            var optimizer = new SuiteAdam(p.Length) { ThreadCount = 1 };
            optimizer.Step(p.Span, g.Span);
            IPartitionedStep<float> ranges = optimizer;
            int length = p.Length;
            int chunkLength = ParallelStep.ChunkLength(length, threads);
            _chunkCount = (int)(((long)length + chunkLength - 1) / chunkLength);
            _options = new ParallelOptions { MaxDegreeOfParallelism = threads };
            _body = chunk =>
            {
                int start = chunk * chunkLength;
                int count = Math.Min(chunkLength, length - start);
                ranges.StepRange(p.Span.Slice(start, count), g.Span.Slice(start, count), start);
            };
        }

        public override void Step() => Parallel.For(0, _chunkCount, _options, _body);
    }
}

/// <summary>The multi-tensor experiment: 200 tensors of log-uniform sizes from 64 to 1M elements.</summary>
public static class MultiTensor
{
    /// <summary>Number of tensors.</summary>
    public const int Count = 200;

    private static int[]? s_sizes;

    /// <summary>The tensor sizes: log-uniform in [64, 2²⁰], seed 6 (64 to 1,044,373 elements, 16,924,281 in all).</summary>
    public static IReadOnlyList<int> Sizes => s_sizes ??= MakeSizes();

    /// <summary>Their total.</summary>
    public static int Total
    {
        get
        {
            int total = 0;
            foreach (int size in Sizes)
            {
                total += size;
            }

            return total;
        }
    }

    /// <summary>A stepper for one of the three layouts.</summary>
    public static Stepper Create(string implementation, int threads) => implementation switch
    {
        Impl.StoreOf200 => new StoreStepper(threads),
        Impl.OneTensor => new OneTensorStepper(threads),
        Impl.Optimizers200 => new ManyOptimizersStepper(threads),
        _ => throw new ArgumentException($"No multi-tensor layout '{implementation}'.", nameof(implementation)),
    };

    private static int[] MakeSizes()
    {
        var random = new Random(6);
        var sizes = new int[Count];
        for (int i = 0; i < Count; i++)
        {
            sizes[i] = (int)Math.Round(Math.Exp(Math.Log(64) + (random.NextDouble() * (Math.Log(1 << 20) - Math.Log(64)))));
        }

        return sizes;
    }

    private sealed class StoreStepper : Stepper
    {
        private readonly ParameterStore<float> _store;
        private readonly SuiteAdam _optimizer;

        public StoreStepper(int threads)
        {
            var tensors = new List<(string, int)>();
            for (int i = 0; i < Count; i++)
            {
                tensors.Add(($"t{i}", Sizes[i]));
            }

            _store = new ParameterStore<float>(tensors);
            uint seed = 10;
            foreach (TensorSlice slice in _store.Tensors)
            {
                TestData.Fill(_store.Parameter(slice.Name), seed++, -1f, 1f);
                TestData.Fill(_store.Gradient(slice.Name), seed++, -0.5f, 0.5f);
            }

            _optimizer = new SuiteAdam(_store.Length) { ThreadCount = threads };
        }

        public override void Step() => _optimizer.Step(_store);
    }

    private sealed class OneTensorStepper(int threads) : Stepper
    {
        private readonly Workspace _w = Workspace.Get(Total);
        private readonly SuiteAdam _optimizer = new(Total) { ThreadCount = threads };

        public override void Step() => _optimizer.Step(_w.Parameters.Span, _w.Gradients.Span);
    }

    private sealed class ManyOptimizersStepper : Stepper
    {
        private readonly float[][] _p = new float[Count][];
        private readonly float[][] _g = new float[Count][];
        private readonly SuiteAdam[] _optimizers = new SuiteAdam[Count];

        public ManyOptimizersStepper(int threads)
        {
            for (int i = 0; i < Count; i++)
            {
                _p[i] = new float[Sizes[i]];
                _g[i] = new float[Sizes[i]];
                TestData.Fill(_p[i], (uint)(10 + (2 * i)), -1f, 1f);
                TestData.Fill(_g[i], (uint)(11 + (2 * i)), -0.5f, 0.5f);
                _optimizers[i] = new SuiteAdam(Sizes[i]) { ThreadCount = threads };
            }
        }

        public override void Step()
        {
            for (int i = 0; i < Count; i++)
            {
                _optimizers[i].Step(_p[i], _g[i]);
            }
        }
    }
}
