namespace OptGen;

/// <summary>
/// What an <see cref="ElementRuleAttribute"/> rule knows about the step being applied: the same for every element.
/// </summary>
public readonly struct StepContext
{
    /// <summary>A step of a one-pass rule.</summary>
    /// <param name="number">The 1-based step number t.</param>
    /// <param name="learningRate">This step's learning rate, after the schedule.</param>
    public StepContext(long number, double learningRate)
    {
        Number = number;
        LearningRate = learningRate;
    }

    /// <summary>A pass of a two-pass rule (one with a <see cref="TensorNormAttribute"/> state).</summary>
    /// <param name="number">The 1-based step number t.</param>
    /// <param name="learningRate">This step's learning rate, after the schedule and the tensor's scale.</param>
    /// <param name="pass">0 in the first pass, 1 in the second.</param>
    /// <param name="parameterNorm">In the second pass: the L2 norm of the element's tensor after the first pass.</param>
    /// <param name="updateNorm">In the second pass: the L2 norm, over the element's tensor, of the state the first pass wrote.</param>
    public StepContext(long number, double learningRate, int pass, double parameterNorm, double updateNorm)
        : this(number, learningRate)
    {
        Pass = pass;
        ParameterNorm = parameterNorm;
        UpdateNorm = updateNorm;
    }

    /// <summary>The 1-based step number t.</summary>
    public long Number { get; }

    /// <summary>This step's learning rate, after the schedule (and the tensor's learning-rate scale in a store step).</summary>
    public double LearningRate { get; }

    /// <summary>A two-pass rule's pass: 0, then 1 once every tensor's norms are known; always 0 for a one-pass rule.</summary>
    public int Pass { get; }

    /// <summary>In the second pass of a two-pass rule: ‖p‖ of the element's tensor after the first pass (a plain step: the span's).</summary>
    public double ParameterNorm { get; }

    /// <summary>In the second pass of a two-pass rule: the norm of the <see cref="TensorNormAttribute"/> state over the element's tensor.</summary>
    public double UpdateNorm { get; }
}
