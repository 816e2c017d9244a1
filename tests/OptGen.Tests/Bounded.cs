using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace OptGen.Tests;

/// <summary>Runs code that could hang (a deadlock, an endless loop) so that a hang fails the test instead of the run.</summary>
internal static class Bounded
{
    /// <summary>Generous: a healthy run of anything given here takes a few seconds at most.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="action"/> on its own thread; fails if it has not returned within <see cref="HangLimit"/>, rethrows what it threw.</summary>
    public static void Run(Action action)
    {
        Task task = Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(task.Wait(HangLimit), $"Still running after {HangLimit.TotalSeconds} s: it hangs.");
        task.GetAwaiter().GetResult();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <see cref="HangLimit"/>.</summary>
    public static void WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < HangLimit, $"Waited {HangLimit.TotalSeconds} s for {what}.");
            Thread.Sleep(10);
        }
    }
}
