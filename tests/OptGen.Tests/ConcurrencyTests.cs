using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace OptGen.Tests;

/// <summary>
/// An optimizer is not thread-safe, but concurrent use is detected: the second caller gets an
/// <see cref="InvalidOperationException"/> and nothing changes.
/// </summary>
public sealed class ConcurrencyTests(ITestOutputHelper output) : IDisposable
{
    private const int Length = 19;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly string _directory = Directory.CreateTempSubdirectory("optgen-concurrency-tests-").FullName;

    public static TheoryData<string> Optimizers => new("Adam", "AdamWDouble", "PlateauMomentumSgd", "SkipStepScheduledAdam");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [MemberData(nameof(Optimizers))]
    public async Task Every_call_during_a_blocked_save_is_refused_and_changes_nothing(string name)
    {
        switch (name)
        {
            case "Adam": await BlockedSave(() => new TestAdam(Length)); break;
            case "AdamWDouble": await BlockedSave(() => new TestAdamWDouble(Length)); break;
            case "PlateauMomentumSgd": await BlockedSave(() => new PlateauMomentumSgd(Length)); break;
            case "SkipStepScheduledAdam": await BlockedSave(() => new SkipStepScheduledAdam(Length)); break;
            default: throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    [Fact]
    public void Two_threads_stepping_one_optimizer_never_lose_or_interleave_an_update()
    {
        // AdaGrad with g = 1 and no weight decay adds exactly 1 to every element of its sum per applied step, whatever the
        // parameters: the sum counts applied steps independently of StepCount (exact in float below 2^22).
        const int length = 4096;
        var optimizer = new TestAdaGrad(length) { ThreadCount = 1 };
        float[] gradients = Enumerable.Repeat(1f, length).ToArray();
        long successes = 0, refusals = 0;
        var unexpected = new ConcurrentQueue<Exception>();
        var stopwatch = Stopwatch.StartNew();
        using var start = new Barrier(2);

        void Work()
        {
            float[] parameters = OptimizerTestData.InitialParameters<float>(length);
            start.SignalAndWait();
            while (stopwatch.ElapsedMilliseconds < 200)
            {
                try
                {
                    if (optimizer.Step(parameters, gradients))
                    {
                        Interlocked.Increment(ref successes);
                    }
                    else
                    {
                        unexpected.Enqueue(new InvalidOperationException("Step returned false under the Propagate policy."));
                    }
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref refusals);
                }
                catch (Exception e)
                {
                    unexpected.Enqueue(e);
                }
            }
        }

        Thread[] threads = [new Thread(Work), new Thread(Work)];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(Patience), "a stepping thread did not finish");
        }

        output.WriteLine($"{successes} steps applied, {refusals} refused as concurrent");
        Assert.Empty(unexpected);
        Assert.True(successes > 0);
        Assert.Equal(successes, optimizer.StepCount);
        float expected = 0.25f + successes;
        Assert.True(successes < (1 << 22));
        for (int i = 0; i < length; i++)
        {
            Assert.True(expected == optimizer.Sum[i], $"sum[{i}] is {optimizer.Sum[i]}, expected {expected} after {successes} applied steps");
        }
    }

    [Fact]
    public void Checkpoints_saved_while_another_thread_steps_are_each_consistent()
    {
        const int length = 4096;
        var optimizer = new TestAdaGrad(length) { ThreadCount = 1 };
        float[] gradients = Enumerable.Repeat(1f, length).ToArray();
        long steps = 0, refusedSteps = 0, refusedSaves = 0;
        int savedCount = 0;

        var saved = new List<byte[]>();
        var unexpected = new ConcurrentQueue<Exception>();
        var stopwatch = Stopwatch.StartNew();
        using var start = new Barrier(2);
        // Both threads race for at least 150 ms, and on until a checkpoint got in (a slow machine or a Debug build can
        // make the steps back to back for a long time); the stepper pauses now and then to open windows.
        bool Racing() => stopwatch.ElapsedMilliseconds < 150 || (Volatile.Read(ref savedCount) == 0 && stopwatch.ElapsedMilliseconds < 10_000);

        var stepper = new Thread(() =>
        {
            float[] parameters = new float[length];
            start.SignalAndWait();
            while (Racing())
            {
                try
                {
                    optimizer.Step(parameters, gradients);
                    if (++steps % 8 == 0)
                    {
                        Thread.Sleep(1);
                    }
                }
                catch (InvalidOperationException)
                {
                    refusedSteps++;
                }
                catch (Exception e)
                {
                    unexpected.Enqueue(e);
                }
            }
        });
        var saver = new Thread(() =>
        {
            start.SignalAndWait();
            while (Racing())
            {
                try
                {
                    var stream = new MemoryStream();
                    optimizer.SaveCheckpoint(stream);
                    saved.Add(stream.ToArray());
                    Interlocked.Increment(ref savedCount);
                }
                catch (InvalidOperationException)
                {
                    refusedSaves++;
                }
                catch (Exception e)
                {
                    unexpected.Enqueue(e);
                }
            }
        });
        stepper.Start();
        saver.Start();
        Assert.True(stepper.Join(Patience) && saver.Join(Patience), "a thread did not finish");

        output.WriteLine($"{steps} steps ({refusedSteps} refused), {saved.Count} checkpoints ({refusedSaves} refused)");
        Assert.Empty(unexpected);
        Assert.Equal(steps, optimizer.StepCount);
        Assert.NotEmpty(saved);
        var loaded = new TestAdaGrad(length);
        long previous = -1;
        foreach (byte[] checkpoint in saved)
        {
            loaded.LoadCheckpoint(new MemoryStream(checkpoint));

            // A checkpoint taken in the middle of a step would hold sums of two different step counts.
            float expected = 0.25f + loaded.StepCount;
            int mismatch = loaded.Sum.IndexOfAnyExcept(expected);
            Assert.True(mismatch < 0, $"sum[{mismatch}] is {(mismatch < 0 ? 0 : loaded.Sum[mismatch])}, expected {expected} at step {loaded.StepCount}");
            Assert.True(loaded.StepCount >= previous, "checkpoints went back in time");
            previous = loaded.StepCount;
        }
    }

    [Fact]
    public void A_save_that_fails_in_the_stream_does_not_leave_the_optimizer_in_use()
    {
        var optimizer = new TestAdam(Length);
        float[] parameters = OptimizerTestData.InitialParameters<float>(Length);
        Assert.True(optimizer.Step(parameters, OptimizerTestData.Gradient<float>(0, Length)));
        BitSnapshot before = BitSnapshot.Of(optimizer, parameters);

        var e = Assert.Throws<IOException>(() => optimizer.SaveCheckpoint(new FailingStream()));
        Assert.Equal("disk full", e.Message);
        BitSnapshot.AssertIdentical(before, BitSnapshot.Of(optimizer, parameters), "after the failed save");

        Assert.True(optimizer.Step(parameters, OptimizerTestData.Gradient<float>(1, Length)));
        optimizer.Reset();
        optimizer.SaveCheckpoint(new MemoryStream());
    }

    private async Task BlockedSave<T>(Func<IOptimizer<T>> create)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        IOptimizer<T> optimizer = create();
        optimizer.BaseLearningRate *= 0.5;
        T[] parameters = OptimizerTestData.InitialParameters<T>(Length);
        for (int s = 0; s < 3; s++)
        {
            Assert.True(optimizer.Step(parameters, OptimizerTestData.Gradient<T>(s, Length)));
        }

        // A valid checkpoint of another state, which a load would apply, and an existing file a save would replace.
        IOptimizer<T> other = create();
        T[] otherParameters = OptimizerTestData.InitialParameters<T>(Length);
        for (int s = 0; s < 5; s++)
        {
            Assert.True(other.Step(otherParameters, OptimizerTestData.Gradient<T>(s + 10, Length)));
        }

        var otherStream = new MemoryStream();
        other.SaveCheckpoint(otherStream);
        byte[] otherCheckpoint = otherStream.ToArray();
        string otherPath = Path.Combine(_directory, "other.ckpt");
        string existingPath = Path.Combine(_directory, "existing.ckpt");
        File.WriteAllBytes(otherPath, otherCheckpoint);
        File.WriteAllBytes(existingPath, otherCheckpoint);

        T[] gradients = OptimizerTestData.Gradient<T>(3, Length);
        T[] nanGradients = (T[])gradients.Clone();
        nanGradients[2] = T.NaN;
        BitSnapshot before = BitSnapshot.Of(optimizer, parameters);
        BitSnapshot stateBefore = BitSnapshot.Of(optimizer);

        using var blocking = new BlockingStream();
        Task save = Task.Run(() => optimizer.SaveCheckpoint(blocking));
        try
        {
            Assert.True(blocking.Entered.Wait(Patience), "SaveCheckpoint never wrote to the stream");
            Assert.False(save.IsCompleted);

            AssertRefused(() => optimizer.Step(parameters, gradients), "Step");
            AssertRefused(() => optimizer.Step(parameters, nanGradients), "Step with a NaN gradient");
            AssertRefused(optimizer.Reset, "Reset");
            AssertRefused(() => optimizer.LoadCheckpoint(new MemoryStream(otherCheckpoint)), "LoadCheckpoint(stream)");
            AssertRefused(() => optimizer.LoadCheckpoint(otherPath), "LoadCheckpoint(path)");
            var sink = new MemoryStream();
            AssertRefused(() => optimizer.SaveCheckpoint(sink), "SaveCheckpoint(stream)");
            Assert.Equal(0, sink.Length);
            AssertRefused(() => optimizer.SaveCheckpoint(existingPath), "SaveCheckpoint(path)");
            AssertRefused(() => optimizer.StepCount = 7, "StepCount setter");
            AssertRefused(() => optimizer.BaseLearningRate = 0.123, "BaseLearningRate setter");
            if (optimizer is PlateauMomentumSgd plateau)
            {
                AssertRefused(() => plateau.ReportMetric(0.5), "ReportMetric");
            }

            Assert.Equal(otherCheckpoint, File.ReadAllBytes(existingPath));
            Assert.Equal(
                new[] { "existing.ckpt", "other.ckpt" },
                Directory.GetFiles(_directory).Select(file => Path.GetFileName(file)).Order(StringComparer.Ordinal)); // no temporary left

            BitSnapshot.AssertIdentical(before, BitSnapshot.Of(optimizer, parameters), "after the refused calls");
            Assert.False(save.IsCompleted, "the save finished while its stream was blocked");
        }
        finally
        {
            blocking.Release.Set();
        }

        await save.WaitAsync(Patience);

        // The blocked save completed with the state it started from.
        IOptimizer<T> restored = create();
        restored.LoadCheckpoint(new MemoryStream(blocking.ToArray()));
        BitSnapshot.AssertIdentical(stateBefore, BitSnapshot.Of(restored), "the checkpoint saved while blocked");

        // And the optimizer is free again.
        Assert.True(optimizer.Step(parameters, gradients));
        Assert.Equal(4, optimizer.StepCount);
        optimizer.SaveCheckpoint(new MemoryStream());
        optimizer.LoadCheckpoint(new MemoryStream(otherCheckpoint));
        Assert.Equal(5, optimizer.StepCount);
        optimizer.Reset();
        Assert.Equal(0, optimizer.StepCount);
    }

    private static void AssertRefused(Action call, string what)
    {
        var e = Assert.Throws<InvalidOperationException>(call);
        Assert.True(e.Message.Contains("another thread", StringComparison.Ordinal), $"{what}: {e.Message}");
    }

    private static void AssertRefused(Func<object?> call, string what) => AssertRefused(() => { call(); }, what);

    /// <summary>A write-only stream whose writes fail.</summary>
    private sealed class FailingStream : UnseekableStream
    {
        public override bool CanRead => false;

        public override bool CanWrite => true;

        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("disk full");

        public override void Write(ReadOnlySpan<byte> buffer) => throw new IOException("disk full");
    }

    /// <summary>A write-only stream whose first write signals <see cref="Entered"/> and then waits for <see cref="Release"/>.</summary>
    private sealed class BlockingStream : UnseekableStream
    {
        private readonly MemoryStream _written = new();

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public override bool CanRead => false;

        public override bool CanWrite => true;

        public byte[] ToArray() => _written.ToArray();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Entered.Set();
            if (!Release.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("The test never released the blocked write.");
            }

            _written.Write(buffer);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Entered.Dispose();
                Release.Dispose();
                _written.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
