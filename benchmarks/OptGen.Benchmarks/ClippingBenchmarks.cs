using System;
using System.Linq;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;

namespace OptGen.Benchmarks;

/// <summary>PyTorch's default Adam over a store, without clipping: the baseline.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 1e-3)]
public sealed partial class StoreAdam;

/// <summary>The same Adam with the gradient norm clipped inside the step.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 1e-3)]
[ClipGradientNorm(1.0)]
public sealed partial class ClippedStoreAdam;

/// <summary>LAMB at Optax's defaults over the same store: per-tensor trust ratios, two passes.</summary>
[Optimizer(UpdateRule.Lamb, LearningRate = 1e-3)]
public sealed partial class StoreLamb;

/// <summary>
/// Clipping by the global gradient norm, one thread, a model of 200 tensors: Adam alone, Adam with
/// <c>[ClipGradientNorm]</c> (a norm pass, then the fused step scales the gradients as it reads them), and Adam after a
/// separate clipping pass as training code without it does (the norm, then every gradient scaled in place with
/// TensorPrimitives, then the step); and LAMB on the same store. Adam moves 28 bytes per parameter; fused clipping adds a
/// read of the gradients (4), a separate pass adds a read and a read-modify-write of them (12); LAMB moves 48.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class ClippingBenchmarks
{
    private ParameterStore<float> _store = null!;
    private StoreAdam _adam = null!;
    private ClippedStoreAdam _clipped = null!;
    private StoreLamb _lamb = null!;
    private float[] _originalGradients = [];

    /// <summary>Parameters in all, split into 200 tensors of equal size.</summary>
    [Params(10_000_000, 100_000_000)]
    public int Parameters { get; set; }

    // Each case runs in its own process and allocates only its optimizer, right after the store: the same placement for
    // every case (which array lands where changes a 10M step's time by up to 1.4×).
    [GlobalSetup(Targets = [nameof(Adam), nameof(SeparateClipping)])]
    public void SetupAdam()
    {
        SetupStore();
        _adam = new StoreAdam(_store.Length) { ThreadCount = 1 };
    }

    [GlobalSetup(Target = nameof(FusedClipping))]
    public void SetupClipped()
    {
        SetupStore();
        _clipped = new ClippedStoreAdam(_store.Length) { ThreadCount = 1 };
    }

    [GlobalSetup(Target = nameof(Lamb))]
    public void SetupLamb()
    {
        SetupStore();
        _lamb = new StoreLamb(_store.Length) { ThreadCount = 1 };
    }

    private void SetupStore()
    {
        _store = new ParameterStore<float>(Enumerable.Range(0, 200).Select(i => ($"layer{i}.weight", Parameters / 200)));
        TestData.Fill(_store.Parameters, 1, -1f, 1f);
        TestData.Fill(_store.Gradients, 2, -0.01f, 0.01f); // a norm of about 10: every step clips
        _originalGradients = _store.Gradients.ToArray();
    }

    /// <summary>Every iteration of the separate pass clips the same gradients (the copy is not timed).</summary>
    [IterationSetup(Target = nameof(SeparateClipping))]
    public void RestoreGradients() => _originalGradients.CopyTo(_store.Gradients);

    [Benchmark(Baseline = true, Description = "Adam")]
    public bool Adam() => _adam.Step(_store);

    [Benchmark(Description = "Adam + [ClipGradientNorm] (fused)")]
    public bool FusedClipping() => _clipped.Step(_store);

    [Benchmark(Description = "LAMB (two passes, per-tensor trust ratios)")]
    public bool Lamb() => _lamb.Step(_store);

    [Benchmark(Description = "clipping pass, then Adam")]
    public bool SeparateClipping()
    {
        // What clip_grad_norm_ does before optimizer.step(): the norm, then the gradients scaled in place.
        Span<float> gradients = _store.Gradients;
        double norm = Math.Sqrt(GradientNorm.SumOfSquares<float>(gradients));
        float coefficient = MathF.Min(1f / ((float)norm + 1e-6f), 1f);
        TensorPrimitives.Multiply(gradients, coefficient, gradients);
        return _adam.Step(_store);
    }
}
