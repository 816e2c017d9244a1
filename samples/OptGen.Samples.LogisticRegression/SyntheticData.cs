using System;

namespace OptGen.Samples.LogisticRegression;

/// <summary>A labelled dataset: <see cref="Count"/> rows of <see cref="FeatureCount"/> features, row-major.</summary>
internal sealed class Dataset(float[] features, int[] labels, int featureCount, int classCount)
{
    public float[] Features { get; } = features;
    public int[] Labels { get; } = labels;
    public int FeatureCount { get; } = featureCount;
    public int ClassCount { get; } = classCount;
    public int Count => Labels.Length;

    /// <summary>The features of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * FeatureCount, FeatureCount);
}

/// <summary>Generates a deterministic three-class problem that looks like raw, unnormalised tabular data.</summary>
internal static class SyntheticData
{
    /// <summary>
    /// Draws <paramref name="count"/> samples from <paramref name="classCount"/> Gaussian blobs in
    /// <paramref name="featureCount"/> dimensions, then makes them awkward the way real measurements are:
    /// <list type="bullet">
    /// <item>every feature comes in its own unit: scales spread geometrically from 0.25 to 4, plus an offset;</item>
    /// <item>a shared nuisance factor (think "sensor gain") is added to all features, correlating them;</item>
    /// <item>a fraction <paramref name="labelNoise"/> of the labels is replaced by a random class.</item>
    /// </list>
    /// Plain SGD struggles with such badly conditioned inputs (standardising the features would be the usual cure);
    /// per-parameter adaptive methods cope with them much better.
    /// The same <paramref name="seed"/> always gives the same data.
    /// </summary>
    public static (Dataset Train, Dataset Test) Generate(
        int seed, int count, int featureCount, int classCount, double testFraction, double labelNoise)
    {
        var random = new Random(seed);

        // One mean per class, shared by the train and test split.
        var classMeans = new double[classCount, featureCount];
        for (int k = 0; k < classCount; k++)
        {
            for (int j = 0; j < featureCount; j++)
            {
                classMeans[k, j] = 0.6 * NextGaussian(random);
            }
        }

        // Units: feature j is multiplied by a scale growing geometrically from 0.25 (j = 0) to 4, and shifted by an offset.
        var scales = new double[featureCount];
        var offsets = new double[featureCount];
        for (int j = 0; j < featureCount; j++)
        {
            scales[j] = Math.Pow(16, (double)j / (featureCount - 1)) / 4;
            offsets[j] = NextGaussian(random);
        }

        var features = new float[count * featureCount];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(classCount);
            double nuisance = NextGaussian(random);
            for (int j = 0; j < featureCount; j++)
            {
                double latent = classMeans[label, j] + NextGaussian(random) + 0.8 * nuisance;
                features[i * featureCount + j] = (float)(scales[j] * (latent + offsets[j]));
            }

            labels[i] = random.NextDouble() < labelNoise ? random.Next(classCount) : label;
        }

        // The rows are already in random order, so the split can simply cut the arrays.
        int testCount = (int)(count * testFraction);
        int trainCount = count - testCount;
        var train = new Dataset(
            features[..(trainCount * featureCount)], labels[..trainCount], featureCount, classCount);
        var test = new Dataset(
            features[(trainCount * featureCount)..], labels[trainCount..], featureCount, classCount);
        return (train, test);
    }

    /// <summary>A standard normal sample (Box–Muller).</summary>
    private static double NextGaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(); // in (0, 1], so the logarithm is finite
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
