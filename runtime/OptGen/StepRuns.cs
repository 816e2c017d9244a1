using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.ComponentModel;

namespace OptGen;

/// <summary>
/// The learning rate and weight decay of one contiguous part of a step: the whole array for a plain step, consecutive
/// tensors treated alike for a <see cref="ParameterStore{T}"/> step.
/// </summary>
/// <param name="Offset">Index of the part's first element.</param>
/// <param name="Length">Number of elements.</param>
/// <param name="LearningRate">The step's learning rate times the tensors' scale.</param>
/// <param name="WeightDecay">False where the tensors' names match a <c>[WeightDecay(Exclude = …)]</c> pattern.</param>
/// <param name="ParameterNorm">For a two-pass rule (LAMB, LARS), the tensor's ‖p‖ before the step; 0 otherwise.</param>
/// <param name="UpdateNorm">For a two-pass rule, the norm of the update its first pass wrote; 0 otherwise.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct StepRun(int Offset, int Length, double LearningRate, bool WeightDecay, double ParameterNorm = 0, double UpdateNorm = 0);

/// <summary>
/// The parts of one step (<see cref="StepRun"/>) and the driver that runs a generated step part by part: each chunk of a
/// parallel step is cut where a part ends. Reused from step to step, so a step allocates nothing once the store's
/// layout is known.
/// </summary>
internal sealed class StepRuns<T> : IPartitionedStep<T>
    where T : unmanaged
{
    private readonly string[] _exclude;
    private StepRun[] _runs = new StepRun[1];
    private TensorSegment[] _segments = new TensorSegment[1];
    private ParameterStore<T>? _store;
    private bool[] _excluded = [];
    private IPartitionedStep<T>? _ranges;

    private readonly bool _perTensor;

    /// <param name="exclude">The weight-decay exclude patterns.</param>
    /// <param name="perTensor">Whether every tensor is a part of its own (a rule with per-tensor norms), never merged with the next.</param>
    public StepRuns(IReadOnlyList<string> exclude, bool perTensor)
    {
        _exclude = [.. exclude];
        _perTensor = perTensor;
    }

    /// <summary>Part <paramref name="index"/>, in index order.</summary>
    public StepRun this[int index] => _runs[index];

    /// <summary>Sets the norms of part <paramref name="index"/>, between the passes of a two-pass rule.</summary>
    public void SetNorms(int index, double parameterNorm, double updateNorm) => _runs[index] = _runs[index] with { ParameterNorm = parameterNorm, UpdateNorm = updateNorm };

    /// <summary>Parts in use.</summary>
    public int Count { get; private set; }

    /// <summary>Whether one part covers every element: the step's ranges run directly.</summary>
    public bool IsWhole { get; private set; }

    /// <summary>The parts as segments (for the gradient norm); the first <see cref="Count"/> are in use.</summary>
    public TensorSegment[] Segments => _segments;

    /// <summary>The parts of a step of <paramref name="length"/> elements at <paramref name="learningRate"/>: one, or the store's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Prepare(int length, double learningRate, ParameterStore<T>? store)
    {
        Count = 0;
        if (store is null)
        {
            Add(0, length, learningRate, weightDecay: true);
        }
        else
        {
            if (!ReferenceEquals(store, _store))
            {
                // The layout of a store never changes: names are matched once per store.
                _excluded = new bool[store.Tensors.Count];
                for (int i = 0; i < _excluded.Length; i++)
                {
                    foreach (string pattern in _exclude)
                    {
                        _excluded[i] |= TensorNamePattern.IsMatch(pattern, store.Tensors[i].Name);
                    }
                }

                _store = store;
            }

            IReadOnlyList<TensorSlice> tensors = store.Tensors;
            for (int i = 0; i < tensors.Count; i++)
            {
                double scale = store.LearningRateScaleAt(i);
                if (scale == 0)
                {
                    continue; // frozen
                }

                // A tensor's part runs to the next tensor, its padding included (padding stays zero under every rule).
                int end = i + 1 < tensors.Count ? tensors[i + 1].Offset : length;
                Add(tensors[i].Offset, end - tensors[i].Offset, learningRate * scale, !_excluded[i]);
            }
        }

        IsWhole = Count == 1 && _runs[0].Offset == 0 && _runs[0].Length == length;
    }

    /// <summary>The part that contains element <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public StepRun At(int index)
    {
        int low = 0, high = Count - 1;
        while (low < high)
        {
            int middle = (low + high + 1) >>> 1;
            if (_runs[middle].Offset <= index)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return _runs[low];
    }

    /// <summary>Runs <paramref name="ranges"/> over every part, split across threads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public KernelPath Run(IPartitionedStep<T> ranges, Span<T> parameters, ReadOnlySpan<T> gradients, int threadCount)
    {
        if (Count == 0)
        {
            return KernelPath.None;
        }

        _ranges = ranges;
        try
        {
            return ParallelStep.Run(this, parameters, gradients, threadCount);
        }
        finally
        {
            _ranges = null;
        }
    }

    /// <summary>One chunk of a parallel step: the generated ranges, once per part the chunk overlaps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    KernelPath IPartitionedStep<T>.StepRange(Span<T> parameters, ReadOnlySpan<T> gradients, int start)
    {
        IPartitionedStep<T> ranges = _ranges!;
        int end = start + parameters.Length;
        KernelPath path = KernelPath.None;
        for (int r = IndexAtOrAfter(start); r < Count && _runs[r].Offset < end; r++)
        {
            int from = Math.Max(_runs[r].Offset, start);
            int to = Math.Min(_runs[r].Offset + _runs[r].Length, end);
            if (from < to)
            {
                KernelPath taken = ranges.StepRange(parameters[(from - start)..(to - start)], gradients[(from - start)..(to - start)], from);
                path = path == KernelPath.None ? taken : path;
            }
        }

        return path;
    }

    /// <summary>The first part that ends after element <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int IndexAtOrAfter(int index)
    {
        int low = 0, high = Count;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (_runs[middle].Offset + _runs[middle].Length <= index)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private void Add(int offset, int length, double learningRate, bool weightDecay)
    {
        if (!_perTensor && Count > 0 && _runs[Count - 1] is { } last && last.Offset + last.Length == offset && last.LearningRate == learningRate && last.WeightDecay == weightDecay)
        {
            _runs[Count - 1] = last with { Length = last.Length + length };
            _segments[Count - 1] = new TensorSegment(last.Offset, last.Length + length);
            return;
        }

        if (Count == _runs.Length)
        {
            Array.Resize(ref _runs, Count * 2);
            Array.Resize(ref _segments, Count * 2);
        }

        _runs[Count] = new StepRun(offset, length, learningRate, weightDecay);
        _segments[Count] = new TensorSegment(offset, length);
        Count++;
    }
}

/// <summary>Tensor-name patterns: <c>*</c> matches any run of characters (none included); everything else matches itself.</summary>
public static class TensorNamePattern
{
    /// <summary>Whether <paramref name="name"/> matches <paramref name="pattern"/> as a whole, ordinal.</summary>
    public static bool IsMatch(string pattern, string name)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(name);

        // Greedy with one backtrack point: the last '*' seen, and where its match may grow from.
        int p = 0, n = 0, star = -1, resume = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = n;
            }
            else if (p < pattern.Length && pattern[p] == name[n])
            {
                p++;
                n++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
