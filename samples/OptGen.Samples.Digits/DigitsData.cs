using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;

namespace OptGen.Samples.Digits;

/// <summary>Reads the handwritten-digits data set shipped next to the program (see Data/README.md).</summary>
internal static class DigitsData
{
    public const int PixelCount = 64;
    public const int ClassCount = 10;
    public const int MaxPixelValue = 16;

    /// <summary>Where the build copies the data file.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "Data", "digits.csv.gz");

    /// <summary>
    /// Loads the gzip-compressed CSV (64 pixels 0..16, then the label, per line), scaling pixels to [0, 1] so the
    /// He-initialised first layer starts with activations of a sensible size.
    /// </summary>
    public static Dataset Load(string path)
    {
        using FileStream file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);

        var features = new List<float>(1797 * PixelCount);
        var labels = new List<int>(1797);
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            string[] fields = line.Split(',');
            if (fields.Length != PixelCount + 1)
            {
                throw new InvalidDataException($"{path}, line {lineNumber}: {fields.Length} fields, expected {PixelCount + 1}.");
            }

            for (int i = 0; i < PixelCount; i++)
            {
                int pixel = Parse(fields[i], 0, MaxPixelValue, path, lineNumber);
                features.Add(pixel / (float)MaxPixelValue);
            }

            labels.Add(Parse(fields[PixelCount], 0, ClassCount - 1, path, lineNumber));
        }

        return new Dataset(features.ToArray(), labels.ToArray(), PixelCount, ClassCount);
    }

    /// <summary>
    /// A stratified split: each class's samples are shuffled with <paramref name="seed"/> and
    /// <paramref name="testFraction"/> of them (rounded) held out, so both parts keep the class balance and the split
    /// depends only on the seed. Returns indices into <paramref name="data"/>, each part in ascending order.
    /// </summary>
    public static (int[] Train, int[] Test) StratifiedSplit(Dataset data, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        var random = new Random(seed);
        var train = new List<int>(data.Count);
        var test = new List<int>(data.Count);
        for (int label = 0; label < data.ClassCount; label++)
        {
            var members = new List<int>();
            for (int i = 0; i < data.Count; i++)
            {
                if (data.Labels[i] == label)
                {
                    members.Add(i);
                }
            }

            int[] shuffled = members.ToArray();
            random.Shuffle(shuffled);
            int testCount = (int)Math.Round(shuffled.Length * testFraction, MidpointRounding.AwayFromZero);
            test.AddRange(shuffled.AsSpan(0, testCount));
            train.AddRange(shuffled.AsSpan(testCount));
        }

        train.Sort();
        test.Sort();
        return (train.ToArray(), test.ToArray());
    }

    private static int Parse(string field, int min, int max, string path, int lineNumber)
    {
        if (!int.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new InvalidDataException($"{path}, line {lineNumber}: '{field}' is not an integer from {min} to {max}.");
        }

        return value;
    }
}
