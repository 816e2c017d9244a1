namespace OptGen;

/// <summary>
/// What an <see cref="ElementRuleAttribute"/> rule knows about the step being applied: the same for every element.
/// </summary>
/// <param name="number">The 1-based step number t.</param>
/// <param name="learningRate">This step's learning rate, after the schedule.</param>
public readonly struct StepContext(long number, double learningRate)
{
    /// <summary>The 1-based step number t.</summary>
    public long Number { get; } = number;

    /// <summary>This step's learning rate, after the schedule.</summary>
    public double LearningRate { get; } = learningRate;
}
