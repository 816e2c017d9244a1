using System;
using BenchmarkDotNet.Attributes;

namespace OptGen.Benchmarks;

/// <summary>The same Adam as <see cref="BenchmarkAdam"/>, but skipping steps whose gradients are not all finite.</summary>
[Optimizer(UpdateRule.Adam)]
[NonFiniteGradients(NonFiniteGradientPolicy.SkipStep)]
public sealed partial class BenchmarkSkipStepAdam;

/// <summary>
/// What <see cref="NonFiniteGradientPolicy.SkipStep"/> costs: one extra read pass over the gradients (4 of Adam's 28
/// bytes per parameter) before the fused step. Baseline: the same Adam with the default policy, on one thread.
/// </summary>
public class NonFiniteCheckBenchmarks
{
    private float[] _parameters = [];
    private float[] _gradients = [];
    private BenchmarkAdam _propagate = null!;
    private BenchmarkSkipStepAdam _skipStep = null!;

    [Params(1_000, 1_000_000, 10_000_000)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_parameters, _gradients) = TestData.NewParametersAndGradients(Length);

        _propagate = new BenchmarkAdam(Length) { ThreadCount = 1 };
        _skipStep = new BenchmarkSkipStepAdam(Length) { ThreadCount = 1 };
    }

    [Benchmark(Baseline = true, Description = "Adam, Propagate (no check)")]
    public bool Propagate() => _propagate.Step(_parameters, _gradients);

    [Benchmark(Description = "Adam, SkipStep (check + step)")]
    public bool SkipStep() => _skipStep.Step(_parameters, _gradients);

    /// <summary>The check followed by the Propagate optimizer's step: the same state arrays as the baseline.</summary>
    [Benchmark(Description = "FiniteCheck + Propagate step")]
    public bool CheckThenPropagate() => FiniteCheck.AllFinite<float>(_gradients) && _propagate.Step(_parameters, _gradients);

    [Benchmark(Description = "FiniteCheck.AllFinite alone")]
    public bool CheckOnly() => FiniteCheck.AllFinite<float>(_gradients);
}
