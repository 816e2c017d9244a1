namespace OptGen.Generator.Model;

/// <summary>The decay schedules; each is a closed form in <c>OptGen.Schedules</c> of the same name.</summary>
internal enum ScheduleKind
{
    Step,
    MultiStep,
    Exponential,
    Polynomial,
    Cosine,
    CosineWarmRestarts,
    OneCycle,
    InverseSquareRoot,
}

/// <summary>How a schedule value is written in C#.</summary>
internal enum ScheduleValueType
{
    Int,
    Double,
    Bool,
    AnnealStrategy,
    PlateauMode,
    PlateauThresholdMode,
}

/// <summary>A parameter of a runtime schedule (<c>OptGen.Schedules</c>, <c>PlateauTracker</c>): its name there and its C# type.</summary>
internal sealed record ScheduleParameter(string Name, ScheduleValueType Type);

/// <summary>Every schedule parameter: values are looked up by these, never by a string.</summary>
internal static class ScheduleParameters
{
    public static readonly ScheduleParameter Mode = new("mode", ScheduleValueType.PlateauMode);

    public static readonly ScheduleParameter Factor = new("factor", ScheduleValueType.Double);

    public static readonly ScheduleParameter Patience = new("patience", ScheduleValueType.Int);

    public static readonly ScheduleParameter Threshold = new("threshold", ScheduleValueType.Double);

    public static readonly ScheduleParameter ThresholdMode = new("thresholdMode", ScheduleValueType.PlateauThresholdMode);

    public static readonly ScheduleParameter Cooldown = new("cooldown", ScheduleValueType.Int);

    public static readonly ScheduleParameter MinLearningRate = new("minLearningRate", ScheduleValueType.Double);

    public static readonly ScheduleParameter MinimumChange = new("minimumChange", ScheduleValueType.Double);

    public static readonly ScheduleParameter StepSize = new("stepSize", ScheduleValueType.Int);

    public static readonly ScheduleParameter Gamma = new("gamma", ScheduleValueType.Double);

    public static readonly ScheduleParameter DecaySteps = new("decaySteps", ScheduleValueType.Int);

    public static readonly ScheduleParameter Staircase = new("staircase", ScheduleValueType.Bool);

    public static readonly ScheduleParameter TotalSteps = new("totalSteps", ScheduleValueType.Int);

    public static readonly ScheduleParameter Power = new("power", ScheduleValueType.Double);

    public static readonly ScheduleParameter EndRate = new("endRate", ScheduleValueType.Double);

    public static readonly ScheduleParameter MinRate = new("minRate", ScheduleValueType.Double);

    public static readonly ScheduleParameter FirstPeriod = new("firstPeriod", ScheduleValueType.Int);

    public static readonly ScheduleParameter PeriodMultiplier = new("periodMultiplier", ScheduleValueType.Int);

    public static readonly ScheduleParameter WarmupSteps = new("warmupSteps", ScheduleValueType.Int);

    public static readonly ScheduleParameter WarmupFraction = new("warmupFraction", ScheduleValueType.Double);

    public static readonly ScheduleParameter Anneal = new("anneal", ScheduleValueType.AnnealStrategy);

    public static readonly ScheduleParameter InitialDivisor = new("initialDivisor", ScheduleValueType.Double);

    public static readonly ScheduleParameter FinalDivisor = new("finalDivisor", ScheduleValueType.Double);

    public static readonly ScheduleParameter ThreePhase = new("threePhase", ScheduleValueType.Bool);

    public static readonly ScheduleParameter Steps = new("steps", ScheduleValueType.Int);

    public static readonly ScheduleParameter StartFactor = new("startFactor", ScheduleValueType.Double);
}

/// <summary>One constant argument of a schedule.</summary>
internal sealed record ScheduleValue(ScheduleParameter Parameter, double Number)
{
    /// <summary>The runtime parameter's name, which the emitted call passes it by.</summary>
    public string Name => Parameter.Name;

    public ScheduleValueType Type => Parameter.Type;
}

/// <summary>A decay schedule: <c>OptGen.Schedules.{Kind}(lr₀, k, values…)</c>.</summary>
internal sealed record DecaySchedule(ScheduleKind Kind, EquatableArray<ScheduleValue> Values, EquatableArray<int> Milestones)
{
    public double this[ScheduleParameter parameter] => Values.Value(parameter);
}

/// <summary>Lookups of schedule values by parameter.</summary>
internal static class ScheduleValues
{
    /// <summary>The value of <paramref name="parameter"/>, or NaN if the schedule has none.</summary>
    public static double Value(this EquatableArray<ScheduleValue> values, ScheduleParameter parameter)
    {
        foreach (ScheduleValue value in values)
        {
            if (value.Parameter == parameter)
            {
                return value.Number;
            }
        }

        return double.NaN;
    }
}

/// <summary>A linear warm-up over <see cref="Steps"/> steps from <see cref="StartFactor"/>·lr₀.</summary>
internal sealed record WarmupSchedule(int Steps, double StartFactor);

/// <summary>The learning-rate schedule of an optimizer: warm-up, then decay; or plateau-driven; or constant.</summary>
internal sealed record ScheduleSpec(WarmupSchedule? Warmup, DecaySchedule? Decay, EquatableArray<ScheduleValue> Plateau)
{
    public static ScheduleSpec Constant { get; } = new(null, null, default);

    public bool IsPlateau => Plateau.Count > 0;

    public bool IsConstant => Warmup is null && Decay is null && !IsPlateau;
}
