using System.Linq;
using OptGen.Samples.Digits;

namespace OptGen.Samples.Tests;

public class DataTests
{
    internal static readonly Dataset Digits = DigitsData.Load(DigitsData.DefaultPath);

    [Fact]
    public void Loads_1797_images_of_64_pixels_in_10_classes()
    {
        Assert.Equal(1797, Digits.Count);
        Assert.Equal(64, Digits.FeatureCount);
        Assert.Equal(1797 * 64, Digits.Features.Length);
        Assert.Equal(10, Digits.ClassCount);
        Assert.Equal(Enumerable.Range(0, 10), Digits.Labels.Distinct().Order());
        Assert.All(Digits.Labels.CountBy(label => label), pair => Assert.InRange(pair.Value, 174, 183));
    }

    [Fact]
    public void Pixels_are_scaled_to_the_unit_interval()
    {
        Assert.All(Digits.Features, pixel => Assert.InRange(pixel, 0f, 1f));
        Assert.Equal(1f, Digits.Features.Max());

        // The first image of the file: 0,0,5,13,9,1,0,0,... label 0.
        Assert.Equal([0f, 0f, 5 / 16f, 13 / 16f, 9 / 16f, 1 / 16f, 0f, 0f], Digits.Row(0)[..8].ToArray());
        Assert.Equal(0, Digits.Labels[0]);
    }

    [Fact]
    public void Split_is_deterministic_disjoint_complete_and_stratified()
    {
        (int[] train, int[] test) = DigitsData.StratifiedSplit(Digits, TrainingDefaults.TestFraction, seed: 42);
        (int[] train2, int[] test2) = DigitsData.StratifiedSplit(Digits, TrainingDefaults.TestFraction, seed: 42);
        Assert.Equal(train, train2);
        Assert.Equal(test, test2);

        Assert.Empty(train.Intersect(test));
        Assert.Equal(Enumerable.Range(0, Digits.Count), train.Concat(test).Order());
        Assert.Equal(TrainingDefaults.TrainCount, train.Length);
        Assert.Equal(train.Length, train.Distinct().Count());

        // Each class holds out a fifth of its images, rounded.
        for (int label = 0; label < 10; label++)
        {
            int total = Digits.Labels.Count(l => l == label);
            int heldOut = test.Count(i => Digits.Labels[i] == label);
            Assert.Equal((int)System.Math.Round(total * 0.2, System.MidpointRounding.AwayFromZero), heldOut);
        }
    }

    [Fact]
    public void Another_seed_splits_differently_with_the_same_sizes()
    {
        (int[] train, int[] test) = DigitsData.StratifiedSplit(Digits, 0.2, seed: 42);
        (int[] otherTrain, int[] otherTest) = DigitsData.StratifiedSplit(Digits, 0.2, seed: 7);
        Assert.NotEqual(test, otherTest);
        Assert.Equal(train.Length, otherTrain.Length);
        Assert.Equal(test.Length, otherTest.Length);
    }

    [Fact]
    public void Schedules_are_sized_for_the_default_run()
    {
        (int[] train, int[] test) = DigitsData.StratifiedSplit(Digits, TrainingDefaults.TestFraction, TrainingDefaults.Seed);
        var setup = new TrainingSetup(Digits.Subset(train), Digits.Subset(test), TrainingDefaults.Epochs, TrainingDefaults.BatchSize, TrainingDefaults.Seed);
        Assert.Equal(TrainingDefaults.BatchesPerEpoch, setup.BatchesPerEpoch);
        Assert.Equal(ScheduleSteps.Total, setup.Steps);
    }
}
