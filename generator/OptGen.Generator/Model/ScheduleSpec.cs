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

/// <summary>One constant argument of a schedule, named as the parameter of the runtime method it is passed to.</summary>
internal sealed record ScheduleValue(string Name, double Number, ScheduleValueType Type);

/// <summary>A decay schedule: <c>OptGen.Schedules.{Kind}(lr₀, k, values…)</c>.</summary>
internal sealed record DecaySchedule(ScheduleKind Kind, EquatableArray<ScheduleValue> Values, EquatableArray<int> Milestones)
{
    public double this[string name]
    {
        get
        {
            foreach (ScheduleValue value in Values)
            {
                if (value.Name == name)
                {
                    return value.Number;
                }
            }

            return double.NaN;
        }
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
