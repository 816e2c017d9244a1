using System;
using System.Collections.Generic;
using System.Linq;

namespace OptGen;

/// <summary>Where one named tensor lives in a <see cref="ParameterStore{T}"/>.</summary>
/// <param name="Name">The tensor's name, e.g. <c>fc1.weight</c>.</param>
/// <param name="Offset">Index of its first element in <see cref="ParameterStore{T}.Parameters"/>.</param>
/// <param name="Length">Its number of elements.</param>
public readonly record struct TensorSlice(string Name, int Offset, int Length);

/// <summary>
/// A whole model's parameters and gradients, each in one contiguous array with a named view per tensor, so one
/// optimizer <c>Step</c> updates every tensor in a single pass (and in parallel), however many small tensors there are.
/// Each tensor starts on a 64-byte boundary of the array; the padding between tensors stays zero, which every update
/// rule leaves at zero.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class ParameterStore<T>
    where T : unmanaged
{
    private readonly T[] _parameters;
    private readonly T[] _gradients;
    private readonly TensorSlice[] _tensors;
    private readonly Dictionary<string, int> _index;
    private readonly double[] _learningRateScales;

    // A shard reads its tensors' scales from the store it was cut from, so scales set there later apply to it too.
    private readonly ParameterStore<T>? _source;
    private readonly int[] _sourceIndex = [];

    /// <summary>Lays out <paramref name="tensors"/> (name and element count) one after the other.</summary>
    /// <exception cref="ArgumentException">A name is repeated or a length is negative, or the total exceeds an array's size.</exception>
    public ParameterStore(IEnumerable<(string Name, int Length)> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        int alignment = Alignment;
        var slices = new List<TensorSlice>();
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        long offset = 0;
        foreach ((string name, int length) in tensors)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(tensors));
            if (length < 0)
            {
                throw new ArgumentException($"Tensor '{name}' has a negative length {length}.", nameof(tensors));
            }

            if (!_index.TryAdd(name, slices.Count))
            {
                throw new ArgumentException($"Tensor name '{name}' appears twice.", nameof(tensors));
            }

            slices.Add(new TensorSlice(name, (int)Math.Min(offset, int.MaxValue), length));
            offset += ((long)length + alignment - 1) / alignment * alignment; // in long: sizes near int.MaxValue must not wrap
        }

        if (offset > Array.MaxLength)
        {
            throw new ArgumentException($"The tensors need {offset} elements, more than one array holds ({Array.MaxLength}).", nameof(tensors));
        }

        _tensors = slices.ToArray();
        _learningRateScales = new double[_tensors.Length];
        Array.Fill(_learningRateScales, 1.0);
        _parameters = GC.AllocateArray<T>((int)offset, pinned: true);
        _gradients = GC.AllocateArray<T>((int)offset, pinned: true);
    }

    private ParameterStore(TensorSlice[] slices, int length, ParameterStore<T> source, int[] sourceIndex)
    {
        _tensors = slices;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < slices.Length; i++)
        {
            _index.Add(slices[i].Name, i);
        }

        _learningRateScales = [];
        _source = source;
        _sourceIndex = sourceIndex;
        _parameters = GC.AllocateArray<T>(length, pinned: true);
        _gradients = GC.AllocateArray<T>(length, pinned: true);
    }

    /// <summary>Elements from one tensor's start to the next one's: tensors start on 64-byte boundaries.</summary>
    public static int Alignment => Math.Max(1, 64 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>());

    /// <summary>
    /// A new store laid out exactly as elements <paramref name="offset"/> … <paramref name="offset"/> +
    /// <paramref name="length"/> of this one: the tensors, or the parts of tensors, that lie there, under their names, at
    /// the same relative positions; elements past <see cref="Length"/> are padding. It starts with a copy of those
    /// parameters and zero gradients, and takes each tensor's learning-rate scale from this store at every step (set
    /// scales here, not on the shard). An optimizer of <paramref name="length"/> elements steps it as it would step that
    /// range of this store: what a process of a data-parallel job that owns one shard of the optimizer state steps.
    /// </summary>
    /// <param name="offset">The first element; a multiple of <see cref="Alignment"/>.</param>
    /// <param name="length">The number of elements; a multiple of <see cref="Alignment"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is negative or not a multiple of <see cref="Alignment"/>.</exception>
    public ParameterStore<T> CreateShard(int offset, int length)
    {
        int alignment = Alignment;
        if (offset < 0 || offset % alignment != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"A shard starts at a non-negative multiple of {alignment} elements (64 bytes), where no tensor's padding lies.");
        }

        if (length < 0 || length % alignment != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A shard's length is a non-negative multiple of {alignment} elements (64 bytes).");
        }

        long end = (long)offset + length;
        var slices = new List<TensorSlice>();
        var sourceIndex = new List<int>();
        for (int i = 0; i < _tensors.Length; i++)
        {
            TensorSlice tensor = _tensors[i];
            long from = Math.Max(tensor.Offset, offset);
            long to = Math.Min((long)tensor.Offset + tensor.Length, end);
            if (from < to)
            {
                slices.Add(new TensorSlice(tensor.Name, (int)(from - offset), (int)(to - from)));
                sourceIndex.Add(i);
            }
        }

        var shard = new ParameterStore<T>(slices.ToArray(), length, _source ?? this, _source is null ? sourceIndex.ToArray() : sourceIndex.Select(i => _sourceIndex[i]).ToArray());
        int copied = (int)Math.Clamp(Length - (long)offset, 0, length);
        _parameters.AsSpan(Math.Min(offset, Length), copied).CopyTo(shard._parameters);
        return shard;
    }

    /// <summary>Total elements, padding included: the length to create the optimizer with.</summary>
    public int Length => _parameters.Length;

    /// <summary>Every tensor's parameters, in one array.</summary>
    public Span<T> Parameters => _parameters;

    /// <summary>Every tensor's gradients, in one array laid out as <see cref="Parameters"/>.</summary>
    public Span<T> Gradients => _gradients;

    /// <summary>The tensors, in the order given.</summary>
    public IReadOnlyList<TensorSlice> Tensors => _tensors;

    /// <summary>The parameters of tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Span<T> Parameter(string name) => Slice(_parameters, name);

    /// <summary>The gradients of tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Span<T> Gradient(string name) => Slice(_gradients, name);

    /// <summary>
    /// Scales the learning rate of every tensor whose name matches <paramref name="pattern"/> (<c>*</c> matches any run of
    /// characters): layer-wise rates, or a slower backbone when fine-tuning. A scale of 0 freezes the tensors: an
    /// optimizer's <c>Step(store)</c> leaves their parameters and state as they are and leaves their gradients out of the
    /// clipping norm. Every tensor starts at 1; the optimizer reads the scales at each step.
    /// </summary>
    /// <returns>How many tensors matched.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is negative, NaN or infinite.</exception>
    /// <exception cref="ArgumentException">No tensor matches <paramref name="pattern"/> (a misspelt name would otherwise change nothing).</exception>
    /// <exception cref="InvalidOperationException">This store is a shard (<see cref="CreateShard"/>): set the scale on the store it was cut from.</exception>
    public int SetLearningRateScale(string pattern, double scale)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (_source is not null)
        {
            throw new InvalidOperationException("This store is a shard of another, whose learning-rate scales it follows: set the scale on that store.");
        }

        if (!double.IsFinite(scale) || scale < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "A learning-rate scale is finite and at least 0.");
        }

        int[] matches = Enumerable.Range(0, _tensors.Length).Where(i => TensorNamePattern.IsMatch(pattern, _tensors[i].Name)).ToArray();
        if (matches.Length == 0)
        {
            throw new ArgumentException($"No tensor name matches '{pattern}'.", nameof(pattern));
        }

        foreach (int i in matches)
        {
            _learningRateScales[i] = scale;
        }

        return matches.Length;
    }

    /// <summary>The learning-rate scale of tensor <paramref name="name"/> (1 unless set).</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public double GetLearningRateScale(string name) =>
        _index.TryGetValue(name, out int index) ? LearningRateScaleAt(index) : throw new KeyNotFoundException($"No tensor is named '{name}'.");

    /// <summary>The learning-rate scale of the tensor at <paramref name="index"/> in <see cref="Tensors"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal double LearningRateScaleAt(int index) => _source is null ? _learningRateScales[index] : _source._learningRateScales[_sourceIndex[index]];

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGradients() => Array.Clear(_gradients);

    private Span<T> Slice(T[] array, string name)
    {
        if (!_index.TryGetValue(name, out int index))
        {
            throw new KeyNotFoundException($"No tensor is named '{name}'.");
        }

        TensorSlice slice = _tensors[index];
        return array.AsSpan(slice.Offset, slice.Length);
    }
}

/// <summary>Steps a whole <see cref="ParameterStore{T}"/>.</summary>
public static class ParameterStoreExtensions
{
    /// <summary>Updates every tensor of <paramref name="store"/> in one step: <see cref="IOptimizer{T}.Step(ParameterStore{T})"/>.</summary>
    /// <returns>False if the step was skipped for a non-finite gradient (see <see cref="NonFiniteGradientPolicy.SkipStep"/>).</returns>
    public static bool Step<T>(IOptimizer<T> optimizer, ParameterStore<T> store)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer.Step(store);
    }
}
