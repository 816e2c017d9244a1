using System;
using System.Diagnostics;
using System.Threading;

namespace OptGen.Tests;

/// <summary>
/// The step worker pool under the sequences that used to break it: consecutive jobs split across different numbers of
/// threads, more threads asked for than exist, workers that fail to start or go idle. Every job must run every element
/// exactly once, finish before <c>Run</c> returns, and never hang. CI also runs these with DOTNET_PROCESSOR_COUNT=16, so
/// that the default thread counts split across many workers on any machine.
/// </summary>
public sealed class WorkerPoolTests
{
    // Long enough for thousands of steps, which hung the old pool; the slowest forced SIMD paths get fewer steps.
    private static readonly TimeSpan SteppingTime = TimeSpan.FromSeconds(10);


    [Fact]
    public void Alternating_thread_counts_on_one_optimizer_neither_hang_nor_change_a_bit()
    {
        // 8 chunks, split over 8 and then 4 threads. The old pool hung within a few thousand such steps even on 2 cores.
        const int length = 1 << 18;
        var parallel = new TestNesterov(length);
        var reference = new TestNesterov(length) { ThreadCount = 1 };
        float[] p = OptimizerTestData.InitialParameters<float>(length), q = (float[])p.Clone();
        float[][] gradients = [OptimizerTestData.Gradient<float>(1, length), OptimizerTestData.Gradient<float>(2, length)];
        int steps = 0;
        Bounded.Run(() =>
        {
            for (var clock = Stopwatch.StartNew(); steps < 10_000 && clock.Elapsed < SteppingTime; steps++)
            {
                parallel.ThreadCount = steps % 2 == 0 ? 8 : 4;
                parallel.Step(p, gradients[steps % 2]);
            }
        });

        for (int step = 0; step < steps; step++)
        {
            reference.Step(q, gradients[step % 2]);
        }

        Assert.Equal(q, p);
        Assert.Equal(reference.GetStateBuffer(0).ToArray(), parallel.GetStateBuffer(0).ToArray());
    }

    [Fact]
    public void Two_optimizers_of_different_sizes_stepped_alternately_at_the_default_thread_count_do_not_hang()
    {
        // With ≥ 5 cores the two sizes split across different numbers of threads (the large one on all of them).
        var sizes = new[] { 1 << 20, 131_072 };
        var optimizers = new[] { new TestNesterov(sizes[0]), new TestNesterov(sizes[1]) };
        var twins = new[] { new TestNesterov(sizes[0]) { ThreadCount = 1 }, new TestNesterov(sizes[1]) { ThreadCount = 1 } };
        var parameters = new[] { OptimizerTestData.InitialParameters<float>(sizes[0]), OptimizerTestData.InitialParameters<float>(sizes[1]) };
        var twinParameters = new[] { (float[])parameters[0].Clone(), (float[])parameters[1].Clone() };
        var gradients = new[] { OptimizerTestData.Gradient<float>(1, sizes[0]), OptimizerTestData.Gradient<float>(2, sizes[1]) };
        int steps = 0;
        Bounded.Run(() =>
        {
            for (var clock = Stopwatch.StartNew(); steps < 6000 && clock.Elapsed < SteppingTime; steps++)
            {
                optimizers[steps % 2].Step(parameters[steps % 2], gradients[steps % 2]);
            }
        });

        for (int step = 0; step < steps; step++)
        {
            twins[step % 2].Step(twinParameters[step % 2], gradients[step % 2]);
        }

        Assert.Equal(twinParameters[0], parameters[0]);
        Assert.Equal(twinParameters[1], parameters[1]);
    }

    [Fact]
    public void Every_element_runs_exactly_once_per_job_and_never_after_the_job_returns()
    {
        // A pool of its own with 15 helpers, whatever this machine has, and jobs that split every which way: the thread
        // counts of real steps, then small chunks whose count alternates between few and many from one job to the next
        // (a worker that read a finished job's last index and then the next job's larger count must not claim a chunk).
        var pool = new StepWorkers(maxWorkers: 15, TimeSpan.FromSeconds(5), StartBackgroundThread);
        var counter = new VisitCounter(64 * 1024);
        int[] threadCounts = [16, 5, 2, 9, 3, 16, 1, 7, 4, 12];
        int[] chunkCounts = [4, 32, 4, 32, 3, 17, 1, 64];
        int jobs = 0;
        Bounded.Run(() =>
        {
            for (var clock = Stopwatch.StartNew(); jobs < 40_000 && clock.Elapsed < SteppingTime;)
            {
                jobs++;
                int threads = jobs % 4 == 0 ? threadCounts[jobs / 4 % threadCounts.Length] : 16;
                int chunkLength = jobs % 4 == 0 ? ParallelStep.ChunkLength(counter.Length, threads) : counter.Length / chunkCounts[jobs % chunkCounts.Length];
                int chunkCount = (counter.Length + chunkLength - 1) / chunkLength;
                counter.Active = true;
                Assert.NotNull(pool.Run(counter, counter.Parameters, counter.Parameters, chunkLength, chunkCount, Math.Min(threads, chunkCount)));
                counter.Active = false;
                counter.AssertEveryElementVisited(jobs);
            }
        });

        Assert.Equal(0, counter.VisitsOutsideAJob);
        Assert.True(jobs > 1000, $"Only {jobs} jobs ran.");
        Assert.InRange(pool.WorkerCount, 1, 15);
    }

    [Fact]
    public void The_pool_never_has_more_workers_than_its_bound_and_idle_workers_end()
    {
        var pool = new StepWorkers(maxWorkers: 3, TimeSpan.FromMilliseconds(100), StartBackgroundThread);
        var counter = new VisitCounter(1 << 20);
        Bounded.Run(() =>
        {
            pool.Run(counter, counter.Parameters, counter.Parameters, ParallelStep.MinimumChunkLength, 32, threads: 4096);
            counter.AssertEveryElementVisited(1);
        });

        Assert.InRange(pool.WorkerCount, 0, 3);
        Bounded.WaitUntil(() => pool.WorkerCount == 0, "idle workers to end");

        // And a later job starts them again.
        Bounded.Run(() => pool.Run(counter, counter.Parameters, counter.Parameters, ParallelStep.MinimumChunkLength, 32, threads: 4));
        counter.AssertEveryElementVisited(2);
    }

    [Fact]
    public void A_huge_thread_count_adds_no_more_threads_than_the_machine_has_cores()
    {
        const int length = 1 << 20;
        var optimizer = new TestNesterov(length) { ThreadCount = OptimizerLimits.MaxThreadCount };
        var reference = new TestNesterov(length) { ThreadCount = 1 };
        float[] p = OptimizerTestData.InitialParameters<float>(length), q = (float[])p.Clone();
        float[] g = OptimizerTestData.Gradient<float>(3, length);
        int before = Process.GetCurrentProcess().Threads.Count;
        Bounded.Run(() => optimizer.Step(p, g));
        reference.Step(q, g);

        Assert.Equal(q, p);
        Assert.True(Process.GetCurrentProcess().Threads.Count - before <= Environment.ProcessorCount + 2, "ThreadCount = MaxThreadCount started more threads than there are cores.");
    }

    [Fact]
    public void Thread_counts_outside_the_documented_range_are_refused()
    {
        var optimizer = new TestNesterov(ParallelStep.MinimumParallelLength * 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.ThreadCount = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.ThreadCount = OptimizerLimits.MaxThreadCount + 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.ThreadCount = 1 << 30);
        Assert.Equal(Math.Min(Environment.ProcessorCount, OptimizerLimits.MaxThreadCount), optimizer.ThreadCount);

        // ParallelStep.Run itself takes any count: beyond the maximum it counts as the maximum, and never divides by zero.
        var counter = new VisitCounter(ParallelStep.MinimumParallelLength * 2);
        Bounded.Run(() => ParallelStep.Run(counter, counter.Parameters, counter.Parameters, 1 << 30));
        Bounded.Run(() => ParallelStep.Run(counter, counter.Parameters, counter.Parameters, int.MaxValue));
        counter.AssertEveryElementVisited(2);
    }

    [Fact]
    public void A_thread_that_fails_to_start_leaves_the_pool_consistent()
    {
        int starts = 0;
        bool failing = true;
        var pool = new StepWorkers(maxWorkers: 7, TimeSpan.FromSeconds(5), body =>
        {
            // The third start fails, as under a process limit on threads.
            if (failing && Interlocked.Increment(ref starts) == 3)
            {
                throw new OutOfMemoryException("Thread failed to start.");
            }

            StartBackgroundThread(body);
        });
        var counter = new VisitCounter(1 << 20);
        Bounded.Run(() => pool.Run(counter, counter.Parameters, counter.Parameters, ParallelStep.MinimumChunkLength, 32, threads: 8));
        counter.AssertEveryElementVisited(1);
        Assert.Equal(2, pool.WorkerCount);

        failing = false;
        Bounded.Run(() =>
        {
            for (int job = 2; job <= 500; job++)
            {
                pool.Run(counter, counter.Parameters, counter.Parameters, ParallelStep.MinimumChunkLength, 32, threads: job % 2 == 0 ? 8 : 2);
                counter.AssertEveryElementVisited(job);
            }
        });

        Assert.Equal(7, pool.WorkerCount);
    }

    [Fact]
    public void An_exception_in_a_range_reaches_the_caller_after_every_chunk_has_finished()
    {
        var pool = new StepWorkers(maxWorkers: 3, TimeSpan.FromSeconds(5), StartBackgroundThread);
        var counter = new VisitCounter(1 << 20) { FailingChunkStart = 5 * ParallelStep.MinimumChunkLength };
        counter.Active = true;
        Assert.Throws<InvalidOperationException>(() => pool.Run(counter, counter.Parameters, counter.Parameters, ParallelStep.MinimumChunkLength, 32, threads: 4));
        counter.Active = false;
        Thread.Sleep(50);
        Assert.Equal(0, counter.VisitsOutsideAJob);

        counter.FailingChunkStart = -1;
        Bounded.Run(() => pool.Run(counter, counter.Parameters, counter.Parameters, ParallelStep.MinimumChunkLength, 32, threads: 4));
    }

    private static void StartBackgroundThread(ThreadStart body) => new Thread(body) { IsBackground = true }.Start();



    /// <summary>A "step" that counts how often each element is visited, and notices visits while no job is running.</summary>
    private sealed class VisitCounter(int length) : IPartitionedStep<float>
    {
        private int _visitsOutsideAJob;
        private volatile bool _active;

        public float[] Parameters { get; } = new float[length];

        public int Length => length;

        public bool Active
        {
            get => _active;
            set => _active = value;
        }

        public int FailingChunkStart { get; set; } = -1;

        public int VisitsOutsideAJob => Volatile.Read(ref _visitsOutsideAJob);

        public KernelPath StepRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start)
        {
            if (!Active)
            {
                Interlocked.Increment(ref _visitsOutsideAJob);
            }

            if (start == FailingChunkStart)
            {
                throw new InvalidOperationException("A failing range.");
            }

            // Slow enough that helpers and the caller overlap.
            for (int i = 0; i < parameters.Length; i++)
            {
                parameters[i] += 1;
            }

            return KernelPath.Scalar;
        }

        public void AssertEveryElementVisited(int times)
        {
            int wrong = Array.FindIndex(Parameters, x => x != times);
            Assert.True(wrong < 0, $"Element {wrong} was visited {(wrong < 0 ? 0 : Parameters[wrong])} times, not {times}.");
        }
    }
}
