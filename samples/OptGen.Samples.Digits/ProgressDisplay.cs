using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace OptGen.Samples.Digits;

/// <summary>
/// Runs the experiments while showing their progress: live bars on an interactive terminal, one plain line per
/// finished run when the output is redirected (a log, a pipe, CI), where redrawing bars would only add noise.
/// </summary>
internal static class ProgressDisplay
{
    public static RunResult[] Run(IReadOnlyList<RunSpec> runs, TrainingSetup setup)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(setup);
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            return Experiments.RunAll(runs, setup, new PlainLines(runs));
        }

        RunResult[] results = [];
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(true) // finished runs make way for running ones, so the display fits any terminal height
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                ProgressTask all = context.AddTask($"[bold]{runs.Count} runs[/]", maxValue: runs.Count);
                results = Experiments.RunAll(runs, setup, new LiveBars(context, all, runs, setup.Epochs));
            });
        return results;
    }

    // One task per run, added when the run starts; epochs advance its bar.
    private sealed class LiveBars(ProgressContext context, ProgressTask all, IReadOnlyList<RunSpec> runs, int epochs) : IRunProgress
    {
        private readonly ProgressTask?[] _tasks = new ProgressTask?[runs.Count];
        private readonly object _gate = new();

        public void RunStarted(int run)
        {
            lock (_gate)
            {
                _tasks[run] = context.AddTask(Markup.Escape(runs[run].Label), maxValue: epochs);
            }
        }

        public void EpochDone(int run, int epoch) => _tasks[run]?.Value(epoch);

        public void RunDone(int run, RunResult result) => all.Increment(1);
    }

    private sealed class PlainLines(IReadOnlyList<RunSpec> runs) : IRunProgress
    {
        private readonly object _gate = new();
        private readonly long[] _started = new long[runs.Count];
        private int _done;

        public void RunStarted(int run) => _started[run] = Stopwatch.GetTimestamp();

        public void EpochDone(int run, int epoch)
        {
        }

        public void RunDone(int run, RunResult result)
        {
            double seconds = Stopwatch.GetElapsedTime(_started[run]).TotalSeconds;
            lock (_gate)
            {
                _done++;
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"[{_done,2}/{runs.Count}] {runs[run].Label}: final train loss {Report.Loss(result.FinalTrainLoss)}, " +
                    $"test accuracy {Report.Percent(result.TestAccuracy)} ({seconds:F1} s)"));
            }
        }
    }
}
