using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace OptGen.Samples.Digits;

/// <summary>
/// The PNG charts. ScottPlot has no logarithmic axis type: log-scale axes plot log10 of the values and label the
/// ticks with the values themselves.
/// </summary>
internal static class Plots
{
    public const int Width = 1000;
    public const int Height = 600;

    public const string LossByOptimizer = "loss-by-optimizer.png";
    public const string LearningRateBySchedule = "learning-rate-by-schedule.png";
    public const string LossBySchedule = "loss-by-schedule.png";
    public const string LearningRateSensitivity = "learning-rate-sensitivity.png";
    public const string LossByTransform = "loss-by-transform.png";
    public const string GradientNorm = "gradient-norm.png";

    // Colour, marker and dash pattern all differ from line to line, so lines stay apart in greyscale too.
    private static readonly Color[] Colors = new ScottPlot.Palettes.Category10().Colors;
    private static readonly MarkerShape[] Markers =
    [
        MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond,
        MarkerShape.OpenCircle, MarkerShape.FilledTriangleDown, MarkerShape.OpenSquare, MarkerShape.Cross,
    ];

    // A sans-serif font that renders the labels' characters, from common ones; else ScottPlot's choice.
    private static readonly string FontName =
        new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica" }.FirstOrDefault(IsInstalled) ?? Fonts.Default;

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed];

    /// <summary>Writes every chart the results have data for into <paramref name="folder"/>; returns the files written.</summary>
    public static List<string> WriteAll(string folder, IReadOnlyList<RunResult> results)
    {
        var written = new List<string>();
        void Save(Plot plot, string name) => written.Add(SavePng(plot, folder, name));

        RunResult[] optimizers = [.. results.Where(r => r.Spec.Group == RunGroup.Optimizers)];
        RunResult[] schedules = [.. results.Where(r => r.Spec.Group == RunGroup.Schedules)];
        RunResult[] sweep = [.. results.Where(r => r.Spec.Group == RunGroup.Sweep)];
        RunResult[] transforms = [.. results.Where(r => r.Spec.Group == RunGroup.Transforms)];
        if (optimizers.Length > 0)
        {
            Save(Loss(optimizers, "Training loss by update rule, each at its default learning rate", r => r.Spec.Label), LossByOptimizer);
        }

        if (schedules.Length > 0)
        {
            Save(LearningRates(schedules), LearningRateBySchedule);
            Save(Loss(schedules, $"Training loss of Adam (base rate {Report.Rate(ScheduleSteps.BaseRate)}) by learning-rate schedule", r => r.Spec.Schedule), LossBySchedule);
        }

        if (sweep.Length > 0)
        {
            Save(Sensitivity(sweep), LearningRateSensitivity);
        }

        if (transforms.Length > 0)
        {
            Save(Loss(transforms, $"Training loss of AdamW (lr {Report.Rate(WholeModel.BaseRate)}, weight decay {Report.Rate(WholeModel.WeightDecay)}) by transform", r => r.Spec.Optimizer), LossByTransform);
        }

        if (transforms.Where(r => r.Clipped).ToArray() is { Length: > 0 } clipped)
        {
            Save(GradientNorms(clipped), GradientNorm);
        }

        return written;
    }

    /// <summary>Renders <paramref name="plot"/> at <see cref="Width"/> × <see cref="Height"/> into <paramref name="folder"/>; returns the file's path.</summary>
    public static string SavePng(Plot plot, string folder, string name)
    {
        ArgumentNullException.ThrowIfNull(plot);
        string path = Path.Combine(folder, name);
        plot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>Training loss per epoch of each run, on a log scale, with the target loss as a dashed line.</summary>
    public static Plot Loss(IReadOnlyList<RunResult> runs, string title, Func<RunResult, string> label)
    {
        Plot plot = NewPlot(title, "epoch", "training loss (mean cross-entropy, log scale)");
        var logLosses = new List<double>();
        for (int i = 0; i < runs.Count; i++)
        {
            (double[] epochs, double[] logLoss) = LogPoints(Enumerable.Range(0, runs[i].TrainLoss.Length).Select(e => (double)e), runs[i].TrainLoss);
            Style(plot.Add.Scatter(epochs, logLoss), i, label(runs[i]), markerSize: 6);
            logLosses.AddRange(logLoss);
        }

        AddTargetLine(plot);
        logLosses.Add(Math.Log10(TrainingDefaults.TargetLoss));
        LogAxis(plot, plot.Axes.Left, logLosses);
        return plot;
    }

    private static Plot LearningRates(IReadOnlyList<RunResult> runs)
    {
        Plot plot = NewPlot($"Learning rate per step by schedule (Adam, base rate {Report.Rate(ScheduleSteps.BaseRate)})", "step", "learning rate");
        for (int i = 0; i < runs.Count; i++)
        {
            double[] rates = runs[i].LearningRates;
            double[] steps = [.. Enumerable.Range(0, rates.Length).Select(s => (double)s)];
            var line = plot.Add.ScatterLine(steps, rates);
            Style(line, i, runs[i].Spec.Schedule, markerSize: 0);
            line.LineWidth = 3;
        }

        plot.Axes.SetLimitsY(0, ScheduleSteps.BaseRate * 1.08);
        return plot;
    }

    /// <summary>The total gradient norm of every step before clipping (log scale), with each run's threshold as a dashed line.</summary>
    private static Plot GradientNorms(IReadOnlyList<RunResult> runs)
    {
        Plot plot = NewPlot("Gradient norm per step before clipping (clip_grad_norm_)", "step", "total gradient norm (log scale)");
        var logNorms = new List<double>();
        for (int i = 0; i < runs.Count; i++)
        {
            (double[] steps, double[] logNorm) = LogPoints(Enumerable.Range(0, runs[i].GradientNorms!.Length).Select(s => (double)s), runs[i].GradientNorms!);
            Style(plot.Add.ScatterLine(steps, logNorm), i, runs[i].Spec.Optimizer, markerSize: 0);
            logNorms.AddRange(logNorm);
        }

        foreach (double threshold in runs.Select(r => r.ClipThreshold).Distinct())
        {
            AddDashedLine(plot, Math.Log10(threshold), $"max norm {Report.Rate(threshold)}");
            logNorms.Add(Math.Log10(threshold));
        }

        LogAxis(plot, plot.Axes.Left, logNorms);
        return plot;
    }

    /// <summary>Final training loss against base learning rate, a series per rule, both axes on a log scale.</summary>
    public static Plot Sensitivity(IReadOnlyList<RunResult> sweep)
    {
        Plot plot = NewPlot("Final training loss against base learning rate", "base learning rate (log scale)", "final training loss (log scale)");
        var logRates = new List<double>();
        var logLosses = new List<double>();
        int index = 0;
        foreach (IGrouping<string, RunResult> rule in sweep.GroupBy(r => r.Spec.Optimizer))
        {
            RunResult[] runs = [.. rule.OrderBy(r => r.BaseLearningRate)];
            (double[] logRate, double[] logLoss) = LogPoints(runs.Select(r => Math.Log10(r.BaseLearningRate)), runs.Select(r => r.FinalTrainLoss), logX: false);
            Style(plot.Add.Scatter(logRate, logLoss), index++, rule.Key, markerSize: 10);
            logRates.AddRange(logRate);
            logLosses.AddRange(logLoss);
        }

        AddTargetLine(plot);
        logLosses.Add(Math.Log10(TrainingDefaults.TargetLoss));
        LogAxis(plot, plot.Axes.Left, logLosses);
        LogAxis(plot, plot.Axes.Bottom, logRates);
        return plot;
    }

    private static bool IsInstalled(string family)
    {
        using SkiaSharp.SKTypeface? typeface = SkiaSharp.SKFontManager.Default.MatchFamily(family);
        return typeface is not null;
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.Title.Label.FontSize = 20;
        foreach (IAxis axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.FontSize = 16;
            axis.TickLabelStyle.FontSize = 14;
        }

        plot.ShowLegend(Edge.Right);
        plot.Legend.FontSize = 14;
        return plot;
    }

    private static void Style(ScottPlot.Plottables.Scatter scatter, int index, string label, float markerSize)
    {
        scatter.LegendText = label;
        scatter.Color = Colors[index % Colors.Length];
        scatter.LineWidth = 2;
        scatter.LinePattern = Patterns[index % Patterns.Length]; // lines that coincide (Adam, AdamW) stay visible
        scatter.MarkerShape = markerSize > 0 ? Markers[index % Markers.Length] : MarkerShape.None;
        scatter.MarkerSize = markerSize;
    }

    private static void AddTargetLine(Plot plot) =>
        AddDashedLine(plot, Math.Log10(TrainingDefaults.TargetLoss), $"target {TrainingDefaults.TargetLoss.ToString(CultureInfo.InvariantCulture)}");

    private static void AddDashedLine(Plot plot, double y, string label)
    {
        var line = plot.Add.HorizontalLine(y);
        line.Color = ScottPlot.Colors.Gray;
        line.LinePattern = LinePattern.Dashed;
        line.LineWidth = 1.5f;
        line.LegendText = label;
    }

    // log10 of the y values, leaving out points a log scale cannot show (diverged runs, a loss of exactly 0).
    private static (double[] X, double[] LogY) LogPoints(IEnumerable<double> xs, IEnumerable<double> ys, bool logX = false)
    {
        var points = xs.Zip(ys).Where(p => double.IsFinite(p.Second) && p.Second > 0).ToArray();
        return ([.. points.Select(p => logX ? Math.Log10(p.First) : p.First)], [.. points.Select(p => Math.Log10(p.Second))]);
    }

    // Decade ticks labelled with the value, minor ticks at 2..9 × each decade, limits fitted to the data.
    private static void LogAxis(Plot plot, IAxis axis, IReadOnlyCollection<double> logValues)
    {
        if (logValues.Count == 0)
        {
            return;
        }

        double min = logValues.Min() - 0.15, max = logValues.Max() + 0.15;
        var ticks = new NumericManual();
        for (int decade = (int)Math.Floor(min); decade <= (int)Math.Ceiling(max); decade++)
        {
            ticks.AddMajor(decade, Math.Pow(10, decade).ToString(decade >= -5 ? "0.#####" : "0e0", CultureInfo.InvariantCulture));
            for (int multiple = 2; multiple <= 9; multiple++)
            {
                ticks.AddMinor(decade + Math.Log10(multiple));
            }
        }

        axis.TickGenerator = ticks;
        if (axis == plot.Axes.Left)
        {
            plot.Axes.SetLimitsY(min, max);
        }
        else
        {
            plot.Axes.SetLimitsX(min, max);
        }
    }
}
