using System;

namespace OptGen.Samples.Digits;

/// <summary>Samples as rows of <see cref="FeatureCount"/> floats in one array, with a class label per row.</summary>
internal sealed class Dataset
{
    public Dataset(float[] features, int[] labels, int featureCount, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Length != labels.Length * featureCount)
        {
            throw new ArgumentException($"{features.Length} features do not make {labels.Length} rows of {featureCount}.", nameof(features));
        }

        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>Row-major, <see cref="Count"/> × <see cref="FeatureCount"/>.</summary>
    public float[] Features { get; }

    public int[] Labels { get; }

    public int FeatureCount { get; }

    public int ClassCount { get; }

    public int Count => Labels.Length;

    public ReadOnlySpan<float> Row(int index) => Features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>The rows at <paramref name="indices"/>, in that order, as a new data set.</summary>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        float[] features = new float[indices.Length * FeatureCount];
        int[] labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Row(indices[i]).CopyTo(features.AsSpan(i * FeatureCount, FeatureCount));
            labels[i] = Labels[indices[i]];
        }

        return new Dataset(features, labels, FeatureCount, ClassCount);
    }
}
