namespace OptGen.Samples.Digits;

/// <summary>
/// The default run. The schedules in Optimizers.cs are compile-time constants, so they are sized here, in steps, for
/// this run length; with another <c>--epochs</c> they keep the same shape in steps (a shorter run stops partway
/// through the decay, a longer one runs on past its end).
/// </summary>
internal static class TrainingDefaults
{
    public const int Epochs = 50;
    public const int BatchSize = 64;
    public const int Seed = 42;

    /// <summary>Held-out fraction of each class.</summary>
    public const double TestFraction = 0.2;

    /// <summary>Training samples the stratified 80/20 split leaves (1,797 − 359 held out); a test checks it.</summary>
    public const int TrainCount = 1438;

    /// <summary>Mini-batches per epoch; the last one is partial (1438 = 22 × 64 + 30).</summary>
    public const int BatchesPerEpoch = (TrainCount + BatchSize - 1) / BatchSize;

    /// <summary>Optimizer steps in a default run.</summary>
    public const int Steps = Epochs * BatchesPerEpoch;

    /// <summary>A run "reaches the target" at the first epoch whose full training-set loss is at most this.</summary>
    public const double TargetLoss = 0.1;
}
