using System;
using OptGen.Samples.Digits;

namespace OptGen.Samples.Tests;

/// <summary>
/// The backward pass against central differences of an independent double-precision forward pass, so neither the
/// float rounding of the model nor a shared bug can hide an error.
/// </summary>
public class GradientCheckTests
{
    private const int Batch = 8;

    [Fact]
    public void Backward_pass_matches_finite_differences_for_every_parameter()
    {
        var model = new Mlp(Batch);
        model.Initialize(seed: 3);

        // Nonzero biases, so their gradients and the ReLU mask are exercised away from the initial state.
        var random = new Random(5);
        foreach (string bias in new[] { Mlp.Fc1Bias, Mlp.Fc2Bias })
        {
            Span<float> values = model.Store.Parameter(bias);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(0.2 * random.NextDouble() - 0.1);
            }
        }

        float[] inputs = DataTests.Digits.Features.AsSpan(0, Batch * Mlp.InputCount).ToArray();
        int[] labels = DataTests.Digits.Labels.AsSpan(0, Batch).ToArray();
        double loss = model.ComputeGradients(inputs, labels);
        float[] gradients = model.Store.Gradients.ToArray();

        double[] parameters = Array.ConvertAll(model.Store.Parameters.ToArray(), p => (double)p);
        var reference = new ReferenceMlp(model, inputs, labels);
        Assert.Equal(reference.Loss(parameters), loss, 1e-5);

        const double h = 1e-4;
        int checkedCount = 0;
        foreach (OptGen.TensorSlice tensor in model.Store.Tensors)
        {
            for (int i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
            {
                double saved = parameters[i];
                parameters[i] = saved + h;
                double up = reference.Loss(parameters);
                parameters[i] = saved - h;
                double down = reference.Loss(parameters);
                parameters[i] = saved;

                double numeric = (up - down) / (2 * h);
                double tolerance = 2e-5 + 1e-3 * Math.Abs(numeric);
                Assert.True(
                    Math.Abs(gradients[i] - numeric) <= tolerance,
                    $"{tensor.Name}[{i - tensor.Offset}]: backward {gradients[i]:G6}, finite difference {numeric:G6}");
                checkedCount++;
            }
        }

        Assert.Equal(64 * 64 + 64 + 10 * 64 + 10, checkedCount);
    }

    [Fact]
    public void Padding_between_tensors_gets_no_gradient()
    {
        var model = new Mlp(Batch);
        model.Initialize(seed: 3);
        model.ComputeGradients(DataTests.Digits.Features.AsSpan(0, Batch * Mlp.InputCount), DataTests.Digits.Labels.AsSpan(0, Batch));
        bool[] used = new bool[model.Store.Length];
        foreach (OptGen.TensorSlice tensor in model.Store.Tensors)
        {
            used.AsSpan(tensor.Offset, tensor.Length).Fill(true);
        }

        for (int i = 0; i < used.Length; i++)
        {
            if (!used[i])
            {
                Assert.Equal(0f, model.Store.Gradients[i]);
            }
        }
    }

    // The same network written as plain loops in double precision, reading parameters by the store's layout.
    private sealed class ReferenceMlp(Mlp model, float[] inputs, int[] labels)
    {
        private readonly OptGen.TensorSlice _w1 = Find(model, Mlp.Fc1Weight);
        private readonly OptGen.TensorSlice _b1 = Find(model, Mlp.Fc1Bias);
        private readonly OptGen.TensorSlice _w2 = Find(model, Mlp.Fc2Weight);
        private readonly OptGen.TensorSlice _b2 = Find(model, Mlp.Fc2Bias);

        public double Loss(double[] p)
        {
            double total = 0;
            double[] hidden = new double[Mlp.HiddenCount];
            double[] logits = new double[Mlp.OutputCount];
            for (int b = 0; b < labels.Length; b++)
            {
                for (int j = 0; j < Mlp.HiddenCount; j++)
                {
                    double sum = p[_b1.Offset + j];
                    for (int i = 0; i < Mlp.InputCount; i++)
                    {
                        sum += p[_w1.Offset + j * Mlp.InputCount + i] * inputs[b * Mlp.InputCount + i];
                    }

                    hidden[j] = Math.Max(sum, 0);
                }

                double max = double.NegativeInfinity;
                for (int k = 0; k < Mlp.OutputCount; k++)
                {
                    double sum = p[_b2.Offset + k];
                    for (int j = 0; j < Mlp.HiddenCount; j++)
                    {
                        sum += p[_w2.Offset + k * Mlp.HiddenCount + j] * hidden[j];
                    }

                    logits[k] = sum;
                    max = Math.Max(max, sum);
                }

                double expSum = 0;
                foreach (double z in logits)
                {
                    expSum += Math.Exp(z - max);
                }

                total += Math.Log(expSum) + max - logits[labels[b]];
            }

            return total / labels.Length;
        }

        private static OptGen.TensorSlice Find(Mlp model, string name)
        {
            foreach (OptGen.TensorSlice tensor in model.Store.Tensors)
            {
                if (tensor.Name == name)
                {
                    return tensor;
                }
            }

            throw new InvalidOperationException($"No tensor {name}.");
        }
    }
}
