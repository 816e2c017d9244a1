using System;
using System.Linq;
using OptGen.Generator.Contracts;
using OptGen.Generator.Model;

namespace OptGen.Generator.Emit;

/// <summary>
/// Writes the learning-rate schedule: a closed form of <c>OptGen.Schedules</c> called once per step with the schedule's
/// constants (warm-up first, if any), or a <c>PlateauTracker</c> driven by <c>ReportMetric</c>.
/// </summary>
internal static class ScheduleEmitter
{
    /// <summary>The arguments after the description that give the runtime core the schedule: this class, a plateau tracker, or none.</summary>
    public static string CoreArguments(ScheduleSpec schedule) =>
        schedule.IsConstant ? string.Empty
        : schedule.IsPlateau ? $", plateau: new global::OptGen.PlateauTracker(DefaultLearningRate, {Arguments(schedule.Plateau)})"
        : ", schedule: this";

    public static void WriteLearningRate(CodeWriter w, ScheduleSpec schedule)
    {
        w.Line("/// <inheritdoc/>");
        w.Line("public double LearningRate => _core.LearningRate;");
        if (schedule.IsConstant)
        {
            return;
        }

        if (schedule.IsPlateau)
        {
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Reports a metric (e.g. the validation loss, once per epoch); the learning rate is reduced when it stops improving,");
            w.Line("/// as PyTorch's <c>ReduceLROnPlateau.step(metric)</c>. Returns true if the rate was reduced.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"metric\">The metric, not NaN.</param>");
            w.Line("public bool ReportMetric(double metric) => _core.ReportMetric(metric);");
            w.Line();
            w.Line("/// <summary>The plateau schedule's state: current rate, best metric, reports without improvement, cooldown.</summary>");
            w.Line("public global::OptGen.PlateauTracker PlateauTracker => _core.Plateau!;");
            return;
        }

        w.Line();
        w.Line($"/// <summary>The learning rate of step <paramref name=\"k\"/>: <c>{Xml(Formula(schedule))}</c>.</summary>");
        string decay = schedule.Decay is null ? null! : Call(schedule.Decay, schedule.Warmup is null ? "k" : $"k - {Literal.Integer(schedule.Warmup.Steps)}");
        const string Signature = "double global::OptGen.ILearningRateSchedule.LearningRateAt(long k, double baseLearningRate)";
        if (schedule.Warmup is null)
        {
            w.Line($"{Signature} => {decay};");
            return;
        }

        string warmup = $"global::OptGen.Schedules.LinearWarmup(baseLearningRate, k, {ScheduleParameters.Steps.Name}: {Literal.Integer(schedule.Warmup.Steps)}, {ScheduleParameters.StartFactor.Name}: {Literal.Double(schedule.Warmup.StartFactor)})";
        if (schedule.Decay is null)
        {
            w.Line($"{Signature} => {warmup};");
            return;
        }

        w.Line($"{Signature} => k < {Literal.Integer(schedule.Warmup.Steps)}");
        w.Line($"    ? {warmup}");
        w.Line($"    : {decay};");
    }

    /// <summary>The schedule as a formula in lr₀ and k, with its constants.</summary>
    public static string Formula(ScheduleSpec schedule)
    {
        if (schedule.IsPlateau)
        {
            EquatableArray<ScheduleValue> p = schedule.Plateau;
            string threshold = p.Value(ScheduleParameters.ThresholdMode) == 0 ? $"by more than a factor {Number(p.Value(ScheduleParameters.Threshold))}" : $"by more than {Number(p.Value(ScheduleParameters.Threshold))}";
            return $"lr₀, multiplied by {Number(p.Value(ScheduleParameters.Factor))} (not below {Number(p.Value(ScheduleParameters.MinLearningRate))}) after more than "
                + $"{Number(p.Value(ScheduleParameters.Patience))} ReportMetric calls in a row without the metric {(p.Value(ScheduleParameters.Mode) == 0 ? "falling" : "rising")} {threshold}, "
                + $"then {Number(p.Value(ScheduleParameters.Cooldown))} reports of cooldown";
        }

        if (schedule.IsConstant)
        {
            return "lr₀ (constant)";
        }

        string decay = schedule.Decay is null ? "lr₀" : DecayFormula(schedule.Decay, schedule.Warmup is null ? "k" : $"(k - {Literal.Integer(schedule.Warmup.Steps)})");
        if (schedule.Warmup is null)
        {
            return decay;
        }

        string w = Literal.Integer(schedule.Warmup.Steps);
        string f = Number(schedule.Warmup.StartFactor);
        string warmup = $"lr₀·({f} + (1 - {f})·min(k, {w})/{w})";
        return schedule.Decay is null
            ? warmup
            : $"k < {w} ? {warmup} : {decay}";
    }

    private static string DecayFormula(DecaySchedule d, string step) => (d.Kind switch
    {
        ScheduleKind.Step => $"lr₀·{Number(d[ScheduleParameters.Gamma])}^⌊κ/{Number(d[ScheduleParameters.StepSize])}⌋",
        ScheduleKind.MultiStep => $"lr₀·{Number(d[ScheduleParameters.Gamma])}^(number of milestones {{{string.Join(", ", d.Milestones.Select(m => Literal.Integer(m)))}}} ≤ κ)",
        ScheduleKind.Exponential => d[ScheduleParameters.DecaySteps] == 1
            ? $"lr₀·{Number(d[ScheduleParameters.Gamma])}^κ"
            : d[ScheduleParameters.Staircase] != 0
                ? $"lr₀·{Number(d[ScheduleParameters.Gamma])}^⌊κ/{Number(d[ScheduleParameters.DecaySteps])}⌋"
                : $"lr₀·{Number(d[ScheduleParameters.Gamma])}^(κ/{Number(d[ScheduleParameters.DecaySteps])})",
        ScheduleKind.Polynomial => d[ScheduleParameters.EndRate] == 0
            ? $"lr₀·(1 - min(κ, {Number(d[ScheduleParameters.TotalSteps])})/{Number(d[ScheduleParameters.TotalSteps])})^{Number(d[ScheduleParameters.Power])}"
            : $"(lr₀ - {Number(d[ScheduleParameters.EndRate])})·(1 - min(κ, {Number(d[ScheduleParameters.TotalSteps])})/{Number(d[ScheduleParameters.TotalSteps])})^{Number(d[ScheduleParameters.Power])} + {Number(d[ScheduleParameters.EndRate])}",
        ScheduleKind.Cosine => $"{CosineAmplitude(d[ScheduleParameters.MinRate])}·(1 + cos(π·κ/{Number(d[ScheduleParameters.TotalSteps])}))/2",
        ScheduleKind.CosineWarmRestarts => $"{CosineAmplitude(d[ScheduleParameters.MinRate])}·(1 + cos(π·t/T))/2, t = κ within periods T = {Number(d[ScheduleParameters.FirstPeriod])}·{Number(d[ScheduleParameters.PeriodMultiplier])}^i",
        ScheduleKind.OneCycle => $"one cycle of {Number(d[ScheduleParameters.TotalSteps])} steps: lr₀/{Number(d[ScheduleParameters.InitialDivisor])} up to lr₀ over the first {Number(d[ScheduleParameters.WarmupFraction])} of them, "
            + (d[ScheduleParameters.ThreePhase] != 0 ? $"back to lr₀/{Number(d[ScheduleParameters.InitialDivisor])} over as many, " : string.Empty)
            + $"then down to lr₀/{Number(d[ScheduleParameters.InitialDivisor] * d[ScheduleParameters.FinalDivisor])} ({(d[ScheduleParameters.Anneal] == 0 ? "cosine" : "linear")}), then constant",
        _ => $"lr₀·min((κ + 1)/{Number(d[ScheduleParameters.WarmupSteps])}, √({Number(d[ScheduleParameters.WarmupSteps])}/(κ + 1)))",
    }).Replace("κ", step);

    private static string CosineAmplitude(double minRate) => minRate == 0 ? "lr₀" : $"{Number(minRate)} + (lr₀ - {Number(minRate)})";

    private static string Call(DecaySchedule d, string step)
    {
        string arguments = Arguments(d.Values);
        if (d.Kind == ScheduleKind.MultiStep)
        {
            arguments += $", milestones: [{string.Join(", ", d.Milestones.Select(m => Literal.Integer(m)))}]";
        }

        return $"global::OptGen.Schedules.{d.Kind}(baseLearningRate, {step}, {arguments})";
    }

    private static string Arguments(EquatableArray<ScheduleValue> values) =>
        string.Join(", ", values.Select(v => $"{v.Name}: {Value(v)}"));

    private static string Value(ScheduleValue v) => v.Type switch
    {
        ScheduleValueType.Int => Literal.Integer((long)v.Number),
        ScheduleValueType.Bool => v.Number != 0 ? "true" : "false",
        ScheduleValueType.AnnealStrategy => Member(typeof(AnnealStrategy), v.Number),
        ScheduleValueType.PlateauMode => Member(typeof(PlateauMode), v.Number),
        ScheduleValueType.PlateauThresholdMode => Member(typeof(PlateauThresholdMode), v.Number),
        _ => Literal.Double(v.Number),
    };

    /// <summary>The runtime enum member with value <paramref name="value"/>, as emitted code names it.</summary>
    private static string Member(Type type, double value) => "global::OptGen." + type.Name + "." + Enum.GetName(type, (int)value);

    private static string Number(double value) => Literal.Readable(value);

    private static string Xml(string text) => Literal.Xml(text);
}
