using System;
using System.Diagnostics;
using System.Linq;
using System.Numerics;
using OptGen;

namespace OptGen.Samples.Digits;

/// <summary>What a run is trained on, and for how long.</summary>
internal sealed record TrainingSetup(Dataset Train, Dataset Test, int Epochs, int BatchSize, int Seed)
{
    public int BatchesPerEpoch => (Train.Count + BatchSize - 1) / BatchSize;

    public int Steps => Epochs * BatchesPerEpoch;
}

/// <summary>The measurements of one finished run.</summary>
/// <param name="Spec">What was run.</param>
/// <param name="BaseLearningRate">The base learning rate used.</param>
/// <param name="TrainLoss">Mean cross-entropy over the whole training set before training (index 0) and after each epoch.</param>
/// <param name="LearningRates">The rate each step used.</param>
/// <param name="TestAccuracy">Accuracy on the held-out samples after the last epoch.</param>
/// <param name="MillisecondsPerStep">Median time of a training step: gathering the batch, forward, backward and update.</param>
/// <param name="OptimizerMicrosecondsPerStep">Median time of the optimizer's <c>Step</c> alone.</param>
/// <param name="GradientNorms">A clipping optimizer's total gradient norm at each step, before clipping; empty for others.</param>
/// <param name="ClipThreshold">A clipping optimizer's maximum norm; infinity for others.</param>
internal sealed record RunResult(
    RunSpec Spec,
    double BaseLearningRate,
    double[] TrainLoss,
    double[] LearningRates,
    double TestAccuracy,
    double MillisecondsPerStep,
    double OptimizerMicrosecondsPerStep,
    double[]? GradientNorms = null,
    double ClipThreshold = double.PositiveInfinity)
{
    public double FinalTrainLoss => TrainLoss[^1];

    /// <summary>Whether the optimizer clipped, and so logged its gradient norms.</summary>
    public bool Clipped => GradientNorms is { Length: > 0 };

    /// <summary>
    /// The share of steps whose gradients were scaled down: those where <c>clip_grad_norm_</c>'s coefficient
    /// max_norm / (norm + 1e-6) is below 1.
    /// </summary>
    public double ClippedStepFraction =>
        Clipped ? GradientNorms!.Count(norm => ClipThreshold / (norm + 1e-6) < 1) / (double)GradientNorms!.Length : 0;

    /// <summary>The first epoch whose training loss is at most <paramref name="target"/>, or null if none is.</summary>
    public int? EpochsTo(double target)
    {
        for (int epoch = 1; epoch < TrainLoss.Length; epoch++)
        {
            if (TrainLoss[epoch] <= target)
            {
                return epoch;
            }
        }

        return null;
    }
}

/// <summary>
/// One training run, epoch by epoch. Everything is allocated by the constructor; an epoch allocates nothing. Every
/// run with the same seed starts from the same weights and sees the same mini-batches in the same order, so runs
/// differ only in their optimizer, and a run's numbers depend only on the seed (not on what else runs alongside).
/// </summary>
internal sealed class TrainingRun
{
    private readonly RunSpec _spec;
    private readonly TrainingSetup _setup;
    private readonly Mlp _model;
    private readonly IOptimizer<float> _optimizer;
    private readonly IGradientNormClipping? _clipping;
    private readonly double[] _gradientNorms;

    // Schedule-Free trains at y and is evaluated at x: losses and accuracy are measured there, then y is put back.
    private readonly IEvaluationPoint<float>? _evaluationPoint;
    private readonly float[]? _trainingPoint;
    private readonly Random _shuffle;
    private readonly int[] _order;
    private readonly float[] _batchInputs;
    private readonly int[] _batchLabels;
    private readonly double[] _trainLoss;
    private readonly double[] _learningRates;
    private readonly long[] _stepTicks;       // per step, for medians: a mean would be dominated by the rare step
    private readonly long[] _optimizerTicks;  // that the scheduler or another process interrupts
    private int _steps;

    public TrainingRun(RunSpec spec, TrainingSetup setup)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(setup);
        _spec = spec;
        _setup = setup;
        _model = new Mlp(setup.BatchSize);
        _model.Initialize(Seeds.Initialization(setup.Seed));
        spec.ConfigureStore?.Invoke(_model.Store);
        _optimizer = spec.Create(_model.Store.Length);
        _clipping = _optimizer as IGradientNormClipping;
        _gradientNorms = _clipping is null ? [] : new double[setup.Steps];
        _evaluationPoint = _optimizer as IEvaluationPoint<float>;
        _trainingPoint = _evaluationPoint is null ? null : new float[_model.Store.Length];
        if (spec.BaseLearningRate is { } rate)
        {
            _optimizer.BaseLearningRate = rate;
        }

        _shuffle = new Random(Seeds.Shuffle(setup.Seed));
        _order = new int[setup.Train.Count];
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        _batchInputs = new float[setup.BatchSize * Mlp.InputCount];
        _batchLabels = new int[setup.BatchSize];
        _trainLoss = new double[setup.Epochs + 1];
        _learningRates = new double[setup.Steps];
        _stepTicks = new long[setup.Steps];
        _optimizerTicks = new long[setup.Steps];
        _trainLoss[0] = _model.MeanLoss(setup.Train);
    }

    public int EpochsCompleted { get; private set; }

    public Mlp Model => _model;

    public IOptimizer<float> Optimizer => _optimizer;

    /// <summary>Trains one epoch of shuffled mini-batches, then records the loss over the whole training set.</summary>
    public void RunEpoch()
    {
        if (EpochsCompleted == _setup.Epochs)
        {
            throw new InvalidOperationException($"All {_setup.Epochs} epochs have run.");
        }

        Dataset train = _setup.Train;
        int batchSize = _setup.BatchSize;
        _shuffle.Shuffle(_order);
        for (int start = 0; start < _order.Length; start += batchSize)
        {
            int count = Math.Min(batchSize, _order.Length - start);
            long begin = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                int sample = _order[start + i];
                train.Row(sample).CopyTo(_batchInputs.AsSpan(i * Mlp.InputCount, Mlp.InputCount));
                _batchLabels[i] = train.Labels[sample];
            }

            _model.ComputeGradients(_batchInputs.AsSpan(0, count * Mlp.InputCount), _batchLabels.AsSpan(0, count));
            _learningRates[_steps] = _optimizer.LearningRate;
            long update = Stopwatch.GetTimestamp();

            // The whole model, four tensors, in one fused pass; the schedule's rate is computed once inside.
            _optimizer.Step(_model.Store);

            long end = Stopwatch.GetTimestamp();
            _stepTicks[_steps] = end - begin;
            _optimizerTicks[_steps] = end - update;
            if (_clipping is not null)
            {
                _gradientNorms[_steps] = _clipping.LastGradientNorm;
            }

            _steps++;
        }

        EpochsCompleted++;
        _trainLoss[EpochsCompleted] = AtEvaluationPoint(static (model, data) => model.MeanLoss(data), train);
    }

    /// <summary>Runs the remaining epochs, calling <paramref name="epochDone"/> after each.</summary>
    public RunResult Run(Action<int>? epochDone = null)
    {
        while (EpochsCompleted < _setup.Epochs)
        {
            RunEpoch();
            epochDone?.Invoke(EpochsCompleted);
        }

        return Result();
    }

    /// <summary>The measurements so far (the learning rates of steps not yet run are 0).</summary>
    public RunResult Result()
    {
        return new RunResult(
            _spec,
            _optimizer.BaseLearningRate,
            _trainLoss[..(EpochsCompleted + 1)],
            _learningRates[.._steps],
            AtEvaluationPoint(static (model, data) => model.Accuracy(data), _setup.Test),
            Statistics.Median<long>(_stepTicks.AsSpan(0, _steps)) * 1e3 / Stopwatch.Frequency,
            Statistics.Median<long>(_optimizerTicks.AsSpan(0, _steps)) * 1e6 / Stopwatch.Frequency,
            _gradientNorms[..Math.Min(_steps, _gradientNorms.Length)],
            _clipping?.MaxGradientNorm ?? double.PositiveInfinity);
    }

    /// <summary>
    /// <paramref name="measure"/> of the model on <paramref name="data"/> at the optimizer's evaluation point
    /// (Schedule-Free's x), the parameters being trained restored bit for bit afterwards; for other optimizers at the
    /// parameters themselves. Static lambdas, so an epoch still allocates nothing.
    /// </summary>
    private double AtEvaluationPoint(Func<Mlp, Dataset, double> measure, Dataset data)
    {
        if (_evaluationPoint is null || _trainingPoint is null)
        {
            return measure(_model, data);
        }

        Span<float> parameters = _model.Store.Parameters;
        parameters.CopyTo(_trainingPoint);
        _evaluationPoint.WriteEvaluationPoint(_trainingPoint, parameters);
        try
        {
            return measure(_model, data);
        }
        finally
        {
            _trainingPoint.CopyTo(parameters);
        }
    }
}

/// <summary>Summaries of per-step measurements.</summary>
internal static class Statistics
{
    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count), or 0 when there are none.</summary>
    public static double Median<T>(ReadOnlySpan<T> values)
        where T : INumber<T>
    {
        if (values.IsEmpty)
        {
            return 0;
        }

        T[] sorted = values.ToArray();
        Array.Sort(sorted);
        int middle = sorted.Length / 2;
        double upper = double.CreateChecked(sorted[middle]);
        return sorted.Length % 2 == 1 ? upper : (double.CreateChecked(sorted[middle - 1]) + upper) / 2;
    }
}

/// <summary>The seeds derived from <c>--seed</c>, one per purpose, so changing one use does not shift the others.</summary>
internal static class Seeds
{
    public static int Split(int seed) => seed;

    public static int Initialization(int seed) => unchecked(seed * 31 + 1);

    public static int Shuffle(int seed) => unchecked(seed * 31 + 2);
}
