using System;
using System.Numerics.Tensors;
using OptGen;

namespace OptGen.Samples.Digits;

/// <summary>
/// A 64–64–10 perceptron: a ReLU hidden layer and a softmax output trained with cross-entropy. All four tensors live
/// in one <see cref="ParameterStore{T}"/>, so one optimizer <c>Step</c> updates the whole model. Weights are stored
/// as PyTorch's <c>nn.Linear</c> does, one row of inputs per output unit, so every inner loop is a 64-element vector
/// operation. The forward and backward passes reuse buffers sized for <see cref="MaxBatchSize"/> and allocate nothing.
/// </summary>
internal sealed class Mlp
{
    public const int InputCount = DigitsData.PixelCount;
    public const int HiddenCount = 64;
    public const int OutputCount = DigitsData.ClassCount;

    public const string Fc1Weight = "fc1.weight";
    public const string Fc1Bias = "fc1.bias";
    public const string Fc2Weight = "fc2.weight";
    public const string Fc2Bias = "fc2.bias";

    private readonly float[] _hidden;          // MaxBatchSize × HiddenCount activations, after the ReLU
    private readonly float[] _outputs;         // MaxBatchSize × OutputCount logits, then probabilities
    private readonly float[] _hiddenGradient;  // one sample's gradient with respect to the hidden pre-activations

    public Mlp(int maxBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        MaxBatchSize = maxBatchSize;
        Store = new ParameterStore<float>(Tensors);
        _hidden = new float[maxBatchSize * HiddenCount];
        _outputs = new float[maxBatchSize * OutputCount];
        _hiddenGradient = new float[HiddenCount];
    }

    /// <summary>The model's tensors, in store order.</summary>
    public static (string Name, int Length)[] Tensors { get; } =
    [
        (Fc1Weight, HiddenCount * InputCount),
        (Fc1Bias, HiddenCount),
        (Fc2Weight, OutputCount * HiddenCount),
        (Fc2Bias, OutputCount),
    ];

    public int MaxBatchSize { get; }

    /// <summary>Every parameter and gradient of the model.</summary>
    public ParameterStore<float> Store { get; }

    /// <summary>
    /// He-uniform weights, U(−√(6/fan_in), √(6/fan_in)), which keeps the variance of ReLU activations steady from layer
    /// to layer; zero biases.
    /// </summary>
    public void Initialize(int seed)
    {
        var random = new Random(seed);
        Store.Parameters.Clear();
        FillUniform(Store.Parameter(Fc1Weight), Math.Sqrt(6.0 / InputCount), random);
        FillUniform(Store.Parameter(Fc2Weight), Math.Sqrt(6.0 / HiddenCount), random);
    }

    /// <summary>
    /// Forward and backward pass over one batch (rows of <see cref="InputCount"/> inputs): overwrites the store's
    /// gradients with those of the mean cross-entropy and returns that mean.
    /// </summary>
    public double ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        int batch = CheckBatch(inputs, labels);
        double loss = Forward(inputs, labels, batch);

        Store.ZeroGradients();
        ReadOnlySpan<float> w2 = Store.Parameter(Fc2Weight);
        Span<float> dw1 = Store.Gradient(Fc1Weight), db1 = Store.Gradient(Fc1Bias);
        Span<float> dw2 = Store.Gradient(Fc2Weight), db2 = Store.Gradient(Fc2Bias);
        Span<float> dh = _hiddenGradient;
        float scale = 1f / batch;

        for (int b = 0; b < batch; b++)
        {
            // d(mean loss)/d(logits) = (softmax − one-hot) / batch.
            Span<float> dz = _outputs.AsSpan(b * OutputCount, OutputCount);
            dz[labels[b]] -= 1f;
            TensorPrimitives.Multiply(dz, scale, dz);
            TensorPrimitives.Add(db2, dz, db2);

            ReadOnlySpan<float> h = _hidden.AsSpan(b * HiddenCount, HiddenCount);
            dh.Clear();
            for (int k = 0; k < OutputCount; k++)
            {
                TensorPrimitives.MultiplyAdd(h, dz[k], dw2.Slice(k * HiddenCount, HiddenCount), dw2.Slice(k * HiddenCount, HiddenCount));
                TensorPrimitives.MultiplyAdd(w2.Slice(k * HiddenCount, HiddenCount), dz[k], dh, dh);
            }

            // Through the ReLU: units that were off pass no gradient (and need no weight-gradient update below).
            for (int j = 0; j < HiddenCount; j++)
            {
                if (h[j] <= 0f)
                {
                    dh[j] = 0f;
                }
            }

            TensorPrimitives.Add(db1, dh, db1);
            ReadOnlySpan<float> x = inputs.Slice(b * InputCount, InputCount);
            for (int j = 0; j < HiddenCount; j++)
            {
                if (dh[j] != 0f)
                {
                    Span<float> row = dw1.Slice(j * InputCount, InputCount);
                    TensorPrimitives.MultiplyAdd(x, dh[j], row, row);
                }
            }
        }

        return loss / batch;
    }

    /// <summary>Mean cross-entropy over <paramref name="data"/>, evaluated in batches.</summary>
    public double MeanLoss(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        double total = 0;
        for (int start = 0; start < data.Count; start += MaxBatchSize)
        {
            int count = Math.Min(MaxBatchSize, data.Count - start);
            total += Forward(data.Features.AsSpan(start * InputCount, count * InputCount), data.Labels.AsSpan(start, count), count);
        }

        return total / data.Count;
    }

    /// <summary>Fraction of <paramref name="data"/> whose most probable class is the label.</summary>
    public double Accuracy(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int correct = 0;
        for (int start = 0; start < data.Count; start += MaxBatchSize)
        {
            int count = Math.Min(MaxBatchSize, data.Count - start);
            Forward(data.Features.AsSpan(start * InputCount, count * InputCount), data.Labels.AsSpan(start, count), count);
            for (int b = 0; b < count; b++)
            {
                if (TensorPrimitives.IndexOfMax(_outputs.AsSpan(b * OutputCount, OutputCount)) == data.Labels[start + b])
                {
                    correct++;
                }
            }
        }

        return (double)correct / data.Count;
    }

    // Leaves the ReLU activations in _hidden and the softmax probabilities in _outputs; returns the summed loss.
    private double Forward(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int batch)
    {
        ReadOnlySpan<float> w1 = Store.Parameter(Fc1Weight), b1 = Store.Parameter(Fc1Bias);
        ReadOnlySpan<float> w2 = Store.Parameter(Fc2Weight), b2 = Store.Parameter(Fc2Bias);
        double loss = 0;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> x = inputs.Slice(b * InputCount, InputCount);
            Span<float> h = _hidden.AsSpan(b * HiddenCount, HiddenCount);
            for (int j = 0; j < HiddenCount; j++)
            {
                h[j] = TensorPrimitives.Dot(w1.Slice(j * InputCount, InputCount), x);
            }

            TensorPrimitives.Add(h, b1, h);
            TensorPrimitives.Max(h, 0f, h);

            Span<float> z = _outputs.AsSpan(b * OutputCount, OutputCount);
            for (int k = 0; k < OutputCount; k++)
            {
                z[k] = TensorPrimitives.Dot(w2.Slice(k * HiddenCount, HiddenCount), h);
            }

            TensorPrimitives.Add(z, b2, z);

            // Softmax shifted by the largest logit so Exp cannot overflow; loss = log Σ exp(z − max) − (z_label − max).
            float max = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, max, z);
            float shiftedTarget = z[labels[b]];
            TensorPrimitives.Exp(z, z);
            float sum = TensorPrimitives.Sum(z);
            TensorPrimitives.Divide(z, sum, z);
            loss += Math.Log(sum) - shiftedTarget;
        }

        return loss;
    }

    private int CheckBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        int batch = labels.Length;
        if (batch < 1 || batch > MaxBatchSize)
        {
            throw new ArgumentException($"A batch holds 1 to {MaxBatchSize} samples, not {batch}.", nameof(labels));
        }

        if (inputs.Length != batch * InputCount)
        {
            throw new ArgumentException($"{batch} samples need {batch * InputCount} inputs, not {inputs.Length}.", nameof(inputs));
        }

        return batch;
    }

    private static void FillUniform(Span<float> values, double bound, Random random)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((2 * random.NextDouble() - 1) * bound);
        }
    }
}
