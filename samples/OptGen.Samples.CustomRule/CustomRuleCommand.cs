using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using OptGen.Samples.Digits;
using Spectre.Console;

namespace OptGen.Samples.CustomRule;

/// <summary>The command line, the run, and its tables and charts (the options and the output as in the digits sample).</summary>
internal static class CustomRuleCommand
{
    public const string DefaultOutput = "custom-rules-output";
    public const string LossChart = "loss-by-rule.png";
    public const string SensitivityChart = "learning-rate-sensitivity.png";

    /// <summary>Parses <paramref name="args"/> and runs; on bad options prints only the errors and a hint (exit code 1).</summary>
    public static int Invoke(string[] args, InvocationConfiguration? configuration = null) => DigitsCommand.Invoke(Create(), args, configuration);

    public static RootCommand Create()
    {
        Option<int> epochs = DigitsCommand.EpochsOption($"Epochs per run (default {TrainingDefaults.Epochs}); 2 is a quick check.");
        Option<string> output = DigitsCommand.OutputOption(DefaultOutput);
        Option<int> seed = DigitsCommand.SeedOption();
        var noSweep = new Option<bool>("--no-sweep") { Description = "Skip the learning-rate sweep." };
        var command = new RootCommand(
            "Trains the digits sample's 64-64-10 perceptron with update rules written as [ElementRule] methods (AdaBelief, " +
            "Adan, AdEMAMix, Sophia's clipped update) and with the Adam and AdamW presets, each at its own learning rate " +
            "and over a learning-rate sweep. Prints the tables and writes results.md and PNG charts.")
        {
            epochs, output, seed, noSweep,
        };
        command.SetAction(parse => Run(parse.GetValue(epochs), parse.GetValue(output)!, parse.GetValue(seed), !parse.GetValue(noSweep)));
        return command;
    }

    /// <summary>Trains the runs, prints the tables and writes the report and charts; returns the exit code.</summary>
    public static int Run(int epochs, string output, int seed, bool sweep)
    {
        long start = Stopwatch.GetTimestamp();
        if (DigitsCommand.LoadSetup(epochs, seed) is not { } setup)
        {
            return 2;
        }

        List<RunSpec> runs = Comparison.Select(sweep);
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Custom rules on the digits: MLP 64-64-10, {setup.Train.Count} training / {setup.Test.Count} test images, " +
            $"batches of {setup.BatchSize}, {epochs} epochs = {setup.Steps} steps, seed {seed}. {runs.Count} runs on {Environment.ProcessorCount} cores.")));
        RunResult[] results = ProgressDisplay.Run(runs, setup);

        (string Title, string[] Headers, List<string[]> Rows)[] tables = Tables(results, setup);
        AnsiConsole.WriteLine();
        foreach ((string title, string[] headers, List<string[]> rows) in tables)
        {
            AnsiConsole.Write(Report.Table(title, headers, rows));
        }

        string commandLine = $"--epochs {epochs} --seed {seed}" + (sweep ? "" : " --no-sweep");
        return DigitsCommand.WriteOutputs(output, Markdown(tables, setup, commandLine), folder => WriteCharts(folder, results), start);
    }

    /// <summary>The summary (the digits sample's columns but the schedule, constant here) and the sweep grid, when there are rows.</summary>
    public static (string Title, string[] Headers, List<string[]> Rows)[] Tables(IReadOnlyList<RunResult> results, TrainingSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        const int schedule = 1;
        string[] headers = [.. Report.SummaryHeaders.Where((_, i) => i != schedule)];
        List<string[]> rows = [.. Report.SummaryRows(results).Select(row => row.Where((_, i) => i != schedule).ToArray())];
        (string[] sweepHeaders, List<string[]> sweepRows) = Report.SweepGrid(results);
        return
        [
            .. rows.Count > 0 ? [($"Custom rules and presets, {setup.Epochs} epochs ({setup.Steps} steps)", headers, rows)] : Array.Empty<(string, string[], List<string[]>)>(),
            .. sweepRows.Count > 0 ? [("Learning-rate sweep: final train loss (test accuracy)", sweepHeaders, sweepRows)] : Array.Empty<(string, string[], List<string[]>)>(),
        ];
    }

    public static string Markdown(IEnumerable<(string Title, string[] Headers, List<string[]> Rows)> tables, TrainingSetup setup, string commandLine)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(setup);
        var text = new StringBuilder();
        text.AppendLine("# Digits: custom update rules against the Adam and AdamW presets").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"`{commandLine}`: MLP 64–64–10, {setup.Train.Count} training and {setup.Test.Count} test images, " +
            $"batches of {setup.BatchSize}, {setup.Epochs} epochs = {setup.Steps} steps, seed {setup.Seed}.").AppendLine();
        text.AppendLine("AdaBelief, Adan, AdEMAMix and Sophia (clipped update, h an EMA of squared gradients instead of its Hessian " +
            "estimate) are `[ElementRule]` methods; Adam and AdamW are the presets at PyTorch's defaults. Each runs at the learning " +
            "rate its class declares; the sweep sets `BaseLearningRate` at run time. Train loss: mean cross-entropy over the whole " +
            "training set after the last epoch. ms/step: median time of a training step (batch, forward, backward, update); " +
            "Step µs: median time of the optimizer's `Step` alone.").AppendLine();
        foreach ((string title, string[] headers, List<string[]> rows) in tables)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"## {title}").AppendLine();
            Report.AppendMarkdownTable(text, headers, rows);
            text.AppendLine();
        }

        return text.ToString().TrimEnd() + Environment.NewLine;
    }

    /// <summary>The loss per epoch of each rule at its declared rate, and the sweep's final loss against the rate.</summary>
    public static List<string> WriteCharts(string folder, IReadOnlyList<RunResult> results)
    {
        var written = new List<string>();
        RunResult[] rules = [.. results.Where(r => r.Spec.Group == RunGroup.Optimizers)];
        RunResult[] sweep = [.. results.Where(r => r.Spec.Group == RunGroup.Sweep)];
        if (rules.Length > 0)
        {
            written.Add(Plots.SavePng(Plots.Loss(rules, "Training loss: custom rules and presets", r => $"{r.Spec.Optimizer}, lr {Report.Rate(r.BaseLearningRate)}"), folder, LossChart));
        }

        if (sweep.Length > 0)
        {
            written.Add(Plots.SavePng(Plots.Sensitivity(sweep), folder, SensitivityChart));
        }

        return written;
    }
}
