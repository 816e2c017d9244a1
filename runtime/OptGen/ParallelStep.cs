using System;
using System.ComponentModel;
using System.Threading;

namespace OptGen;

/// <summary>
/// A step that can run on any contiguous range of the parameters. Implemented by generated optimizers for
/// <see cref="ParallelStep"/>; not meant to be called directly.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IPartitionedStep<T>
    where T : unmanaged
{
    /// <summary>Updates the range of the parameters that starts at <paramref name="start"/>.</summary>
    /// <param name="parameters">The range's parameters.</param>
    /// <param name="gradients">The range's gradients.</param>
    /// <param name="start">Index of the range's first element in the whole parameter array (and in the state).</param>
    /// <returns>The kernel path the range took.</returns>
    KernelPath StepRange(Span<T> parameters, ReadOnlySpan<T> gradients, int start);
}

/// <summary>
/// Splits a large step into contiguous chunks processed by a small pool of dedicated threads (the caller works too).
/// Every element is updated independently, so results are bit-identical whatever the thread count.
/// </summary>
public static class ParallelStep
{
    /// <summary>Below this many elements a step runs on the calling thread: dispatch would cost more than it saves.</summary>
    public const int MinimumParallelLength = 1 << 17;

    /// <summary>Elements per chunk at least (a multiple of every vector width).</summary>
    public const int MinimumChunkLength = 1 << 15;

    /// <summary>Chunks per thread, so that a thread that falls behind does not hold up the others.</summary>
    private const int ChunksPerThread = 4;

    /// <summary>Runs <paramref name="step"/> over all elements on up to <paramref name="threadCount"/> threads.</summary>
    /// <returns>The kernel path of the first range.</returns>
    public static KernelPath Run<T>(IPartitionedStep<T> step, Span<T> parameters, ReadOnlySpan<T> gradients, int threadCount)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(step);
        int length = parameters.Length;
        if (threadCount <= 1 || length < MinimumParallelLength)
        {
            return step.StepRange(parameters, gradients, 0);
        }

        int chunkLength = Math.Max(MinimumChunkLength, RoundUp(length / (threadCount * ChunksPerThread), 1024));
        int chunkCount = (int)(((long)length + chunkLength - 1) / chunkLength);
        return StepWorkers.Shared.Run(step, parameters, gradients, chunkLength, chunkCount, Math.Min(threadCount, chunkCount))
            ?? step.StepRange(parameters, gradients, 0); // the pool is busy with another optimizer's step
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

/// <summary>Dedicated worker threads, woken per step; one job at a time.</summary>
internal sealed unsafe class StepWorkers
{
    public static readonly StepWorkers Shared = new();

    // How long an idle worker spins for the next job before it blocks: steps arrive back to back in training loops.
    private static readonly TimeSpan SpinBeforeBlocking = TimeSpan.FromMilliseconds(0.2);

    private readonly object _jobGate = new();
    private readonly object _wakeGate = new();
    private Thread[] _workers = [];
    private Job? _job;
    private int _generation;
    private int _helpers;
    private int _nextChunk;
    private int _pending;

    /// <summary>Runs the job, or returns null at once if another job holds the pool.</summary>
    public KernelPath? Run<T>(IPartitionedStep<T> step, Span<T> parameters, ReadOnlySpan<T> gradients, int chunkLength, int chunkCount, int threads)
        where T : unmanaged
    {
        if (!Monitor.TryEnter(_jobGate))
        {
            return null;
        }

        try
        {
            EnsureWorkers(threads - 1);
            fixed (T* p = parameters)
            fixed (T* g = gradients)
            {
                Job<T> job = Job<T>.Instance;
                job.Set(step, p, g, parameters.Length, chunkLength, chunkCount);
                _job = job;
                _nextChunk = 0;
                _helpers = threads - 1;
                _pending = threads;
                lock (_wakeGate)
                {
                    _generation++;
                    Monitor.PulseAll(_wakeGate);
                }

                TakeChunks(job);
                Interlocked.Decrement(ref _pending);
                var wait = default(SpinWait);
                while (Volatile.Read(ref _pending) != 0)
                {
                    wait.SpinOnce(sleep1Threshold: -1);
                }

                _job = null;
                job.Clear();
                return job.FirstPath;
            }
        }
        finally
        {
            Monitor.Exit(_jobGate);
        }
    }

    private void TakeChunks(Job job)
    {
        int chunk;
        while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < job.ChunkCount)
        {
            job.RunChunk(chunk);
        }
    }

    private void EnsureWorkers(int count)
    {
        if (_workers.Length >= count)
        {
            return;
        }

        var workers = new Thread[count];
        Array.Copy(_workers, workers, _workers.Length);

        // Read before the job about to be posted: a worker that started later would otherwise take that job's
        // generation as already seen, sleep through it, and leave the caller waiting for its share forever.
        int generation = _generation;
        for (int i = _workers.Length; i < count; i++)
        {
            int index = i;
            workers[i] = new Thread(() => Work(index, generation)) { IsBackground = true, Name = $"OptGen step worker {i + 1}" };
            workers[i].Start();
        }

        _workers = workers;
    }

    private void Work(int index, int seen)
    {
        while (true)
        {
            seen = WaitForJob(seen);
            Job? job = Volatile.Read(ref _job);
            if (job is null || index >= Volatile.Read(ref _helpers))
            {
                continue;
            }

            TakeChunks(job);
            Interlocked.Decrement(ref _pending);
        }
    }

    private int WaitForJob(int seen)
    {
        long deadline = Environment.TickCount64 + (long)SpinBeforeBlocking.TotalMilliseconds + 1;
        var spin = default(SpinWait);
        while (Environment.TickCount64 < deadline)
        {
            int generation = Volatile.Read(ref _generation);
            if (generation != seen)
            {
                return generation;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }

        lock (_wakeGate)
        {
            while (_generation == seen)
            {
                Monitor.Wait(_wakeGate);
            }

            return _generation;
        }
    }

    private abstract class Job
    {
        public int ChunkCount { get; protected set; }

        public abstract void RunChunk(int chunk);
    }

    private sealed class Job<T> : Job
        where T : unmanaged
    {
        // One instance per element type suffices: the pool runs one job at a time.
        public static readonly Job<T> Instance = new();

        private IPartitionedStep<T>? _step;
        private T* _parameters;
        private T* _gradients;
        private int _length;
        private int _chunkLength;

        public KernelPath FirstPath { get; private set; }

        public void Set(IPartitionedStep<T> step, T* parameters, T* gradients, int length, int chunkLength, int chunkCount)
        {
            _step = step;
            _parameters = parameters;
            _gradients = gradients;
            _length = length;
            _chunkLength = chunkLength;
            ChunkCount = chunkCount;
        }

        public void Clear()
        {
            _step = null;
            _parameters = null;
            _gradients = null;
        }

        public override void RunChunk(int chunk)
        {
            int start = chunk * _chunkLength;
            int count = Math.Min(_chunkLength, _length - start);
            KernelPath path = _step!.StepRange(new Span<T>(_parameters + start, count), new ReadOnlySpan<T>(_gradients + start, count), start);
            if (chunk == 0)
            {
                FirstPath = path;
            }
        }
    }
}
