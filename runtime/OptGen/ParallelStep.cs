using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.ExceptionServices;
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
/// <remarks>
/// The pool has at most <see cref="Environment.ProcessorCount"/> − 1 threads, whatever thread counts are asked for; a
/// thread that has had no work for a few seconds ends. A step never waits for a thread to exist: the calling thread
/// takes every chunk no helper took, so a step completes even if no helper thread can be started.
/// </remarks>
public static class ParallelStep
{
    /// <summary>Below this many elements a step runs on the calling thread: dispatch would cost more than it saves.</summary>
    public const int MinimumParallelLength = 1 << 17;

    /// <summary>Elements per chunk at least (a multiple of every vector width).</summary>
    public const int MinimumChunkLength = 1 << 15;

    /// <summary>Chunks per thread, so that a thread that falls behind does not hold up the others.</summary>
    private const int ChunksPerThread = 4;

    /// <summary>Runs <paramref name="step"/> over all elements on up to <paramref name="threadCount"/> threads.</summary>
    /// <param name="step">The ranges to run.</param>
    /// <param name="parameters">All parameters.</param>
    /// <param name="gradients">All gradients, as many as parameters.</param>
    /// <param name="threadCount">Threads to use, the calling thread included; 1 or less runs on the calling thread only,
    /// and more than <see cref="OptimizerLimits.MaxThreadCount"/> counts as that many.</param>
    /// <returns>The kernel path of the first range.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static KernelPath Run<T>(IPartitionedStep<T> step, Span<T> parameters, ReadOnlySpan<T> gradients, int threadCount)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(step);
        if (gradients.Length != parameters.Length)
        {
            throw new ArgumentException($"Expected {parameters.Length} gradients, one per parameter, but got {gradients.Length}.", nameof(gradients));
        }

        int length = parameters.Length;
        if (threadCount <= 1 || length < MinimumParallelLength)
        {
            return step.StepRange(parameters, gradients, 0);
        }

        int threads = Math.Min(threadCount, OptimizerLimits.MaxThreadCount);
        int chunkLength = ChunkLength(length, threads);
        int chunkCount = (int)(((long)length + chunkLength - 1) / chunkLength);
        return StepWorkers.Shared.Run(step, parameters, gradients, chunkLength, chunkCount, Math.Min(threads, chunkCount))
            ?? step.StepRange(parameters, gradients, 0); // the pool is busy with another optimizer's step
    }

    /// <summary>Elements per chunk: about <see cref="ChunksPerThread"/> chunks per thread, a multiple of 1024, at least <see cref="MinimumChunkLength"/>.</summary>
    internal static int ChunkLength(int length, int threads)
    {
        long target = length / ((long)threads * ChunksPerThread);
        return (int)Math.Max(MinimumChunkLength, (target + 1023) / 1024 * 1024);
    }
}

/// <summary>
/// Dedicated worker threads that help with one job at a time. Correct by construction rather than by timing:
/// <list type="bullet">
/// <item>A chunk is claimed with one compare-and-swap on a ticket that holds the job's generation and the next chunk
/// index, and a finished generation's ticket is closed before the next job is written, so a worker that wakes late, or
/// reads the fields of a job that has since ended, cannot claim anything but a chunk of the job that is running.</item>
/// <item>The caller waits for finished chunks, not for participants: it returns when every chunk has run, so no
/// worker can still touch the caller's pinned memory, and a worker that never shows up cannot hold it back.</item>
/// <item>How many workers join is only a hint (they may join fewer, or one more): it never affects the result.</item>
/// </list>
/// </summary>
internal sealed unsafe class StepWorkers
{
    /// <summary>The process-wide pool: at most one helper per further core, idle helpers end after 5 seconds.</summary>
    public static readonly StepWorkers Shared = new(Math.Max(0, Environment.ProcessorCount - 1), TimeSpan.FromSeconds(5), StartThread);

    // How long an idle worker polls for the next job before it blocks: steps arrive back to back in training loops.
    private static readonly long SpinTicks = TimeSpan.FromMilliseconds(0.2).Ticks * System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond;

    private readonly int _maxWorkers;
    private readonly int _idleTimeoutMilliseconds;
    private readonly Action<ThreadStart> _startThread;
    private readonly object _jobGate = new();
    private readonly object _wakeGate = new();
    private readonly Dictionary<Type, Job> _jobs = [];

    private int _workerCount;          // guarded by _wakeGate
    private Job? _job;                 // the current job; written before its generation is published in _ticket
    private long _ticket;              // (generation << 32) | index of the next unclaimed chunk
    private int _finishedChunks;       // chunks of the current generation that have run
    private int _openSlots;            // helpers still wanted by the current job (a hint)
    private ExceptionDispatchInfo? _failure;

    /// <summary>Creates a pool.</summary>
    /// <param name="maxWorkers">The most helper threads it ever has at once.</param>
    /// <param name="idleTimeout">How long a helper waits for work before it ends.</param>
    /// <param name="startThread">Starts a background thread that runs the given method (a test can make it fail).</param>
    internal StepWorkers(int maxWorkers, TimeSpan idleTimeout, Action<ThreadStart> startThread)
    {
        _maxWorkers = maxWorkers;
        _idleTimeoutMilliseconds = (int)Math.Clamp(idleTimeout.TotalMilliseconds, 1, int.MaxValue);
        _startThread = startThread;
    }

    /// <summary>Helper threads alive now.</summary>
    internal int WorkerCount
    {
        get
        {
            lock (_wakeGate)
            {
                return _workerCount;
            }
        }
    }

    /// <summary>Runs the job, or returns null at once if another job holds the pool.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public KernelPath? Run<T>(IPartitionedStep<T> step, Span<T> parameters, ReadOnlySpan<T> gradients, int chunkLength, int chunkCount, int threads)
        where T : unmanaged
    {
        // A range that itself starts a parallel step (on the caller's thread, which already holds the gate) runs it alone.
        if (Monitor.IsEntered(_jobGate) || !Monitor.TryEnter(_jobGate))
        {
            return null;
        }

        try
        {
            Job<T> job = JobFor<T>();
            int helpers = EnsureWorkers(threads - 1);
            fixed (T* p = parameters)
            fixed (T* g = gradients)
            {
                job.Set(step, p, g, parameters.Length, chunkLength, chunkCount);
                _failure = null;
                _finishedChunks = 0;
                _openSlots = helpers;
                Volatile.Write(ref _job, job);
                long generationTicket = NextGenerationTicket(Volatile.Read(ref _ticket));
                Volatile.Write(ref _ticket, generationTicket); // publishes the job: chunks can be claimed from here on
                if (helpers > 0)
                {
                    lock (_wakeGate)
                    {
                        Monitor.PulseAll(_wakeGate);
                    }
                }

                // The caller takes chunks too, and so every chunk that no helper takes.
                TakeChunks(generationTicket);
                var wait = default(SpinWait);
                while (Volatile.Read(ref _finishedChunks) != chunkCount)
                {
                    wait.SpinOnce(sleep1Threshold: -1);
                }

                // Close the generation before the job's fields change for the next one: a worker that read this
                // generation's ticket at its last index and then the next job's larger chunk count would otherwise
                // claim a chunk that does not exist (and run it with the next job's fields before it is published).
                Interlocked.Exchange(ref _ticket, generationTicket | ClosedIndex);
                job.Clear();
                _failure?.Throw();
                return job.FirstPath;
            }
        }
        finally
        {
            Monitor.Exit(_jobGate);
        }
    }

    private Job<T> JobFor<T>()
        where T : unmanaged
    {
        // One reusable job per element type (the pool runs one job at a time), so a step allocates nothing.
        if (!_jobs.TryGetValue(typeof(T), out Job? job))
        {
            job = new Job<T>();
            _jobs.Add(typeof(T), job);
        }

        return (Job<T>)job;
    }

    /// <summary>
    /// The ticket of the generation after the one <paramref name="ticket"/> belongs to, with chunk index 0. Generations
    /// wrap after 2³² jobs; a claim could only be mistaken if a worker stalled between two reads for that many jobs.
    /// </summary>
    private static long NextGenerationTicket(long ticket) => (long)(((ulong)ticket & GenerationMask) + (1UL << 32));

    private const ulong GenerationMask = 0xFFFF_FFFF_0000_0000UL;

    /// <summary>The chunk index of a finished generation's ticket: at least any chunk count, so nothing can be claimed.</summary>
    private const long ClosedIndex = int.MaxValue;

    private static long GenerationOf(long ticket) => (long)((ulong)ticket & GenerationMask);

    /// <summary>Claims and runs chunks of the job whose generation <paramref name="generationTicket"/> names, until none is left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TakeChunks(long generationTicket)
    {
        long ticket = Volatile.Read(ref _ticket);
        while (GenerationOf(ticket) == generationTicket)
        {
            // Read before the claim. A successful claim proves the chunk was unclaimed, so the generation was running and
            // its job's fields unchanged while they were read (a finished generation is closed before they change).
            Job? job = Volatile.Read(ref _job);
            int chunk = (int)(ticket & 0xFFFF_FFFFL);
            if (job is null || chunk >= job.ChunkCount)
            {
                return;
            }

            long seen = Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket);
            if (seen != ticket)
            {
                ticket = seen;
                continue;
            }

            try
            {
                job.RunChunk(chunk);
            }
            catch (Exception e)
            {
                // Reported to the caller, which rethrows it once every chunk has finished.
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            }
            finally
            {
                Interlocked.Increment(ref _finishedChunks);
            }

            ticket = Volatile.Read(ref _ticket);
        }
    }

    /// <summary>Starts helpers until <paramref name="wanted"/> (at most the pool's bound) exist; returns how many there are to ask.</summary>
    private int EnsureWorkers(int wanted)
    {
        wanted = Math.Min(wanted, _maxWorkers);
        lock (_wakeGate)
        {
            while (_workerCount < wanted)
            {
                long generation = GenerationOf(Volatile.Read(ref _ticket));
                try
                {
                    _startThread(() => Work(generation));
                }
                catch (Exception e) when (e is OutOfMemoryException or ThreadStartException or ThreadStateException)
                {
                    // No more threads can be started now: the step runs on those that exist (the caller takes the rest),
                    // and a later step tries again. Nothing was counted for the thread that did not start.
                    break;
                }

                _workerCount++;
            }

            return Math.Min(wanted, _workerCount);
        }
    }

    private static void StartThread(ThreadStart body) => new Thread(body) { IsBackground = true, Name = "OptGen step worker" }.Start();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Work(long seenGeneration)
    {
        // Returns when the worker has been idle too long; it has been uncounted by then.
        while (WaitForJob(seenGeneration, out long generation))
        {
            seenGeneration = generation;
            if (Interlocked.Decrement(ref _openSlots) >= 0)
            {
                TakeChunks(generation);
            }
        }
    }

    /// <summary>Waits for a generation other than <paramref name="seen"/>; false if none came within the idle timeout.</summary>
    private bool WaitForJob(long seen, out long generation)
    {
        long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        var spin = default(SpinWait);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil)
        {
            generation = GenerationOf(Volatile.Read(ref _ticket));
            if (generation != seen)
            {
                return true;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }

        lock (_wakeGate)
        {
            while (true)
            {
                generation = GenerationOf(Volatile.Read(ref _ticket));
                if (generation != seen)
                {
                    return true;
                }

                // The count drops in the same lock that EnsureWorkers counts under, so a caller never counts a worker
                // that has decided to end (and if it did, the caller would only take more chunks itself).
                if (!Monitor.Wait(_wakeGate, _idleTimeoutMilliseconds) && GenerationOf(Volatile.Read(ref _ticket)) == seen)
                {
                    _workerCount--;
                    return false;
                }
            }
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
