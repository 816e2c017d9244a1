using System;
using System.ComponentModel;

namespace OptGen;

/// <summary>The ranges every generated optimizer accepts for its step count and thread count.</summary>
public static class OptimizerLimits
{
    /// <summary>
    /// The largest <see cref="IOptimizer.StepCount"/>: 2⁵³. Schedules and bias corrections compute with the step number
    /// in double precision, which holds every count up to here exactly; a <c>Step</c> at this count throws instead of
    /// wrapping it, and a checkpoint that holds a larger count is refused as corrupt.
    /// </summary>
    public const long MaxStepCount = 1L << 53;

    /// <summary>
    /// The largest <see cref="IOptimizer.ThreadCount"/>: 1024. A step never runs on more threads than the machine has
    /// cores (<see cref="Environment.ProcessorCount"/>), whatever the setting.
    /// </summary>
    public const int MaxThreadCount = 1024;

    /// <summary>The default thread count: every core, up to <see cref="MaxThreadCount"/>.</summary>
    public static int DefaultThreadCount => Math.Clamp(Environment.ProcessorCount, 1, MaxThreadCount);

    /// <summary>Returns <paramref name="value"/> if it is a valid step count (0 … <see cref="MaxStepCount"/>). Called by generated setters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static long CheckStepCount(long value, string parameterName) => value is >= 0 and <= MaxStepCount
        ? value
        : throw new ArgumentOutOfRangeException(parameterName, value, $"The step count must be between 0 and {MaxStepCount} (OptimizerLimits.MaxStepCount).");

    /// <summary>Returns <paramref name="value"/> if it is a valid thread count (1 … <see cref="MaxThreadCount"/>). Called by generated setters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static int CheckThreadCount(int value, string parameterName) => value is >= 1 and <= MaxThreadCount
        ? value
        : throw new ArgumentOutOfRangeException(parameterName, value, $"The thread count must be between 1 and {MaxThreadCount} (OptimizerLimits.MaxThreadCount).");

    /// <summary>Throws if one more step would take the step count past <see cref="MaxStepCount"/>. Called by generated <c>Step</c> methods before they change anything.</summary>
    /// <exception cref="InvalidOperationException">The step count is <see cref="MaxStepCount"/>.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void ThrowIfNoStepLeft(long stepCount)
    {
        if (stepCount >= MaxStepCount)
        {
            throw new InvalidOperationException(
                $"The step count has reached its maximum {MaxStepCount} (OptimizerLimits.MaxStepCount); nothing was changed. Reset the optimizer or set a smaller StepCount.");
        }
    }
}
