using System;

namespace OptGen;

/// <summary>
/// The state of a <see cref="ReduceOnPlateauAttribute"/> schedule, as PyTorch's <c>ReduceLROnPlateau</c>: the current
/// rate, the best metric so far, the reports without improvement and the cooldown left.
/// </summary>
public sealed class PlateauTracker
{
    private readonly PlateauMode _mode;
    private readonly double _factor;
    private readonly int _patience;
    private readonly double _threshold;
    private readonly PlateauThresholdMode _thresholdMode;
    private readonly int _cooldown;
    private readonly double _minLearningRate;
    private readonly double _minimumChange;

    /// <summary>Creates a tracker at <paramref name="learningRate"/> with no metric reported yet.</summary>
    public PlateauTracker(
        double learningRate, PlateauMode mode, double factor, int patience, double threshold, PlateauThresholdMode thresholdMode, int cooldown, double minLearningRate, double minimumChange)
    {
        _mode = mode;
        _factor = factor;
        _patience = patience;
        _threshold = threshold;
        _thresholdMode = thresholdMode;
        _cooldown = cooldown;
        _minLearningRate = minLearningRate;
        _minimumChange = minimumChange;
        Reset(learningRate);
    }

    /// <summary>The current learning rate.</summary>
    public double LearningRate { get; private set; }

    /// <summary>The best metric reported so far (±∞ before the first report).</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive reports without improvement.</summary>
    public int BadReports { get; private set; }

    /// <summary>Reports left in the cooldown after the last reduction.</summary>
    public int CooldownRemaining { get; private set; }

    /// <summary>Records one metric; returns true if the learning rate was reduced.</summary>
    /// <param name="metric">The metric (e.g. the validation loss), not NaN.</param>
    public bool Report(double metric)
    {
        if (double.IsNaN(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "The metric is NaN.");
        }

        if (IsBetter(metric))
        {
            Best = metric;
            BadReports = 0;
        }
        else
        {
            BadReports++;
        }

        if (CooldownRemaining > 0)
        {
            CooldownRemaining--;
            BadReports = 0;
        }

        if (BadReports <= _patience)
        {
            return false;
        }

        CooldownRemaining = _cooldown;
        BadReports = 0;
        double reduced = Math.Max(LearningRate * _factor, _minLearningRate);
        if (LearningRate - reduced <= _minimumChange)
        {
            return false;
        }

        LearningRate = reduced;
        return true;
    }

    /// <summary>Forgets all reports and restarts at <paramref name="learningRate"/>.</summary>
    public void Reset(double learningRate)
    {
        LearningRate = learningRate;
        Best = _mode == PlateauMode.Minimize ? double.PositiveInfinity : double.NegativeInfinity;
        BadReports = 0;
        CooldownRemaining = 0;
    }

    /// <summary>Restores saved state (e.g. from a checkpoint). Every argument is checked before anything changes.</summary>
    /// <param name="learningRate">The current learning rate: finite and ≥ 0.</param>
    /// <param name="best">The best metric so far: not NaN (±∞ before the first report).</param>
    /// <param name="badReports">Consecutive reports without improvement: ≥ 0.</param>
    /// <param name="cooldownRemaining">Reports left in the cooldown: ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range; nothing is changed.</exception>
    public void Restore(double learningRate, double best, int badReports, int cooldownRemaining)
    {
        if (!double.IsFinite(learningRate) || learningRate < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be finite and not negative.");
        }

        if (double.IsNaN(best))
        {
            throw new ArgumentOutOfRangeException(nameof(best), best, "The best metric must not be NaN (use ±∞ for none yet).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(badReports);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldownRemaining);
        LearningRate = learningRate;
        Best = best;
        BadReports = badReports;
        CooldownRemaining = cooldownRemaining;
    }

    private bool IsBetter(double metric) => (_mode, _thresholdMode) switch
    {
        (PlateauMode.Minimize, PlateauThresholdMode.Relative) => metric < Best * (1 - _threshold),
        (PlateauMode.Minimize, _) => metric < Best - _threshold,
        (_, PlateauThresholdMode.Relative) => metric > Best * (_threshold + 1),
        _ => metric > Best + _threshold,
    };
}
