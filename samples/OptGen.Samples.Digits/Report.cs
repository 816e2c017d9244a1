using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Spectre.Console;

namespace OptGen.Samples.Digits;

/// <summary>The results as tables: on the console with Spectre.Console, and as markdown for <c>results.md</c>.</summary>
internal static class Report
{
    private static readonly string[] MeasurementHeaders =
        ["Final train loss", "Test accuracy", $"Epochs to loss ≤ {TrainingDefaults.TargetLoss.ToString(CultureInfo.InvariantCulture)}", "ms/step", "Step µs"];

    public static readonly string[] SummaryHeaders = ["Optimizer", "Schedule", "Base LR", .. MeasurementHeaders];

    public static readonly string[] TransformHeaders = ["Run", .. MeasurementHeaders, "Clipped steps", "Median ‖g‖", "Max ‖g‖"];

    public static string Loss(double loss) =>
        !double.IsFinite(loss) ? "diverged"
        : loss >= 1e-3 ? loss.ToString("F4", CultureInfo.InvariantCulture)
        : loss.ToString("0.00e+0", CultureInfo.InvariantCulture);

    public static string Percent(double fraction) => (100 * fraction).ToString("F1", CultureInfo.InvariantCulture) + " %";

    public static string Rate(double rate) => rate.ToString("G2", CultureInfo.InvariantCulture);

    /// <summary>One row per rule or schedule run: optimizer, schedule, base rate and the measurements.</summary>
    public static List<string[]> SummaryRows(IEnumerable<RunResult> results) =>
    [
        .. results.Where(r => r.Spec.Group is RunGroup.Optimizers or RunGroup.Schedules or RunGroup.Precision)
            .Select(string[] (r) => [r.Spec.Optimizer, r.Spec.Schedule, Rate(r.BaseLearningRate), .. Measurements(r)]),
    ];

    /// <summary>
    /// One row per whole-model transform run: the measurements, then, for a clipping optimizer, the share of steps it
    /// clipped and the median and largest gradient norm before clipping.
    /// </summary>
    public static List<string[]> TransformRows(IEnumerable<RunResult> results) =>
    [
        .. results.Where(r => r.Spec.Group == RunGroup.Transforms).Select(string[] (r) =>
        [
            r.Spec.Optimizer,
            .. Measurements(r),
            r.Clipped ? Percent(r.ClippedStepFraction) : "—",
            r.Clipped ? Norm(Statistics.Median<double>(r.GradientNorms)) : "—",
            r.Clipped ? Norm(r.GradientNorms!.Max()) : "—",
        ]),
    ];

    /// <summary>The title of the whole-model transforms table.</summary>
    public static string TransformTitle(TrainingSetup setup) => string.Create(CultureInfo.InvariantCulture,
        $"Whole-model transforms: AdamW at {Rate(WholeModel.BaseRate)}, decoupled weight decay {Rate(WholeModel.WeightDecay)}, " +
        $"clipping at a norm of {Rate(WholeModel.MaxGradientNorm)}, {setup.Epochs} epochs");

    // The measured columns every run table shares.
    private static string[] Measurements(RunResult r) =>
    [
        Loss(r.FinalTrainLoss),
        Percent(r.TestAccuracy),
        r.EpochsTo(TrainingDefaults.TargetLoss)?.ToString(CultureInfo.InvariantCulture) ?? "—",
        r.MillisecondsPerStep.ToString("F3", CultureInfo.InvariantCulture),
        r.OptimizerMicrosecondsPerStep.ToString("F2", CultureInfo.InvariantCulture),
    ];

    /// <summary>The sweep as a grid: a row per rule, a column per base rate, each cell "final train loss (test accuracy)".</summary>
    public static (string[] Headers, List<string[]> Rows) SweepGrid(IEnumerable<RunResult> results)
    {
        RunResult[] sweep = [.. results.Where(r => r.Spec.Group == RunGroup.Sweep)];
        double[] rates = [.. sweep.Select(r => r.BaseLearningRate).Distinct().Order()];
        string[] headers = ["Rule", .. rates.Select(rate => "lr " + Rate(rate))];
        var rows = new List<string[]>();
        foreach (IGrouping<string, RunResult> rule in sweep.GroupBy(r => r.Spec.Optimizer))
        {
            rows.Add([rule.Key, .. rates.Select(rate => rule.FirstOrDefault(r => r.BaseLearningRate == rate) is { } r
                ? $"{Loss(r.FinalTrainLoss)} ({Percent(r.TestAccuracy)})"
                : "")]);
        }

        return (headers, rows);
    }

    public static void Print(IAnsiConsole console, IReadOnlyList<RunResult> results, TrainingSetup setup)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.WriteLine();
        List<string[]> summary = SummaryRows(results);
        if (summary.Count > 0)
        {
            console.Write(Table($"Update rules and schedules, {setup.Epochs} epochs ({setup.Steps} steps)", SummaryHeaders, summary));
        }

        (string[] headers, List<string[]> rows) = SweepGrid(results);
        if (rows.Count > 0)
        {
            console.Write(Table("Learning-rate sweep: final train loss (test accuracy)", headers, rows));
        }

        List<string[]> transforms = TransformRows(results);
        if (transforms.Count > 0)
        {
            console.Write(Table(TransformTitle(setup), TransformHeaders, transforms));
        }
    }

    public static string Markdown(IReadOnlyList<RunResult> results, TrainingSetup setup, string commandLine)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var text = new StringBuilder();
        text.AppendLine("# Digits: optimizers, schedules and learning rates").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"`{commandLine}`: MLP 64–64–10, {setup.Train.Count} training and {setup.Test.Count} test images, " +
            $"batches of {setup.BatchSize}, {setup.Epochs} epochs = {setup.Steps} steps, seed {setup.Seed}.").AppendLine();
        text.AppendLine("Train loss: mean cross-entropy over the whole training set after the last epoch. ms/step: median time of a " +
            "training step (batch, forward, backward, update); Step µs: median time of the optimizer's `Step` alone. Every " +
            "rule runs at its default learning rate (SGD's 1e-3 is OptGen's: PyTorch has no default for SGD); the schedules " +
            $"start from Adam at {Rate(ScheduleSteps.BaseRate)} and are sized for {TrainingDefaults.Steps} steps ({TrainingDefaults.Epochs} epochs); " +
            "the sweep sets each rule's `BaseLearningRate` at run time.").AppendLine();
        List<string[]> summary = SummaryRows(results);
        if (summary.Count > 0)
        {
            AppendMarkdownTable(text, SummaryHeaders, summary);
        }

        (string[] headers, List<string[]> rows) = SweepGrid(results);
        if (rows.Count > 0)
        {
            text.AppendLine().AppendLine("## Learning-rate sweep: final train loss (test accuracy)").AppendLine();
            AppendMarkdownTable(text, headers, rows);
        }

        List<string[]> transforms = TransformRows(results);
        if (transforms.Count > 0)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## {TransformTitle(setup)}").AppendLine();
            text.AppendLine("One `Step(store)` over the model's four tensors applies every transform. Biases not decayed: " +
                "`[WeightDecay(Exclude = new[] { \"*.bias\" })]`. Clipped: `[ClipGradientNorm]`, as PyTorch's `clip_grad_norm_`; " +
                "the norms are `LastGradientNorm`, the total norm before clipping, over every step. " +
                "fc1.* slower or frozen: `store.SetLearningRateScale(\"fc1.*\", scale)` (0 freezes) at run time, with the plain class.").AppendLine();
            AppendMarkdownTable(text, TransformHeaders, transforms);
        }

        return text.ToString();
    }

    public static string Norm(double norm) => norm.ToString("G3", CultureInfo.InvariantCulture);

    public static Table Table(string title, string[] headers, List<string[]> rows)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)), Border = TableBorder.Rounded };
        for (int i = 0; i < headers.Length; i++)
        {
            var column = new TableColumn(Markup.Escape(headers[i]));
            table.AddColumn(i == 0 || headers[i] == "Schedule" ? column : column.RightAligned());
        }

        foreach (string[] row in rows)
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }

        return table;
    }

    public static void AppendMarkdownTable(StringBuilder text, string[] headers, List<string[]> rows)
    {
        text.Append("| ").AppendJoin(" | ", headers).AppendLine(" |");
        text.Append('|').AppendJoin('|', headers.Select((h, i) => i == 0 || h == "Schedule" ? "---" : "--:")).AppendLine("|");
        foreach (string[] row in rows)
        {
            text.Append("| ").AppendJoin(" | ", row).AppendLine(" |");
        }
    }
}
