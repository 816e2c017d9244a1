using System;
using System.Collections.Generic;
using System.IO;

namespace OptGen.Samples.Digits;

/// <summary>
/// Trains the float model as bfloat16 training does: the weights are bfloat16 values (the model computes with them
/// widened, which is exact), the gradients are rounded to bfloat16, and a bfloat16 optimizer updates a bfloat16 copy of
/// the store, whose weights then replace the model's. Only the optimizer differs from a float run.
/// </summary>
internal sealed class Bf16Training : IOptimizer<float>
{
    private readonly IOptimizer<BFloat16> _optimizer;
    private readonly ParameterStore<BFloat16> _store = new(Mlp.Tensors);

    public Bf16Training(Func<int, IOptimizer<BFloat16>> create, int length)
    {
        ArgumentNullException.ThrowIfNull(create);
        Length = length;
        _optimizer = create(_store.Length);
    }

    /// <summary>Rounds the model's initial weights to bfloat16, before the first forward pass.</summary>
    public static void RoundWeights(ParameterStore<float> store)
    {
        Span<float> values = store.Parameters;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(BFloat16)values[i];
        }
    }

    public int Length { get; }

    public long StepCount { get => _optimizer.StepCount; set => _optimizer.StepCount = value; }

    public double LearningRate => _optimizer.LearningRate;

    public double BaseLearningRate { get => _optimizer.BaseLearningRate; set => _optimizer.BaseLearningRate = value; }

    public KernelPath LastKernelPath => _optimizer.LastKernelPath;

    public int ThreadCount { get => _optimizer.ThreadCount; set => _optimizer.ThreadCount = value; }

    public IReadOnlyList<string> StateBufferNames => _optimizer.StateBufferNames;

    public NonFiniteGradientPolicy NonFiniteGradientPolicy => _optimizer.NonFiniteGradientPolicy;

    public long SkippedStepCount => _optimizer.SkippedStepCount;

    public double StateBytesPerParameter => _optimizer.StateBytesPerParameter;

    public bool Step(ParameterStore<float> store)
    {
        ArgumentNullException.ThrowIfNull(store);
        foreach ((string name, _) in Mlp.Tensors)
        {
            BFloat16.ConvertFromSingle(store.Parameter(name), _store.Parameter(name));
            BFloat16.ConvertFromSingle(store.Gradient(name), _store.Gradient(name));
            _store.SetLearningRateScale(name, store.GetLearningRateScale(name));
        }

        bool applied = _optimizer.Step(_store);
        foreach ((string name, _) in Mlp.Tensors)
        {
            BFloat16.ConvertToSingle(_store.Parameter(name), store.Parameter(name));
        }

        return applied;
    }

    public bool Step(Span<float> parameters, ReadOnlySpan<float> gradients) =>
        throw new NotSupportedException("Bfloat16 training steps the model's store.");

    public Span<float> GetStateBuffer(int index) =>
        throw new NotSupportedException("The bfloat16 optimizer's state is read through its own IMixedPrecisionOptimizer.ReadStateBuffer.");

    public void Reset() => _optimizer.Reset();

    public void SaveCheckpoint(Stream destination) => _optimizer.SaveCheckpoint(destination);

    public void SaveCheckpoint(string path) => _optimizer.SaveCheckpoint(path);

    public void LoadCheckpoint(Stream source) => _optimizer.LoadCheckpoint(source);

    public void LoadCheckpoint(string path) => _optimizer.LoadCheckpoint(path);
}
