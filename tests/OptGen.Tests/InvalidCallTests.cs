using System;
using System.IO;
using System.Linq;
using System.Numerics;

namespace OptGen.Tests;

/// <summary>Invalid calls are refused with the documented exception and leave every bit of the optimizer as it was.</summary>
public sealed class InvalidCallTests
{
    private const int Length = 10;

    public static TheoryData<string> Optimizers => new(
        "Adam", "AdamWDouble", "Nesterov", "AdaGrad", "CenteredRmsProp", "WarmupCosineAdam", "PlateauMomentumSgd", "SkipStepScheduledAdam", "SkipStepMomentumSgdDouble");

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Step_with_wrong_lengths_throws_naming_the_argument_and_changes_nothing(string name) => Run(name, new WrongLengths());

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Null_streams_and_paths_are_refused_and_change_nothing(string name) => Run(name, new NullCheckpointArguments());

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Invalid_base_learning_rates_are_refused_and_change_nothing(string name) => Run(name, new InvalidBaseLearningRates());

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Invalid_thread_counts_step_counts_and_buffer_indices_are_refused(string name) => Run(name, new OtherInvalidValues());

    [Fact]
    public void An_empty_optimizer_takes_empty_spans_and_refuses_others()
    {
        var optimizer = new TestAdam(0);
        Assert.True(optimizer.Step([], []));
        Assert.Equal(1, optimizer.StepCount);

        float[] one = [1f];
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => optimizer.Step(one, one)).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => optimizer.Step([], one)).ParamName);
        Assert.Equal(1f, one[0]);
        Assert.Equal(1, optimizer.StepCount);
    }

    [Fact]
    public void Skip_step_optimizer_checks_lengths_before_looking_for_non_finite_gradients()
    {
        var optimizer = new SkipStepMomentumSgd(Length);
        float[] parameters = OptimizerTestData.InitialParameters<float>(Length);
        float[] nan = Enumerable.Repeat(float.NaN, Length - 1).ToArray();
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => optimizer.Step(parameters, nan)).ParamName);
        Assert.Equal(0, optimizer.SkippedStepCount);
    }

    private static void Run(string name, ICheck check)
    {
        switch (name)
        {
            case "Adam": check.Run(new TestAdam(Length)); break;
            case "AdamWDouble": check.Run(new TestAdamWDouble(Length)); break;
            case "Nesterov": check.Run(new TestNesterov(Length)); break;
            case "AdaGrad": check.Run(new TestAdaGrad(Length)); break;
            case "CenteredRmsProp": check.Run(new TestCenteredRmsProp(Length)); break;
            case "WarmupCosineAdam": check.Run(new WarmupCosineAdam(Length)); break;
            case "PlateauMomentumSgd": check.Run(new PlateauMomentumSgd(Length)); break;
            case "SkipStepScheduledAdam": check.Run(new SkipStepScheduledAdam(Length)); break;
            case "SkipStepMomentumSgdDouble": check.Run(new SkipStepMomentumSgdDouble(Length)); break;
            default: throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    /// <summary>A few real steps (one of them skipped where the policy allows), a non-default base rate and, for the plateau schedule, a reduction.</summary>
    private static T[] Prepare<T>(IOptimizer<T> optimizer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        optimizer.BaseLearningRate *= 0.75;
        T[] parameters = OptimizerTestData.InitialParameters<T>(Length);
        for (int s = 0; s < 3; s++)
        {
            Assert.True(optimizer.Step(parameters, OptimizerTestData.Gradient<T>(s, Length)));
        }

        if (optimizer.NonFiniteGradientPolicy == NonFiniteGradientPolicy.SkipStep)
        {
            T[] bad = OptimizerTestData.Gradient<T>(3, Length);
            bad[4] = T.NaN;
            Assert.False(optimizer.Step(parameters, bad));
            Assert.Equal(1, optimizer.SkippedStepCount);
        }

        if (optimizer is PlateauMomentumSgd plateau)
        {
            foreach (double metric in new[] { 1, 0.5, 0.5, 0.5, 0.5 })
            {
                plateau.ReportMetric(metric);
            }

            Assert.NotEqual(plateau.BaseLearningRate, plateau.LearningRate);
        }

        Assert.Equal(3, optimizer.StepCount);
        return parameters;
    }

    private static void AssertUnchanged<T>(BitSnapshot before, IOptimizer<T> optimizer, T[] parameters, string context)
        where T : unmanaged
        => BitSnapshot.AssertIdentical(before, BitSnapshot.Of(optimizer, parameters), context);

    private interface ICheck
    {
        void Run<T>(IOptimizer<T> optimizer)
            where T : unmanaged, IFloatingPointIeee754<T>;
    }

    private sealed class WrongLengths : ICheck
    {
        public void Run<T>(IOptimizer<T> optimizer)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] parameters = Prepare(optimizer);
            BitSnapshot before = BitSnapshot.Of(optimizer, parameters);
            (int Parameters, int Gradients, string Argument)[] cases =
            [
                (Length - 1, Length, "parameters"), (Length + 1, Length, "parameters"), (Length, Length - 1, "gradients"),
                (Length, Length + 1, "gradients"), (Length - 1, Length - 1, "parameters"), (Length + 3, Length + 3, "parameters"),
                (Length - 1, Length + 1, "parameters"), (0, 0, "parameters"), (0, Length, "parameters"), (Length, 0, "gradients"),
            ];
            foreach ((int parameterCount, int gradientCount, string argument) in cases)
            {
                foreach (bool finite in new[] { true, false })
                {
                    // Shorter parameters are a view of the real ones; longer ones a copy with extra elements.
                    T[] longer = [.. parameters, .. OptimizerTestData.Gradient<T>(9, Math.Max(0, parameterCount - Length))];
                    T[] longerBefore = (T[])longer.Clone();
                    T[] gradients = OptimizerTestData.Gradient<T>(5, gradientCount);
                    if (!finite && gradientCount > 0)
                    {
                        gradients[0] = T.NaN;
                    }

                    var e = Assert.Throws<ArgumentException>(() => optimizer.Step(
                        parameterCount <= Length ? parameters.AsSpan(0, parameterCount) : longer.AsSpan(),
                        gradients));

                    string context = $"{parameterCount} parameters, {gradientCount} {(finite ? "finite" : "NaN")} gradients";
                    Assert.True(argument == e.ParamName, $"{context}: ParamName {e.ParamName}, expected {argument}");
                    Assert.Contains(Length.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
                    AssertUnchanged(before, optimizer, parameters, context);
                    Assert.True(longerBefore.AsSpan().SequenceEqual(longer), $"{context}: the longer parameter array was written");
                }
            }

            // Still usable, and from the same state.
            Assert.True(optimizer.Step(parameters, OptimizerTestData.Gradient<T>(6, Length)));
            Assert.Equal(4, optimizer.StepCount);
        }
    }

    private sealed class NullCheckpointArguments : ICheck
    {
        public void Run<T>(IOptimizer<T> optimizer)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] parameters = Prepare(optimizer);
            BitSnapshot before = BitSnapshot.Of(optimizer, parameters);

            Assert.Equal("destination", Assert.Throws<ArgumentNullException>(() => optimizer.SaveCheckpoint((Stream)null!)).ParamName);
            Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => optimizer.LoadCheckpoint((Stream)null!)).ParamName);
            Assert.Throws<ArgumentNullException>(() => optimizer.SaveCheckpoint((string)null!));
            Assert.Throws<ArgumentNullException>(() => optimizer.LoadCheckpoint((string)null!));
            Assert.ThrowsAny<ArgumentException>(() => optimizer.SaveCheckpoint(string.Empty));
            Assert.ThrowsAny<ArgumentException>(() => optimizer.LoadCheckpoint(string.Empty));
            AssertUnchanged(before, optimizer, parameters, "after the refused checkpoint calls");

            // The optimizer is not left marked as in use.
            Assert.True(optimizer.Step(parameters, OptimizerTestData.Gradient<T>(6, Length)));
        }
    }

    private sealed class InvalidBaseLearningRates : ICheck
    {
        public void Run<T>(IOptimizer<T> optimizer)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] parameters = Prepare(optimizer);
            BitSnapshot before = BitSnapshot.Of(optimizer, parameters);
            double[] invalid = [0, -0.0, -1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -double.Epsilon, double.MinValue];
            foreach (double rate in invalid)
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.BaseLearningRate = rate);
                AssertUnchanged(before, optimizer, parameters, $"after BaseLearningRate = {rate}");
            }

            // A valid value is accepted: the refusals were not of everything.
            optimizer.BaseLearningRate = double.Epsilon;
            Assert.Equal(double.Epsilon, optimizer.BaseLearningRate);
        }
    }

    private sealed class OtherInvalidValues : ICheck
    {
        public void Run<T>(IOptimizer<T> optimizer)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] parameters = Prepare(optimizer);
            optimizer.ThreadCount = 3;
            BitSnapshot before = BitSnapshot.Of(optimizer, parameters);
            foreach (int threads in new[] { 0, -1, int.MinValue })
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.ThreadCount = threads);
                Assert.Equal(3, optimizer.ThreadCount);
            }

            foreach (long steps in new[] { -1L, long.MinValue })
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.StepCount = steps);
            }

            int buffers = optimizer.StateBufferNames.Count;
            foreach (int index in new[] { -1, buffers, buffers + 1, int.MaxValue })
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.GetStateBuffer(index).Length);
            }

            AssertUnchanged(before, optimizer, parameters, "after the refused values");
        }
    }
}
