using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Xunit.Abstractions;

namespace OptGen.Tests;

/// <summary>
/// NaN and infinite gradients: <see cref="FiniteCheck"/> finds every one wherever it is, <see cref="NonFiniteGradientPolicy.SkipStep"/>
/// optimizers skip such steps without a trace, and the default policy propagates them as PyTorch does.
/// </summary>
public sealed class NonFiniteGradientTests(ITestOutputHelper output)
{
    private const int Length = 37;

    // Lengths around the parallel threshold (2^17) and the parallel chunk size (2^15), and a plain large odd one.
    private static readonly int[] LargeLengths = [4099, ParallelStep.MinimumParallelLength + 17, 300_001];

    [Fact]
    public void AllFinite_float_finds_every_non_finite_value_at_every_position() => output.WriteLine($"{CheckEveryPosition(
        [float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0001)), BitConverter.Int32BitsToSingle(0x7F80_0001)],
        FiniteValues<float>, float.IsFinite)} checks");

    [Fact]
    public void AllFinite_double_finds_every_non_finite_value_at_every_position() => output.WriteLine($"{CheckEveryPosition(
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8_0000_0000_0001)), BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0001)],
        FiniteValues<double>, double.IsFinite)} checks");

    [Fact]
    public void AllFinite_Half_finds_every_non_finite_value_at_every_position() => output.WriteLine($"{CheckEveryPosition(
        TwoByteFloats.NonFinite<Half>(), TwoByteFloats.FiniteValues<Half>, Half.IsFinite)} checks");

    [Fact]
    public void AllFinite_BFloat16_finds_every_non_finite_value_at_every_position() => output.WriteLine($"{CheckEveryPosition(
        TwoByteFloats.NonFinite<BFloat16>(), TwoByteFloats.FiniteValues<BFloat16>, BFloat16.IsFinite)} checks");

    /// <summary>Random bits (non-finite values included at several densities) on the lengths around vector and block sizes.</summary>
    [Fact]
    public void AllFinite_agrees_with_a_scalar_loop_on_random_2_byte_bits()
    {
        AgreeOnRandomBits<Half>();
        AgreeOnRandomBits<BFloat16>();
    }

    /// <summary>Each exponent that is not all ones, with every mantissa, both signs: the largest finite values and the NaNs differ by one bit.</summary>
    [Fact]
    public void AllFinite_classifies_every_2_byte_bit_pattern()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            Half half = TwoByteFloats.FromBits<Half>(bits);
            BFloat16 bfloat = BFloat16.FromBits((ushort)bits);
            foreach (int length in new[] { 1, 32, 100 })
            {
                Assert.Equal(Half.IsFinite(half), FiniteCheck.AllFinite<Half>(Enumerable.Repeat(half, length).ToArray()));
                Assert.Equal(BFloat16.IsFinite(bfloat), FiniteCheck.AllFinite<BFloat16>(Enumerable.Repeat(bfloat, length).ToArray()));
            }
        }
    }

    [Fact]
    public void AllFinite_does_not_overflow_on_extreme_finite_values()
    {
        foreach (int length in new[] { 1, 3, 16, 17, 64, 1000, ParallelStep.MinimumParallelLength + 17 })
        {
            foreach (int threads in new[] { 1, 3 })
            {
                Assert.True(FiniteCheck.AllFinite<float>(Enumerable.Repeat(float.MaxValue, length).ToArray(), threads));
                Assert.True(FiniteCheck.AllFinite<float>(Enumerable.Repeat(-float.MaxValue, length).ToArray(), threads));
                Assert.True(FiniteCheck.AllFinite<double>(Enumerable.Repeat(double.MaxValue, length).ToArray(), threads));
                Assert.True(FiniteCheck.AllFinite<double>(Enumerable.Repeat(double.Epsilon, length).ToArray(), threads));
            }
        }
    }

    [Theory]
    [MemberData(nameof(SkipStepOptimizers))]
    public void Skipped_steps_change_nothing_and_the_trajectory_continues_as_if_they_never_happened(string name)
    {
        int skipped = name switch
        {
            "SkipStepScheduledAdam" => SkipAmongGoodSteps(length => new SkipStepScheduledAdam(length)),
            "SkipStepMomentumSgd" => SkipAmongGoodSteps(length => new SkipStepMomentumSgd(length)),
            "SkipStepMomentumSgdDouble" => SkipAmongGoodSteps(length => new SkipStepMomentumSgdDouble(length)),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        output.WriteLine($"{name}: {skipped} steps skipped among 15 applied");
    }

    public static TheoryData<string> SkipStepOptimizers => new("SkipStepScheduledAdam", "SkipStepMomentumSgd", "SkipStepMomentumSgdDouble");

    [Fact]
    public void Large_parallel_step_with_a_single_non_finite_gradient_is_skipped_float() => SkipLarge(length => new SkipStepScheduledAdam(length));

    [Fact]
    public void Large_parallel_step_with_a_single_non_finite_gradient_is_skipped_double() => SkipLarge(length => new SkipStepMomentumSgdDouble(length));

    [Theory]
    [MemberData(nameof(PropagatingOptimizers))]
    public void By_default_a_NaN_gradient_makes_its_parameter_NaN_and_nothing_else(string name)
    {
        switch (name)
        {
            case "Adam": Propagate(length => new TestAdam(length)); break;
            case "AdamWDouble": Propagate(length => new TestAdamWDouble(length)); break;
            case "Nesterov": Propagate(length => new TestNesterov(length)); break;
            case "AdaGrad": Propagate(length => new TestAdaGrad(length)); break;
            case "CenteredRmsProp": Propagate(length => new TestCenteredRmsProp(length)); break;
            case "WarmupCosineAdam": Propagate(length => new WarmupCosineAdam(length)); break;
            default: throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    public static TheoryData<string> PropagatingOptimizers => new("Adam", "AdamWDouble", "Nesterov", "AdaGrad", "CenteredRmsProp", "WarmupCosineAdam");

    [Fact]
    public void Infinite_gradients_are_applied_by_default()
    {
        var optimizer = new TestNesterov(Length);
        float[] parameters = OptimizerTestData.InitialParameters<float>(Length);
        float[] gradients = OptimizerTestData.Gradient<float>(0, Length);
        gradients[3] = float.PositiveInfinity;
        gradients[30] = float.NegativeInfinity;

        Assert.True(optimizer.Step(parameters, gradients));

        Assert.Equal(1, optimizer.StepCount);
        Assert.Equal(0, optimizer.SkippedStepCount);
        Assert.False(float.IsFinite(parameters[3]));
        Assert.False(float.IsFinite(parameters[30]));
        Assert.False(float.IsFinite(optimizer.MomentumBuffer[3]));
    }

    [Fact]
    public void Reset_clears_the_skipped_step_count()
    {
        var optimizer = new SkipStepScheduledAdam(Length) { BaseLearningRate = 0.01 };
        float[] parameters = OptimizerTestData.InitialParameters<float>(Length);
        float[] bad = OptimizerTestData.Gradient<float>(0, Length);
        bad[5] = float.NaN;
        for (int s = 0; s < 4; s++)
        {
            Assert.True(optimizer.Step(parameters, OptimizerTestData.Gradient<float>(s, Length)));
            Assert.False(optimizer.Step(parameters, bad));
        }

        Assert.Equal(4, optimizer.SkippedStepCount);
        optimizer.Reset();

        var fresh = new SkipStepScheduledAdam(Length) { BaseLearningRate = 0.01 };
        BitSnapshot.AssertIdentical(BitSnapshot.Of(fresh), BitSnapshot.Of(optimizer), "after Reset");
        Assert.Equal(0, optimizer.SkippedStepCount);

        // And it counts again from zero.
        Assert.False(optimizer.Step(parameters, bad));
        Assert.Equal(1, optimizer.SkippedStepCount);
    }

    private static int CheckEveryPosition<T>(T[] nonFinite, Func<int, Random, T[]> finiteValues, Func<T, bool> isFinite)
        where T : unmanaged
    {
        Assert.All(nonFinite, value => Assert.False(isFinite(value)));
        var random = new Random(17);
        int checks = 0;
        for (int length = 0; length <= 200; length++)
        {
            T[] values = finiteValues(length, random);
            Assert.True(FiniteCheck.AllFinite<T>(values), $"all finite, length {length}");
            IEnumerable<int> positions = length <= 70
                ? Enumerable.Range(0, length)
                : new[] { 0, length / 2, length - 1, random.Next(length), random.Next(length), random.Next(length) };
            checks += CheckPositions(values, positions, nonFinite, threadCount: 1);
        }

        foreach (int length in LargeLengths)
        {
            T[] values = finiteValues(length, random);
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Assert.True(FiniteCheck.AllFinite<T>(values, threads), $"all finite, length {length}, {threads} threads");
                int chunk = ParallelStep.MinimumChunkLength;
                int[] positions =
                [
                    0, 1, length / 2, length - 2, length - 1, chunk - 1, chunk, (2 * chunk) + 5, length - chunk,
                    random.Next(length), random.Next(length), random.Next(length),
                ];
                checks += CheckPositions(values, positions.Where(p => p >= 0 && p < length), nonFinite, threads);
            }
        }

        Assert.True(checks > 10_000, $"only {checks} checks");
        return checks;
    }

    /// <summary>Places each non-finite value at each position in turn; returns the number of checks.</summary>
    private static int CheckPositions<T>(T[] values, IEnumerable<int> positions, T[] nonFinite, int threadCount)
        where T : unmanaged
    {
        int checks = 0;
        foreach (int position in positions)
        {
            T original = values[position];
            foreach (T bad in nonFinite)
            {
                values[position] = bad;
                Assert.False(
                    FiniteCheck.AllFinite<T>(values, threadCount),
                    $"{bad} at {position} of {values.Length} ({threadCount} threads) not found");
                checks++;
            }

            values[position] = original;
        }

        Assert.True(FiniteCheck.AllFinite<T>(values, threadCount));
        return checks;
    }

    private static void AgreeOnRandomBits<T>()
        where T : unmanaged
    {
        var random = new Random(29);
        foreach (int length in new[] { 0, 1, 2, 7, 31, 32, 33, 127, 128, 129, 1023, 1024, 1025, ParallelStep.MinimumParallelLength, 300_000 })
        {
            // One value in density non-finite, on average: none to most.
            foreach (double density in new[] { 0, 1e-6, 1.0 / length, 0.01, 0.5 })
            {
                T[] values = TwoByteFloats.FiniteValues<T>(length, random);
                T[] nonFinite = TwoByteFloats.NonFinite<T>();
                for (int i = 0; i < length; i++)
                {
                    if (random.NextDouble() < density)
                    {
                        values[i] = nonFinite[random.Next(nonFinite.Length)];
                    }
                }

                bool expected = true;
                foreach (T value in values)
                {
                    expected &= TwoByteFloats.IsFinite(value);
                }

                foreach (int threads in new[] { 1, 2, 3 })
                {
                    Assert.True(expected == FiniteCheck.AllFinite<T>(values, threads), $"{typeof(T).Name}, length {length}, density {density}, {threads} threads");
                }
            }
        }
    }

    /// <summary>Finite values including the extremes: ±max, ±0, subnormals and the smallest normal.</summary>
    private static T[] FiniteValues<T>(int length, Random random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T maxValue = typeof(T) == typeof(float) ? T.CreateChecked(float.MaxValue) : T.CreateChecked(double.MaxValue);
        T smallestNormal = typeof(T) == typeof(float) ? T.CreateChecked(1.17549435e-38f) : T.CreateChecked(2.2250738585072014e-308);
        T[] special = [maxValue, -maxValue, T.NegativeZero, T.Zero, T.Epsilon, -T.Epsilon, smallestNormal / T.CreateChecked(3), smallestNormal, -smallestNormal];
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = random.Next(3) == 0 ? special[random.Next(special.Length)] : T.CreateChecked((random.NextDouble() - 0.5) * 1e6);
        }

        return values;
    }

    /// <summary>15 good steps in two twins; one also gets bad steps before, between and after them.</summary>
    private static int SkipAmongGoodSteps<T>(Func<int, IOptimizer<T>> create)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        IOptimizer<T> twin = create(Length), subject = create(Length);
        Assert.Equal(NonFiniteGradientPolicy.SkipStep, subject.NonFiniteGradientPolicy);
        T[] twinParameters = OptimizerTestData.InitialParameters<T>(Length), parameters = OptimizerTestData.InitialParameters<T>(Length);
        T[] badValues = [T.NaN, T.PositiveInfinity, T.NegativeInfinity];
        var badBefore = new Dictionary<int, int> { [0] = 2, [3] = 1, [4] = 3, [8] = 1, [9] = 1, [14] = 2, [15] = 1 };
        var random = new Random(3);
        int skipped = 0;
        for (int s = 0; s <= 15; s++)
        {
            for (int b = 0; b < badBefore.GetValueOrDefault(s); b++)
            {
                T[] gradients = OptimizerTestData.Gradient<T>(s, Length);
                T bad = badValues[skipped % badValues.Length];
                int position = (skipped % 5) switch { 0 => 0, 1 => Length - 1, 2 => 17, 3 => random.Next(Length), _ => -1 };
                if (position < 0)
                {
                    Array.Fill(gradients, bad); // every gradient bad
                }
                else
                {
                    gradients[position] = bad;
                }

                BitSnapshot before = BitSnapshot.Of(subject, parameters, includeSkippedStepCount: false);
                long skippedBefore = subject.SkippedStepCount;
                Assert.False(subject.Step(parameters, gradients), $"{bad} at {position} before step {s} was applied");
                skipped++;
                Assert.Equal(skippedBefore + 1, subject.SkippedStepCount);
                BitSnapshot.AssertIdentical(before, BitSnapshot.Of(subject, parameters, includeSkippedStepCount: false), $"after skipping {bad} at {position} before step {s}");
            }

            if (s < 15)
            {
                T[] gradients = OptimizerTestData.Gradient<T>(s, Length);
                Assert.True(twin.Step(twinParameters, gradients));
                Assert.True(subject.Step(parameters, gradients));
                BitSnapshot.AssertIdentical(
                    BitSnapshot.Of(twin, twinParameters, includeSkippedStepCount: false),
                    BitSnapshot.Of(subject, parameters, includeSkippedStepCount: false),
                    $"after step {s}");
            }
        }

        Assert.Equal(skipped, subject.SkippedStepCount);
        Assert.Equal(0, twin.SkippedStepCount);
        Assert.Equal(15, subject.StepCount);
        return skipped;
    }

    private static void SkipLarge<T>(Func<int, IOptimizer<T>> create)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int length = 300_000;
        IOptimizer<T> subject = create(length), twin = create(length);
        subject.ThreadCount = 2;
        twin.ThreadCount = 1; // results are bit-identical whatever the count
        T[] parameters = OptimizerTestData.InitialParameters<T>(length), twinParameters = OptimizerTestData.InitialParameters<T>(length);
        T[] first = OptimizerTestData.Gradient<T>(0, length), second = OptimizerTestData.Gradient<T>(1, length);
        Assert.True(subject.Step(parameters, first));
        Assert.True(twin.Step(twinParameters, first));

        foreach ((int position, T bad) in new[] { (length - 1, T.NaN), (0, T.PositiveInfinity), (ParallelStep.MinimumChunkLength * 5, T.NegativeInfinity) })
        {
            T[] gradients = (T[])second.Clone();
            gradients[position] = bad;
            BitSnapshot before = BitSnapshot.Of(subject, parameters, includeSkippedStepCount: false);
            Assert.False(subject.Step(parameters, gradients), $"{bad} at {position} was applied");
            BitSnapshot.AssertIdentical(before, BitSnapshot.Of(subject, parameters, includeSkippedStepCount: false), $"after skipping {bad} at {position}");
        }

        Assert.Equal(3, subject.SkippedStepCount);
        Assert.True(subject.Step(parameters, second));
        Assert.True(twin.Step(twinParameters, second));
        BitSnapshot.AssertIdentical(
            BitSnapshot.Of(twin, twinParameters, includeSkippedStepCount: false),
            BitSnapshot.Of(subject, parameters, includeSkippedStepCount: false),
            "after the next good step");
    }

    private static void Propagate<T>(Func<int, IOptimizer<T>> create)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        IOptimizer<T> subject = create(Length), twin = create(Length);
        Assert.Equal(NonFiniteGradientPolicy.Propagate, subject.NonFiniteGradientPolicy);
        T[] parameters = OptimizerTestData.InitialParameters<T>(Length), twinParameters = OptimizerTestData.InitialParameters<T>(Length);
        for (int s = 0; s < 2; s++)
        {
            T[] gradients = OptimizerTestData.Gradient<T>(s, Length);
            Assert.True(subject.Step(parameters, gradients));
            Assert.True(twin.Step(twinParameters, gradients));
        }

        int[] poisoned = [0, 17, Length - 1];
        T[] bad = OptimizerTestData.Gradient<T>(2, Length);
        foreach (int position in poisoned)
        {
            bad[position] = T.NaN;
        }

        Assert.True(subject.Step(parameters, bad));
        Assert.True(twin.Step(twinParameters, OptimizerTestData.Gradient<T>(2, Length)));

        Assert.Equal(3, subject.StepCount);
        Assert.Equal(0, subject.SkippedStepCount);
        for (int i = 0; i < Length; i++)
        {
            if (poisoned.Contains(i))
            {
                Assert.True(T.IsNaN(parameters[i]), $"parameter {i} is {parameters[i]}, not NaN");
            }
            else
            {
                // Element-wise rules: the other elements are exactly what they would have been.
                Assert.True(
                    BitSnapshotEquals(parameters[i], twinParameters[i]),
                    $"parameter {i} is {parameters[i]}, expected {twinParameters[i]}");
            }
        }
    }

    private static bool BitSnapshotEquals<T>(T a, T b)
        where T : unmanaged
        => System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in a)).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in b)));
}
