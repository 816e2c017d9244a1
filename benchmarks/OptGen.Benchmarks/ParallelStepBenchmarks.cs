using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace OptGen.Benchmarks;

/// <summary>
/// The step executor: the same Adam ranges over the same chunks, driven by OptGen's worker pool
/// (<see cref="ParallelStep.Run"/>, the baseline), by <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>
/// on the .NET thread pool, and by the calling thread alone. Per-step latency and allocation, at the smallest size that
/// is split (128K) and at 1M and 10M. Every pass repeats step 1's arithmetic: the work per element of any step.
/// </summary>
[MemoryDiagnoser]
public class ParallelStepBenchmarks
{
    private float[] _parameters = [];
    private float[] _gradients = [];
    private IPartitionedStep<float> _ranges = null!;
    private ParallelOptions _options = null!;
    private Action<int> _chunk = null!;
    private int _chunkCount;

    [Params(ParallelStep.MinimumParallelLength, 1 << 20, 10_000_000)]
    public int Length { get; set; }

    /// <summary>1, and every core.</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static int[] ThreadCounts => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    [GlobalSetup]
    public void Setup()
    {
        (_parameters, _gradients) = TestData.NewParametersAndGradients(Length);
        var optimizer = new BenchmarkAdam(Length) { ThreadCount = 1 };
        optimizer.Step(_parameters, _gradients); // sets the step number and rate the ranges read
        _ranges = optimizer;

        int chunkLength = ParallelStep.ChunkLength(Length, Threads);
        _chunkCount = (Length + chunkLength - 1) / chunkLength;
        _options = new ParallelOptions { MaxDegreeOfParallelism = Threads };
        _chunk = chunk =>
        {
            int start = chunk * chunkLength;
            int count = Math.Min(chunkLength, Length - start);
            _ranges.StepRange(_parameters.AsSpan(start, count), _gradients.AsSpan(start, count), start);
        };
    }

    [Benchmark(Baseline = true, Description = "Worker pool (ParallelStep.Run)")]
    public KernelPath WorkerPool() => ParallelStep.Run(_ranges, _parameters, _gradients, Threads);

    [Benchmark(Description = "Parallel.For, same chunks")]
    public void ParallelFor() => Parallel.For(0, _chunkCount, _options, _chunk);

    [Benchmark(Description = "Calling thread only")]
    public KernelPath CallingThread() => _ranges.StepRange(_parameters, _gradients, 0);
}
