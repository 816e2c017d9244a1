using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;

namespace OptGen;

/// <summary>A learning-rate schedule as a closed form of the step count, implemented by generated optimizers that have one.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ILearningRateSchedule
{
    /// <summary>The learning rate of step <paramref name="stepCount"/> (0-based) for the base rate <paramref name="baseLearningRate"/>.</summary>
    double LearningRateAt(long stepCount, double baseLearningRate);
}

/// <summary>
/// Computes a rule's persistent per-step scalars for step <paramref name="step"/> (1-based) at rate
/// <paramref name="learningRate"/>: reads their values before the step from <paramref name="state"/> and overwrites them
/// with the values after it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate void ScalarStateAdvance(long step, double learningRate, Span<double> state);

/// <summary>What is fixed for every instance of one generated optimizer class: shared, so an instance allocates none of it.</summary>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class OptimizerDescription<T>
    where T : unmanaged
{
    /// <summary>Describes a generated optimizer class.</summary>
    /// <param name="fingerprint">Rule, element type, hyperparameters and schedule, as checkpoints record them.</param>
    /// <param name="defaultLearningRate">The initial base learning rate.</param>
    /// <param name="bufferNames">The state buffers' names (PyTorch's state keys), in order.</param>
    /// <param name="initialValues">Each state buffer's initial value, in the same order.</param>
    /// <param name="skipNonFiniteSteps">Whether a step with a NaN or infinite gradient is skipped (<see cref="NonFiniteGradientPolicy.SkipStep"/>).</param>
    /// <param name="scalarStateNames">The persistent per-step scalars' names, as checkpoints record them, in order; none if null.</param>
    /// <param name="scalarStateInitialValues">Each persistent per-step scalar's initial value, in the same order.</param>
    /// <param name="advanceScalarState">Computes the persistent per-step scalars' values after a step; required exactly when there are some.</param>
    /// <param name="clipGradientNorm">The <c>[ClipGradientNorm]</c> maximum norm, or 0 if the gradients are not clipped.</param>
    /// <param name="weightDecayExclude">The <c>[WeightDecay(Exclude = …)]</c> patterns: tensors of a <see cref="ParameterStore{T}"/> whose names match get no weight decay.</param>
    /// <param name="trustRatioBuffer">For a rule with a per-tensor trust ratio (LAMB): the state buffer its first pass writes the update r to; −1 otherwise.</param>
    /// <param name="mixedPrecision">For an optimizer with Half or BFloat16 parameters or compact state: the storage, and the
    /// buffers' initial values in float (<paramref name="initialValues"/> is then empty); null otherwise.</param>
    public OptimizerDescription(
        string fingerprint,
        double defaultLearningRate,
        string[] bufferNames,
        T[] initialValues,
        bool skipNonFiniteSteps,
        string[]? scalarStateNames = null,
        double[]? scalarStateInitialValues = null,
        ScalarStateAdvance? advanceScalarState = null,
        double clipGradientNorm = 0,
        string[]? weightDecayExclude = null,
        int trustRatioBuffer = -1,
        MixedPrecisionOptions? mixedPrecision = null)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(bufferNames);
        ArgumentNullException.ThrowIfNull(initialValues);
        if (trustRatioBuffer < -1 || trustRatioBuffer >= bufferNames.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(trustRatioBuffer), trustRatioBuffer, "Not a state buffer.");
        }

        if (!(clipGradientNorm >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(clipGradientNorm), clipGradientNorm, "The maximum gradient norm must be positive (or 0 for none).");
        }

        TrustRatioBuffer = trustRatioBuffer;
        ClipGradientNorm = clipGradientNorm;
        WeightDecayExclude = Array.AsReadOnly((string[])(weightDecayExclude ?? []).Clone());
        MixedPrecision = mixedPrecision;
        if (mixedPrecision is not null)
        {
            if (initialValues.Length != 0 || mixedPrecision.InitialValues.Length != bufferNames.Length)
            {
                throw new ArgumentException($"A mixed-precision optimizer's {bufferNames.Length} buffers take their initial values from its options, as floats.", nameof(initialValues));
            }

            // The master weights are a state buffer too: saved, restored and readable with the rule's.
            bufferNames = mixedPrecision.MasterWeights ? [.. bufferNames, "master_weights"] : bufferNames;
        }
        else if (initialValues.Length != bufferNames.Length)
        {
            throw new ArgumentException($"There are {initialValues.Length} initial values but {bufferNames.Length} buffer names.", nameof(initialValues));
        }

        scalarStateNames ??= [];
        scalarStateInitialValues ??= [];
        if (scalarStateInitialValues.Length != scalarStateNames.Length)
        {
            throw new ArgumentException($"There are {scalarStateInitialValues.Length} initial scalar values but {scalarStateNames.Length} scalar state names.", nameof(scalarStateInitialValues));
        }

        if ((advanceScalarState is null) != (scalarStateNames.Length == 0))
        {
            throw new ArgumentException("A rule with persistent per-step scalars needs their advance function, and only such a rule has one.", nameof(advanceScalarState));
        }

        ScalarStateNames = Array.AsReadOnly((string[])scalarStateNames.Clone());
        ScalarStateInitialValues = (double[])scalarStateInitialValues.Clone();
        AdvanceScalarState = advanceScalarState;

        Fingerprint = fingerprint;
        DefaultLearningRate = defaultLearningRate;
        BufferNames = Array.AsReadOnly((string[])bufferNames.Clone());
        InitialValues = (T[])initialValues.Clone();
        SkipNonFiniteSteps = skipNonFiniteSteps;
    }

    /// <summary>The state buffer a two-pass rule's first pass writes its update to (LAMB's r), or −1 for a one-pass rule.</summary>
    public int TrustRatioBuffer { get; }

    /// <summary>The storage of an optimizer with Half or BFloat16 parameters or compact state; null for one whose state is its element type.</summary>
    public MixedPrecisionOptions? MixedPrecision { get; }

    /// <summary>The maximum total gradient norm, or 0 if the gradients are not clipped.</summary>
    public double ClipGradientNorm { get; }

    /// <summary>Glob patterns (<c>*</c> matches any run of characters) of the store tensors that get no weight decay.</summary>
    public ReadOnlyCollection<string> WeightDecayExclude { get; }

    /// <summary>Rule, element type, hyperparameters and schedule, as checkpoints record them.</summary>
    public string Fingerprint { get; }

    /// <summary>The initial base learning rate.</summary>
    public double DefaultLearningRate { get; }

    /// <summary>The state buffers' names, in order.</summary>
    public ReadOnlyCollection<string> BufferNames { get; }

    /// <summary>Each state buffer's initial value.</summary>
    internal T[] InitialValues { get; }

    /// <summary>Whether a step with a non-finite gradient is skipped.</summary>
    public bool SkipNonFiniteSteps { get; }

    /// <summary>The persistent per-step scalars' names, in order (empty for most rules).</summary>
    public ReadOnlyCollection<string> ScalarStateNames { get; }

    /// <summary>Each persistent per-step scalar's initial value.</summary>
    internal double[] ScalarStateInitialValues { get; }

    /// <summary>Computes the persistent per-step scalars after a step; null if there are none.</summary>
    internal ScalarStateAdvance? AdvanceScalarState { get; }
}

/// <summary>
/// The rule-independent part of every generated optimizer, which holds one of these and forwards to it: the state
/// buffers, step and skip counts, base learning rate and schedule position, thread count, concurrent-use detection,
/// argument checks, the guarded step sequence, reset and checkpoints. The generated class adds only what is specific
/// to its rule: its constants, named buffer properties, schedule and kernels.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class OptimizerCore<T>
    where T : unmanaged
{
    private readonly OptimizerDescription<T> _description;
    private readonly T[][] _buffers;
    private readonly double[] _scalarState;
    private readonly ILearningRateSchedule? _schedule;
    private readonly PlateauTracker? _plateau;
    private readonly int _length;
    private long _stepCount;
    private long _skippedStepCount;
    private double _baseLearningRate;
    private int _threadCount = OptimizerLimits.DefaultThreadCount;
    private KernelPath _lastKernelPath;
    private int _inUse; // 1 while a call that reads or changes the state runs: concurrent use is detected, not allowed to corrupt it
    private readonly StepRuns<T> _runs;
    private readonly MixedPrecisionState<T>? _mixed;
    private double[] _normPartials = [];
    private double[] _groupPartials = [];

    /// <summary>Allocates the state for <paramref name="length"/> parameters, each buffer at its initial value.</summary>
    /// <param name="length">Number of parameters every step updates.</param>
    /// <param name="description">The generated class's description.</param>
    /// <param name="schedule">The class's closed-form schedule, or null (constant rate, or <paramref name="plateau"/>).</param>
    /// <param name="plateau">The class's plateau schedule, or null.</param>
    public OptimizerCore(int length, OptimizerDescription<T> description, ILearningRateSchedule? schedule = null, PlateauTracker? plateau = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentNullException.ThrowIfNull(description);
        _length = length;
        _description = description;
        _schedule = schedule;
        _plateau = plateau;
        _baseLearningRate = description.DefaultLearningRate;
        if (description.MixedPrecision is { } mixed)
        {
            // The state lives in its stored form there; no buffer has the element type.
            _buffers = [];
            _mixed = new MixedPrecisionState<T>(length, description.BufferNames, mixed, description.TrustRatioBuffer);
        }
        else
        {
            _buffers = new T[description.BufferNames.Count][];
            for (int i = 0; i < _buffers.Length; i++)
            {
                _buffers[i] = new T[length];
            }
        }

        FillInitialValues(skipZeros: true); // new arrays are already zero
        _scalarState = (double[])description.ScalarStateInitialValues.Clone();
        _runs = new StepRuns<T>(description.WeightDecayExclude, perTensor: description.TrustRatioBuffer >= 0);
    }

    /// <summary>
    /// The total L2 norm of the gradients the last step read (before clipping), over every tensor it updated, in
    /// double; NaN before the first step. Computed only by <c>[ClipGradientNorm]</c> optimizers.
    /// </summary>
    public double LastGradientNorm { get; private set; } = double.NaN;

    /// <summary>The factor the running step multiplies every gradient by: the clipping coefficient, or 1.</summary>
    public double RangeGradientScale { get; private set; } = 1;

    /// <summary>The learning rate and weight decay of the part of the running step that contains element <paramref name="start"/>.</summary>
    public StepRun RunAt(int start) => _runs.At(start);

    /// <summary>The pass of a two-pass rule that is running: 0 computes the update, 1 applies it scaled by the trust ratio.</summary>
    public int RangePhase { get; private set; }

    /// <summary>Number of parameters.</summary>
    public int Length => _length;

    /// <summary>Completed steps; see <see cref="IOptimizer.StepCount"/>.</summary>
    public long StepCount
    {
        get => _stepCount;
        set
        {
            OptimizerLimits.CheckStepCount(value, nameof(value));
            using (ExclusiveUse.Acquire(ref _inUse))
            {
                _stepCount = value;
            }
        }
    }

    /// <summary>The rate the next step uses: the plateau's, the schedule's at <see cref="StepCount"/>, or the base rate.</summary>
    public double LearningRate => _plateau?.LearningRate ?? _schedule?.LearningRateAt(_stepCount, _baseLearningRate) ?? _baseLearningRate;

    /// <summary>The base learning rate lr₀; finite and &gt; 0. Setting it also restarts a plateau schedule's rate there.</summary>
    public double BaseLearningRate
    {
        get => _baseLearningRate;
        set
        {
            if (!double.IsFinite(value) || value <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be finite and greater than zero.");
            }

            using (ExclusiveUse.Acquire(ref _inUse))
            {
                _baseLearningRate = value;
                _plateau?.Restore(value, _plateau.Best, _plateau.BadReports, _plateau.CooldownRemaining);
            }
        }
    }

    /// <summary>The declared policy for non-finite gradients.</summary>
    public NonFiniteGradientPolicy NonFiniteGradientPolicy => _description.SkipNonFiniteSteps ? NonFiniteGradientPolicy.SkipStep : NonFiniteGradientPolicy.Propagate;

    /// <summary>Steps skipped for non-finite gradients.</summary>
    public long SkippedStepCount => _skippedStepCount;

    /// <summary>The kernel path the last step took.</summary>
    public KernelPath LastKernelPath => _lastKernelPath;

    /// <summary>Threads a large step splits across; see <see cref="IOptimizer.ThreadCount"/>.</summary>
    public int ThreadCount
    {
        get => _threadCount;
        set => _threadCount = OptimizerLimits.CheckThreadCount(value, nameof(value));
    }

    /// <summary>The state buffers' names, in order.</summary>
    public IReadOnlyList<string> StateBufferNames => _description.BufferNames;

    /// <summary>The persistent per-step scalars' names, in order (checkpoints record them by these names).</summary>
    public IReadOnlyList<string> ScalarStateNames => _description.ScalarStateNames;

    /// <summary>
    /// The persistent per-step scalars' values before the next step: the ranges of a step read these (every range the
    /// same), and they advance once when every range has run.
    /// </summary>
    public ReadOnlySpan<double> ScalarState => _scalarState;

    /// <summary>Persistent per-step scalar <paramref name="index"/>, for inspection.</summary>
    public double GetScalarState(int index) => (uint)index < (uint)_scalarState.Length
        ? _scalarState[index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"This optimizer has {_scalarState.Length} persistent per-step scalars.");

    /// <summary>The plateau schedule's tracker, or null.</summary>
    public PlateauTracker? Plateau => _plateau;

    /// <summary>The step number (1-based) of the step running now, for its ranges.</summary>
    public long RangeStep { get; private set; }

    /// <summary>The learning rate of the step running now, for its ranges.</summary>
    public double RangeLearningRate { get; private set; }

    /// <summary>State buffer <paramref name="index"/>, whole.</summary>
    /// <exception cref="NotSupportedException">The buffer is stored in another form than <typeparamref name="T"/>; see <see cref="ReadStateBuffer"/>.</exception>
    public Span<T> Buffer(int index) => Buffer<T>(index);

    /// <summary>State buffer <paramref name="index"/>, whole, as stored: <typeparamref name="TStored"/> must be its storage type.</summary>
    /// <exception cref="NotSupportedException">The buffer is stored as another type; see <see cref="ReadStateBuffer"/>.</exception>
    public Span<TStored> Buffer<TStored>(int index)
        where TStored : unmanaged
    {
        CheckBufferIndex(index);
        return _mixed is not null ? _mixed.Buffer<TStored>(index)
            : _buffers[index] is TStored[] buffer ? buffer
            : throw new NotSupportedException($"State buffer {index} holds {typeof(T).Name} values, not {typeof(TStored).Name}.");
    }

    /// <summary>Bytes of optimizer state per parameter, as stored (block maxima and master weights included).</summary>
    public double StateBytesPerParameter => _mixed?.BytesPerParameter ?? (double)_buffers.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>Copies state buffer <paramref name="index"/> into <paramref name="destination"/> in float (dequantized if stored in 8 bits).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length is not <see cref="Length"/>.</exception>
    /// <exception cref="NotSupportedException">The optimizer's elements are double.</exception>
    public void ReadStateBuffer(int index, Span<float> destination)
    {
        CheckBufferIndex(index);
        CheckStateLength(destination.Length, nameof(destination));
        using (ExclusiveUse.Acquire(ref _inUse))
        {
            if (_mixed is not null)
            {
                _mixed.Read(index, destination);
            }
            else if (_buffers[index] is float[] values)
            {
                values.CopyTo(destination);
            }
            else
            {
                throw new NotSupportedException("The state of a double optimizer is read with GetStateBuffer.");
            }
        }
    }

    /// <summary>Sets state buffer <paramref name="index"/> from float values, rounded or quantized as it is stored.</summary>
    /// <exception cref="ArgumentException"><paramref name="source"/>'s length is not <see cref="Length"/>; nothing is changed.</exception>
    /// <exception cref="NotSupportedException">The optimizer's elements are double.</exception>
    public void WriteStateBuffer(int index, ReadOnlySpan<float> source)
    {
        CheckBufferIndex(index);
        CheckStateLength(source.Length, nameof(source));
        using (ExclusiveUse.Acquire(ref _inUse))
        {
            if (_mixed is not null)
            {
                _mixed.Write(index, source);
            }
            else if (_buffers[index] is float[] values)
            {
                source.CopyTo(values);
            }
            else
            {
                throw new NotSupportedException("The state of a double optimizer is written with GetStateBuffer.");
            }
        }
    }

    private void CheckBufferIndex(int index)
    {
        if ((uint)index >= (uint)_description.BufferNames.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"This optimizer has {_description.BufferNames.Count} state buffers.");
        }
    }

    private void CheckStateLength(int length, string name)
    {
        if (length != _length)
        {
            throw new ArgumentException($"Expected {_length} values, one per parameter, but got {length}.", name);
        }
    }

    /// <summary>The part of state buffer <paramref name="index"/> a range of the running step updates.</summary>
    public Span<T> Slice(int index, int start, int length) => _buffers[index].AsSpan(start, length);

    /// <summary>
    /// One step: checks the lengths (nothing changes if one is wrong), enters exclusive use, refuses a step past
    /// <see cref="OptimizerLimits.MaxStepCount"/>, skips the step if the policy says so and a gradient is not finite,
    /// then runs <paramref name="ranges"/> over all elements (split across threads), advances the persistent per-step
    /// scalars once and counts the step.
    /// </summary>
    /// <returns>False if the step was skipped for a non-finite gradient.</returns>
    public bool Step(IPartitionedStep<T> ranges, Span<T> parameters, ReadOnlySpan<T> gradients) => Step(ranges, null, parameters, gradients, null, 1);

    /// <summary>
    /// One step of a mixed-precision optimizer, as <see cref="Step(IPartitionedStep{T}, Span{T}, ReadOnlySpan{T})"/>:
    /// <paramref name="kernel"/> runs on float chunks of the stored state. The gradients are those of a loss multiplied
    /// by <paramref name="lossScale"/>: they are divided by it, and the step is skipped (counted in
    /// <see cref="SkippedStepCount"/>, neither the step count nor the schedule advances) if any is not finite.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lossScale"/> is not finite and &gt; 0; nothing is changed.</exception>
    public bool Step(IStagedStep kernel, Span<T> parameters, ReadOnlySpan<T> gradients, double lossScale = 1) => Step(null, kernel, parameters, gradients, null, lossScale);

    /// <summary>One step of a mixed-precision optimizer over every tensor of <paramref name="store"/>; see <see cref="Step(IStagedStep, Span{T}, ReadOnlySpan{T}, double)"/>.</summary>
    public bool Step(IStagedStep kernel, ParameterStore<T> store, double lossScale = 1) => Step(null, kernel, CheckStore(store).Parameters, store.Gradients, store, lossScale);

    /// <summary>
    /// One step over every tensor of <paramref name="store"/>, as <see cref="Step(IPartitionedStep{T}, Span{T}, ReadOnlySpan{T})"/>:
    /// each tensor with its learning-rate scale (a tensor at scale 0 is frozen: its parameters and state stay as they
    /// are, and its gradients count in no norm) and without weight decay where its name matches an exclude pattern.
    /// </summary>
    /// <exception cref="ArgumentException">The store's length is not <see cref="Length"/>; nothing is changed.</exception>
    public bool Step(IPartitionedStep<T> ranges, ParameterStore<T> store) => Step(ranges, null, CheckStore(store).Parameters, store.Gradients, store, 1);

    private ParameterStore<T> CheckStore(ParameterStore<T> store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store.Length != _length)
        {
            throw new ArgumentException($"Expected a store of {_length} elements, the length this optimizer was created for, but got {store.Length}.", nameof(store));
        }

        return store;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Step(IPartitionedStep<T>? ranges, IStagedStep? kernel, Span<T> parameters, ReadOnlySpan<T> gradients, ParameterStore<T>? store, double lossScale)
    {
        if ((ranges is null) == (kernel is null) || (kernel is null) != (_mixed is null))
        {
            throw new ArgumentException(_mixed is null ? "This optimizer's state is stored as its elements: step it with its ranges." : "This optimizer's state is stored compactly: step it with its staged kernel.", nameof(ranges));
        }

        if (!double.IsFinite(lossScale) || lossScale <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(lossScale), lossScale, "The loss scale must be finite and greater than zero.");
        }

        if (parameters.Length != _length)
        {
            throw new ArgumentException($"Expected {_length} parameters, the length this optimizer was created for, but got {parameters.Length}.", nameof(parameters));
        }

        if (gradients.Length != _length)
        {
            throw new ArgumentException($"Expected {_length} gradients, one per parameter, but got {gradients.Length}.", nameof(gradients));
        }

        if (ShardGroup.Current is not null && _description.TrustRatioBuffer >= 0)
        {
            throw new NotSupportedException("This rule scales each tensor by a ratio of norms (LAMB, LARS), which a shard of the optimizer state cannot compute alone: step it unsharded.");
        }

        using (ExclusiveUse.Acquire(ref _inUse))
        {
            OptimizerLimits.ThrowIfNoStepLeft(_stepCount);

            // The rate and step number are read once; ranges of a parallel step all use them.
            double learningRate = LearningRate;
            _runs.Prepare(_length, learningRate, store);
            // A scaled loss's gradients: a non-finite one means the scale overflowed, and the step is skipped whatever
            // the policy (GradScaler's found_inf).
            bool skipNonFinite = _description.SkipNonFiniteSteps || lossScale != 1;
            double scale = 1 / lossScale;
            if (_description.ClipGradientNorm > 0)
            {
                // One read pass over the gradients that the step updates, before anything is written: the clipping
                // coefficient scales them as the kernels read them. A non-finite norm means a non-finite gradient.
                // A shard of a data-parallel job: the norm of the whole model's gradients, summed over the shard group.
                double norm = Math.Sqrt(ShardedSumOfSquares(gradients)) * scale;
                LastGradientNorm = norm;
                if (skipNonFinite && !double.IsFinite(norm))
                {
                    _skippedStepCount++;
                    return false;
                }

                scale *= ClipCoefficient(norm, _description.ClipGradientNorm);
            }
            else if (skipNonFinite && ShardGroup.Any(!FiniteCheck.AllFinite(gradients, _threadCount)))
            {
                // NonFiniteGradientPolicy.SkipStep: one read pass over the gradients before anything is written.
                _skippedStepCount++;
                return false;
            }

            RangeStep = _stepCount + 1;
            RangeLearningRate = learningRate;
            RangeGradientScale = scale;
            RangePhase = 0;
            _lastKernelPath = _mixed is not null ? _mixed.Run(kernel!, parameters, gradients, _runs, _threadCount, RangeStep, writeStates: true)
                : _runs.IsWhole ? ParallelStep.Run(ranges!, parameters, gradients, _threadCount)
                : _runs.Run(ranges!, parameters, gradients, _threadCount);
            if (_description.TrustRatioBuffer >= 0)
            {
                // LAMB, LARS: the first pass wrote each element's update r; per tensor, ‖p‖ and ‖r‖, each in the fixed
                // order of GradientNorm; the second pass takes the trust ratio from them and applies it.
                SetNorms(parameters);
                RangePhase = 1;
                _ = _mixed is not null ? _mixed.Run(kernel!, parameters, gradients, _runs, _threadCount, RangeStep, writeStates: false)
                    : _runs.Run(ranges!, parameters, gradients, _threadCount);
            }

            // Once per step, after every range read the values before it (not once per range).
            _description.AdvanceScalarState?.Invoke(RangeStep, RangeLearningRate, _scalarState);
            _stepCount++;
            return true;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SetNorms(ReadOnlySpan<T> parameters)
    {
        double[] partials = NormPartials();
        for (int r = 0; r < _runs.Count; r++)
        {
            StepRun run = _runs[r];

            // With master weights the update applies to them: their norm, and the update's, in float.
            double parameterNorm = Math.Sqrt(_mixed?.Master is float[] master
                ? GradientNorm.SumOfSquares(new ReadOnlySpan<float>(master, run.Offset, run.Length), partials, _threadCount)
                : GradientNorm.SumOfSquares(parameters.Slice(run.Offset, run.Length), partials, _threadCount));
            double updateNorm = Math.Sqrt(_mixed is not null
                ? GradientNorm.SumOfSquares(_mixed.TrustRatioValues.Slice(run.Offset, run.Length), partials, _threadCount)
                : GradientNorm.SumOfSquares(new ReadOnlySpan<T>(_buffers[_description.TrustRatioBuffer], run.Offset, run.Length), partials, _threadCount));
            _runs.SetNorms(r, parameterNorm, updateNorm);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double ShardedSumOfSquares(ReadOnlySpan<T> gradients)
    {
        double sum = GradientNorm.SumOfSquares(gradients, _runs.Segments, _runs.Count, NormPartials(), _threadCount);
        return ShardGroup.Current is null ? sum : ShardGroup.SumInOrder(NormPartials().AsSpan(0, GradientNorm.BlockCount(_length)), ref _groupPartials);
    }

    // The norms' per-block scratch, allocated on the first step that needs it and reused.
    private double[] NormPartials() => _normPartials.Length > 0 ? _normPartials : _normPartials = new double[GradientNorm.BlockCount(_length)];

    /// <summary>
    /// <c>torch.nn.utils.clip_grad_norm_</c>'s coefficient in the element type, as PyTorch 1.13 computes it on its norm
    /// tensor: <c>max_norm / (total + 1e-6)</c> is <c>reciprocal(total + 1e-6) · max_norm</c> (Tensor.__rtruediv__),
    /// then clamped to at most 1 (NaN stays NaN, so a NaN gradient propagates as in PyTorch).
    /// </summary>
    public static double ClipCoefficient(double norm, double maxNorm)
    {
        if (typeof(T) != typeof(double))
        {
            // Half and BFloat16 optimizers compute in float.
            float coefficient = (1f / ((float)norm + 1e-6f)) * (float)maxNorm;
            return coefficient > 1f ? 1f : coefficient;
        }
        else
        {
            double coefficient = (1.0 / (norm + 1e-6)) * maxNorm;
            return coefficient > 1.0 ? 1.0 : coefficient;
        }
    }

    /// <summary>Step counts to 0, the schedule to its start and every buffer and persistent per-step scalar to its initial value.</summary>
    public void Reset()
    {
        using (ExclusiveUse.Acquire(ref _inUse))
        {
            _stepCount = 0;
            _skippedStepCount = 0;
            _plateau?.Reset(_baseLearningRate);
            FillInitialValues(skipZeros: false);
            _mixed?.Reset();
            _description.ScalarStateInitialValues.CopyTo(_scalarState, 0);
        }
    }

    /// <summary>Reports a metric to the plateau schedule; true if the rate was reduced.</summary>
    /// <exception cref="InvalidOperationException">The optimizer has no plateau schedule, or is in use on another thread.</exception>
    public bool ReportMetric(double metric)
    {
        PlateauTracker plateau = _plateau ?? throw new InvalidOperationException("This optimizer has no ReduceOnPlateau schedule.");
        using (ExclusiveUse.Acquire(ref _inUse))
        {
            return plateau.Report(metric);
        }
    }

    /// <summary>Writes the complete state; see <see cref="IOptimizer.SaveCheckpoint(Stream)"/>.</summary>
    public void SaveCheckpoint(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using (ExclusiveUse.Acquire(ref _inUse))
        {
            PlateauState? plateau = _plateau is { } p ? new PlateauState(p.LearningRate, p.Best, p.BadReports, p.CooldownRemaining) : null;
            if (_mixed is not null)
            {
                // The state in its stored form (8-bit codes and block maxima, bfloat16, float), bit for bit.
                Checkpoint.WriteStored(destination, new CheckpointContent<byte>(
                    _description.Fingerprint, _length, _stepCount, _skippedStepCount, _baseLearningRate, plateau, [], [], _description.ScalarStateNames, _scalarState),
                    _mixed.CheckpointBuffers(_description.BufferNames));
                return;
            }

            Checkpoint.Write(destination, new CheckpointContent<T>(
                _description.Fingerprint, _length, _stepCount, _skippedStepCount, _baseLearningRate, plateau, _description.BufferNames, _buffers, _description.ScalarStateNames, _scalarState));
        }
    }

    /// <summary>Writes the complete state to a file, atomically; see <see cref="Checkpoint.WriteFile"/>.</summary>
    public void SaveCheckpoint(string path) => Checkpoint.WriteFile(path, SaveCheckpoint);

    /// <summary>Restores the state; nothing changes unless the whole checkpoint is valid. See <see cref="IOptimizer.LoadCheckpoint(Stream)"/>.</summary>
    public void LoadCheckpoint(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using (ExclusiveUse.Acquire(ref _inUse))
        {
            (PlateauState? Plateau, IReadOnlyList<double> ScalarStateValues, long StepCount, long SkippedStepCount, double BaseLearningRate) checkpoint;
            if (_mixed is not null)
            {
                CheckpointContent<byte> stored = Checkpoint.ReadStoredInto(
                    source, _description.Fingerprint, _length, expectPlateau: _plateau is not null, _mixed.CheckpointBuffers(_description.BufferNames), _description.ScalarStateNames);
                checkpoint = (stored.Plateau, stored.ScalarStateValues, stored.StepCount, stored.SkippedStepCount, stored.BaseLearningRate);
                _mixed.Loaded(stored.StepCount);
            }
            else
            {
                CheckpointContent<T> read = Checkpoint.ReadInto(
                    source, _description.Fingerprint, _length, _description.BufferNames, expectPlateau: _plateau is not null, _buffers, _description.ScalarStateNames);
                checkpoint = (read.Plateau, read.ScalarStateValues, read.StepCount, read.SkippedStepCount, read.BaseLearningRate);
            }

            // Verified in full before the buffers were overwritten: only now does the rest change.
            if (_plateau is not null && checkpoint.Plateau is PlateauState plateau)
            {
                _plateau.Restore(plateau.LearningRate, plateau.Best, plateau.BadReports, plateau.CooldownRemaining);
            }

            for (int i = 0; i < _scalarState.Length; i++)
            {
                _scalarState[i] = checkpoint.ScalarStateValues[i];
            }

            _stepCount = checkpoint.StepCount;
            _skippedStepCount = checkpoint.SkippedStepCount;
            _baseLearningRate = checkpoint.BaseLearningRate;
        }
    }

    /// <summary>Restores the state from a file; see <see cref="LoadCheckpoint(Stream)"/>.</summary>
    public void LoadCheckpoint(string path)
    {
        using FileStream file = File.OpenRead(path);
        LoadCheckpoint(file);
    }

    private void FillInitialValues(bool skipZeros)
    {
        for (int i = 0; i < _buffers.Length; i++)
        {
            T value = _description.InitialValues[i];
            if (!skipZeros || MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ContainsAnyExcept((byte)0))
            {
                Array.Fill(_buffers[i], value);
            }
        }
    }
}
