using System;

namespace OptGen.Samples.LogisticRegression;

/// <summary>
/// Multinomial logistic regression: <c>logits = W·x + b</c>, <c>P(class k | x) = softmax(logits)ₖ</c>, trained by
/// minimising the mean cross-entropy. All parameters live in one flat <see cref="float"/> array, the shape an
/// optimizer's <c>Step</c> takes: the weights W row by row (one row of <c>FeatureCount</c> per class), then the biases b.
/// </summary>
internal static class SoftmaxRegression
{
    /// <summary>Length of the flat parameter array: one weight row plus one bias per class.</summary>
    public static int ParameterCount(int featureCount, int classCount) => classCount * (featureCount + 1);

    /// <summary>Mean cross-entropy of the model over the whole of <paramref name="data"/>.</summary>
    public static double Loss(ReadOnlySpan<float> parameters, Dataset data)
    {
        Span<double> probabilities = stackalloc double[data.ClassCount];
        double total = 0;
        for (int i = 0; i < data.Count; i++)
        {
            Predict(parameters, data, i, probabilities);
            total -= Math.Log(Math.Max(probabilities[data.Labels[i]], 1e-300));
        }

        return total / data.Count;
    }

    /// <summary>Fraction of <paramref name="data"/> whose most probable class is the label.</summary>
    public static double Accuracy(ReadOnlySpan<float> parameters, Dataset data)
    {
        Span<double> probabilities = stackalloc double[data.ClassCount];
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            Predict(parameters, data, i, probabilities);
            int predicted = 0;
            for (int k = 1; k < data.ClassCount; k++)
            {
                if (probabilities[k] > probabilities[predicted])
                {
                    predicted = k;
                }
            }

            if (predicted == data.Labels[i])
            {
                correct++;
            }
        }

        return (double)correct / data.Count;
    }

    /// <summary>
    /// Writes into <paramref name="gradients"/> the gradient of the mean cross-entropy over the rows in
    /// <paramref name="batch"/>. For softmax with cross-entropy it is simple: with <c>e = p − onehot(label)</c>,
    /// the row's contribution is <c>e·xᵀ</c> to W and <c>e</c> to b.
    /// </summary>
    public static void Gradient(ReadOnlySpan<float> parameters, Dataset data, ReadOnlySpan<int> batch, Span<float> gradients)
    {
        int featureCount = data.FeatureCount;
        int classCount = data.ClassCount;
        Span<float> weightGradients = gradients[..(classCount * featureCount)];
        Span<float> biasGradients = gradients[(classCount * featureCount)..];
        Span<double> probabilities = stackalloc double[classCount];

        gradients.Clear();
        float scale = 1f / batch.Length; // the loss is a mean over the batch
        foreach (int i in batch)
        {
            Predict(parameters, data, i, probabilities);
            ReadOnlySpan<float> x = data.Row(i);
            for (int k = 0; k < classCount; k++)
            {
                float error = (float)(probabilities[k] - (k == data.Labels[i] ? 1.0 : 0.0)) * scale;
                Span<float> row = weightGradients.Slice(k * featureCount, featureCount);
                for (int j = 0; j < featureCount; j++)
                {
                    row[j] += error * x[j];
                }

                biasGradients[k] += error;
            }
        }
    }

    /// <summary>Class probabilities of row <paramref name="row"/>, written into <paramref name="probabilities"/>.</summary>
    private static void Predict(ReadOnlySpan<float> parameters, Dataset data, int row, Span<double> probabilities)
    {
        int featureCount = data.FeatureCount;
        ReadOnlySpan<float> weights = parameters[..(data.ClassCount * featureCount)];
        ReadOnlySpan<float> biases = parameters[(data.ClassCount * featureCount)..];
        ReadOnlySpan<float> x = data.Row(row);

        // Logits, then a softmax that subtracts the largest logit first so Math.Exp cannot overflow.
        double largest = double.NegativeInfinity;
        for (int k = 0; k < data.ClassCount; k++)
        {
            ReadOnlySpan<float> w = weights.Slice(k * featureCount, featureCount);
            double logit = biases[k];
            for (int j = 0; j < featureCount; j++)
            {
                logit += w[j] * (double)x[j];
            }

            probabilities[k] = logit;
            largest = Math.Max(largest, logit);
        }

        double sum = 0;
        for (int k = 0; k < data.ClassCount; k++)
        {
            probabilities[k] = Math.Exp(probabilities[k] - largest);
            sum += probabilities[k];
        }

        for (int k = 0; k < data.ClassCount; k++)
        {
            probabilities[k] /= sum;
        }
    }
}
