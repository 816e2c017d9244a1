using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;

namespace OptGen.Stress;

/// <summary>
/// Many threads at once, each repeatedly: an optimizer of a random rule and size, stepped at random thread counts (the
/// shared worker pool splits every large step), checkpointed into a stream between other data and resumed, reset, its
/// step count moved; after every operation its parameters and state are compared bit for bit with a twin that does
/// the same on one thread (a NaN, which an injected NaN gradient spreads, matches a NaN of either sign). A thread that
/// makes no progress for two minutes is a hang. Exit code 0: no mismatch, no hang.
/// </summary>
internal static class Program
{
    private static readonly int[] Sizes = [1_000, 4_099, ParallelStep.MinimumParallelLength + 17, 300_001, 1 << 20];
    private static readonly int[] ThreadCounts = [1, 2, 3, 4, 5, 8, 16, OptimizerLimits.MaxThreadCount];
    private static readonly string[] Rules = ["Adam", "AdamWDouble", "Nesterov", "AdaGrad", "CenteredRmsProp", "SkipStepAdam"];
    private static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(2);

    private static long s_steps, s_refusals, s_checks, s_checkpoints, s_resets, s_stepCountMoves, s_threadCountChanges, s_skipped, s_optimizers;
    private static int s_mismatches;

    public static int Main(string[] args)
    {
        var minutes = new Option<double>("--minutes") { Description = "How long to run.", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "Threads stepping optimizers at once.", DefaultValueFactory = _ => Math.Max(4, 2 * Environment.ProcessorCount) };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice.", DefaultValueFactory = _ => 1 };
        var command = new RootCommand("Stress test of OptGen's parallel step, checkpoints and resets against single-threaded twins.") { minutes, threads, seed };
        command.SetAction(parse => Run(TimeSpan.FromMinutes(parse.GetValue(minutes)), parse.GetValue(threads), parse.GetValue(seed)));
        return command.Parse(args).Invoke();
    }

    private static int Run(TimeSpan duration, int threadCount, int seed)
    {
        Console.WriteLine($"Stress: {threadCount} threads for {duration.TotalMinutes:0.##} min, seed {seed}, {Environment.ProcessorCount} cores as .NET sees them.");
        var clock = Stopwatch.StartNew();
        long[] progress = new long[threadCount];
        var workers = new Thread[threadCount];
        for (int i = 0; i < threadCount; i++)
        {
            int index = i;
            workers[i] = new Thread(() => Work(new Random(seed * 7919 + index), clock, duration, ref progress[index])) { IsBackground = true, Name = $"stress {index}" };
            workers[i].Start();
        }

        int hangs = 0;
        long[] lastProgress = new long[threadCount];
        TimeSpan[] lastChange = new TimeSpan[threadCount];
        while (workers.Any(w => w.IsAlive))
        {
            Thread.Sleep(1000);
            for (int i = 0; i < threadCount; i++)
            {
                long now = Volatile.Read(ref progress[i]);
                if (now != lastProgress[i] || !workers[i].IsAlive)
                {
                    lastProgress[i] = now;
                    lastChange[i] = clock.Elapsed;
                }
                else if (clock.Elapsed - lastChange[i] > HangLimit)
                {
                    Console.WriteLine($"HANG: thread {i} has made no progress for {HangLimit.TotalMinutes} minutes.");
                    hangs++;
                    lastChange[i] = TimeSpan.MaxValue / 2; // reported once
                }
            }

            if (hangs > 0)
            {
                break;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Stress: {clock.Elapsed.TotalMinutes:0.0} min, {s_optimizers:N0} optimizers, {s_steps:N0} steps ({s_skipped:N0} skipped for non-finite gradients), " +
            $"{s_checks:N0} bit-for-bit checks, {s_checkpoints:N0} checkpoint resumes, {s_resets:N0} resets, {s_stepCountMoves:N0} step-count moves, " +
            $"{s_threadCountChanges:N0} thread-count changes, {s_refusals:N0} steps refused at the largest step count; mismatches: {s_mismatches}, hangs: {hangs}."));
        return s_mismatches == 0 && hangs == 0 ? 0 : 1;
    }

    private static void Work(Random random, Stopwatch clock, TimeSpan duration, ref long progress)
    {
        while (clock.Elapsed < duration && Volatile.Read(ref s_mismatches) == 0)
        {
            string rule = Rules[random.Next(Rules.Length)];
            int length = Sizes[random.Next(Sizes.Length)];
            Interlocked.Increment(ref s_optimizers);
            if (rule is "AdamWDouble" or "CenteredRmsProp")
            {
                Exercise<double>(random, rule, length, ref progress);
            }
            else
            {
                Exercise<float>(random, rule, length, ref progress);
            }
        }
    }

    private static void Exercise<T>(Random random, string rule, int length, ref long progress)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var subject = (IOptimizer<T>)Create(rule, length);
        var twin = (IOptimizer<T>)Create(rule, length);
        twin.ThreadCount = 1;
        T[] parameters = Values<T>(random, length);
        T[] twinParameters = (T[])parameters.Clone();
        T[] gradients = new T[length];
        for (int operation = random.Next(10, 60); operation > 0; operation--)
        {
            int choice = random.Next(100);
            if (choice < 80)
            {
                if (random.Next(4) == 0)
                {
                    subject.ThreadCount = ThreadCounts[random.Next(ThreadCounts.Length)];
                    Interlocked.Increment(ref s_threadCountChanges);
                }

                Fill(random, gradients);
                if (random.Next(50) == 0)
                {
                    gradients[random.Next(length)] = T.NaN;
                }

                if (subject.StepCount == OptimizerLimits.MaxStepCount)
                {
                    // No step is left: both must refuse, changing nothing (the comparison below checks that).
                    if (!Refuses(() => subject.Step(parameters, gradients)) || !Refuses(() => twin.Step(twinParameters, gradients)))
                    {
                        Mismatch(rule, length, "a step at the largest step count was not refused");
                    }

                    Interlocked.Increment(ref s_refusals);
                }
                else
                {
                    bool applied = subject.Step(parameters, gradients);
                    if (applied != twin.Step(twinParameters, gradients))
                    {
                        Mismatch(rule, length, "the two disagree on whether the step was applied");
                    }

                    Interlocked.Increment(ref applied ? ref s_steps : ref s_skipped);
                }
            }
            else if (choice < 90)
            {
                subject = Resume(random, rule, length, subject);
                Interlocked.Increment(ref s_checkpoints);
            }
            else if (choice < 95)
            {
                subject.Reset();
                twin.Reset();
                Interlocked.Increment(ref s_resets);
            }
            else
            {
                long stepCount = random.Next(3) == 0 ? OptimizerLimits.MaxStepCount - random.Next(0, 20) : random.Next(0, 1000);
                subject.StepCount = stepCount;
                twin.StepCount = stepCount;
                Interlocked.Increment(ref s_stepCountMoves);
            }

            Compare(rule, length, subject, twin, parameters, twinParameters);
            Interlocked.Increment(ref progress);
        }
    }

    /// <summary>Saves into a stream between other data, loads into a fresh optimizer, and checks the stream is left just after it.</summary>
    private static IOptimizer<T> Resume<T>(Random random, string rule, int length, IOptimizer<T> subject)
        where T : unmanaged
    {
        var stream = new MemoryStream();
        stream.Write("before"u8);
        subject.SaveCheckpoint(stream);
        stream.Write("after"u8);
        stream.Position = 6;
        var resumed = (IOptimizer<T>)Create(rule, length);
        resumed.ThreadCount = subject.ThreadCount;
        resumed.LoadCheckpoint(random.Next(2) == 0 ? stream : new ForwardOnly(stream));
        byte[] rest = new byte[5];
        if (stream.Read(rest) != 5 || !rest.AsSpan().SequenceEqual("after"u8))
        {
            Mismatch(rule, length, "the checkpoint did not leave the stream just after it");
        }

        return resumed;
    }

    private static void Compare<T>(string rule, int length, IOptimizer<T> subject, IOptimizer<T> twin, T[] parameters, T[] twinParameters)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Interlocked.Increment(ref s_checks);
        if (Difference(subject, twin, parameters, twinParameters) is string difference)
        {
            Mismatch(rule, length, $"{difference} differ from the single-threaded twin (thread count {subject.ThreadCount}, step {subject.StepCount}, last path {subject.LastKernelPath})");
        }
    }

    /// <summary>What differs, and where first; null if nothing does.</summary>
    private static string? Difference<T>(IOptimizer<T> subject, IOptimizer<T> twin, T[] parameters, T[] twinParameters)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (subject.StepCount != twin.StepCount || subject.SkippedStepCount != twin.SkippedStepCount)
        {
            return $"the step counts ({subject.StepCount}/{subject.SkippedStepCount} against {twin.StepCount}/{twin.SkippedStepCount})";
        }

        if (BitConverter.DoubleToInt64Bits(subject.LearningRate) != BitConverter.DoubleToInt64Bits(twin.LearningRate))
        {
            return $"the learning rates ({subject.LearningRate} against {twin.LearningRate})";
        }

        if (FirstDifference<T>(parameters, twinParameters) is int index)
        {
            return $"the parameters (first at element {index})";
        }

        for (int b = 0; b < subject.StateBufferNames.Count; b++)
        {
            if (FirstDifference<T>(subject.GetStateBuffer(b), twin.GetStateBuffer(b)) is int stateIndex)
            {
                return $"state buffer {subject.StateBufferNames[b]} (first at element {stateIndex})";
            }
        }

        return null;
    }

    /// <summary>
    /// The first element whose bits differ, where not both are NaN: a NaN's sign bit depends on the order of operands
    /// the JIT gave the instruction that produced it, which differs between a kernel's loops (unrolled, single vector,
    /// last vector), so a NaN-producing element may come out as either NaN depending on where a chunk boundary put it.
    /// </summary>
    private static int? FirstDifference<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (MemoryMarshal.AsBytes(a).SequenceEqual(MemoryMarshal.AsBytes(b)))
        {
            return null;
        }

        for (int i = 0; i < a.Length; i++)
        {
            bool sameBits = MemoryMarshal.AsBytes(a.Slice(i, 1)).SequenceEqual(MemoryMarshal.AsBytes(b.Slice(i, 1)));
            if (!sameBits && !(T.IsNaN(a[i]) && T.IsNaN(b[i])))
            {
                return i;
            }
        }

        return null;
    }

    private static bool Refuses(Action step)
    {
        try
        {
            step();
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static void Mismatch(string rule, int length, string what)
    {
        Interlocked.Increment(ref s_mismatches);
        Console.WriteLine($"MISMATCH: {rule} over {length} elements: {what}.");
    }

    private static IOptimizer Create(string rule, int length) => rule switch
    {
        "Adam" => new StressAdam(length),
        "AdamWDouble" => new StressAdamWDouble(length),
        "Nesterov" => new StressNesterov(length),
        "AdaGrad" => new StressAdaGrad(length),
        "CenteredRmsProp" => new StressCenteredRmsProp(length),
        "SkipStepAdam" => new StressSkipStepAdam(length),
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };

    private static T[] Values<T>(Random random, int length)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var values = new T[length];
        Fill(random, values);
        return values;
    }

    private static void Fill<T>(Random random, T[] values)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating((random.NextDouble() * 2) - 1);
        }
    }

    /// <summary>A view of a stream that cannot seek, as a pipe: the checkpoint is then verified through a temporary file.</summary>
    private sealed class ForwardOnly(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
