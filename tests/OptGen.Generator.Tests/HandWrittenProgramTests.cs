using System;
using System.Collections.Generic;
using System.Linq;
using OptGen.Generator.Emit;
using OptGen.Generator.Ir;

namespace OptGen.Generator.Tests;

/// <summary>
/// IR operations that no preset uses yet, in a program written by hand: the emitted kernels (every vector width, the
/// scalar tail, float and double) must equal the IR interpreter bit for bit, including on NaN, ±0 and ±∞.
/// </summary>
public sealed class HandWrittenProgramTests
{
    [Theory]
    [InlineData("float")]
    [InlineData("double")]
    public void Absolute_and_minimum_match_the_interpreter_bit_for_bit(string elementType)
    {
        // An Adamax-like peak tracker and a clipped step: peak ← max(|g|, peak·0.9), p ← p − lr·min(g, peak)/(|p| + 1).
        var rule = new RuleBuilder();
        Expr peak = rule.State("peak", "peak", "Largest recent |g|.");
        Expr negativeRate = rule.Scalar("negativeRate", -RuleBuilder.LearningRate);
        Expr g = rule.Let("g", Expr.Load(RuleProgram.GradientsStream));
        Expr p = rule.Let("p", Expr.Load(RuleProgram.ParametersStream));
        Expr newPeak = rule.Let("newPeak", Expr.Maximum(Expr.Absolute(g), peak * RuleBuilder.Constant("decay", 0.9)));
        rule.Store("peak", newPeak);
        rule.Store(RuleProgram.ParametersStream, rule.Let("p", p + (negativeRate * Expr.Minimum(g, newPeak) / (Expr.Absolute(p) + RuleBuilder.Constant("one", 1)))));
        RuleProgram program = rule.Build("Hand-written");

        // A stored value must be an element local; the program says so when it is built.
        Assert.Throws<ArgumentException>(() => new RuleBuilder().Store(RuleProgram.ParametersStream, Expr.Load(RuleProgram.GradientsStream)));

        GeneratorRun run = GeneratorHarness.RunClean($"[OptGen.Optimizer(OptGen.UpdateRule.Sgd, ElementType = typeof({elementType}))] public partial class Custom;");
        OptGen.Generator.GenerationModel model = run.Result.Results[0].TrackedSteps[TrackingNames.Lower]
            .SelectMany(step => step.Outputs).Select(output => (OptGen.Generator.GenerationModel)output.Value).Single();
        string source = Emitter.Emit(model.Spec, program);
        Assert.Contains("TLanes.Abs(", source, StringComparison.Ordinal);
        Assert.Contains("TLanes.Min(", source, StringComparison.Ordinal);
        Assert.Contains("|g|", source, StringComparison.Ordinal); // the readable rule in the docs

        using LoadedAssembly assembly = GeneratorHarness.EmitAndLoad(GeneratorHarness.CreateCompilation("public partial class Custom;", source));
        bool single = elementType == "float";
        double[] specials = [double.NaN, 0.0, -0.0, double.PositiveInfinity, double.NegativeInfinity, 1e-30, -3.5];
        foreach (int length in new[] { 1, 3, 7, 8, 15, 16, 17, 33, 64, 100, 1000 })
        {
            var random = new Random(length);
            double Value(int i) => i % 11 == 5 ? specials[random.Next(specials.Length)] : (random.NextDouble() * 4) - 2;
            double[] parameters = Enumerable.Range(0, length).Select(Value).ToArray();
            var streams = new Dictionary<string, double[]>(StringComparer.Ordinal)
            {
                [RuleProgram.ParametersStream] = single ? parameters.Select(x => (double)(float)x).ToArray() : (double[])parameters.Clone(),
                [RuleProgram.GradientsStream] = new double[length],
                ["peak"] = new double[length],
            };
            var optimizer = assembly.Create<IOptimizer>("Custom", length);
            optimizer.ThreadCount = 1;
            float[] floats = parameters.Select(x => (float)x).ToArray();
            double[] doubles = (double[])parameters.Clone();
            for (int step = 1; step <= 3; step++)
            {
                double[] gradients = Enumerable.Range(0, length).Select(Value).Select(x => single ? (float)x : x).ToArray();
                streams[RuleProgram.GradientsStream] = gradients;
                Interpreter.Step(program, step, optimizer.LearningRate, streams, single);
                if (single)
                {
                    ((IOptimizer<float>)optimizer).Step(floats, gradients.Select(x => (float)x).ToArray());
                }
                else
                {
                    ((IOptimizer<double>)optimizer).Step(doubles, gradients);
                }

                for (int i = 0; i < length; i++)
                {
                    double actual = single ? floats[i] : doubles[i];
                    double expected = streams[RuleProgram.ParametersStream][i];
                    Assert.True(
                        BitConverter.DoubleToInt64Bits(actual) == BitConverter.DoubleToInt64Bits(expected) || (double.IsNaN(actual) && double.IsNaN(expected)),
                        $"{elementType} length {length} step {step} element {i}: kernel {actual:R}, interpreter {expected:R}.");
                }
            }
        }
    }

    [Fact]
    public void A_program_that_breaks_a_kernel_rule_is_refused_when_built()
    {
        static InvalidOperationException Refused(Action<RuleBuilder> write)
        {
            var rule = new RuleBuilder();
            write(rule);
            return Assert.Throws<InvalidOperationException>(() => rule.Build("Broken"));
        }

        // A stream read after it was written: kernels hold the value before the step.
        Assert.Contains("read after it is written", Refused(rule =>
        {
            Expr m = rule.State("m", "m", "Moment.");
            rule.Store("m", rule.Let("next", m + RuleBuilder.Constant("one", 1)));
            rule.Store(RuleProgram.ParametersStream, rule.Let("p", Expr.Load("m")));
        }).Message, StringComparison.Ordinal);

        Assert.Contains("written twice", Refused(rule =>
        {
            Expr p = rule.Let("p", Expr.Load(RuleProgram.ParametersStream));
            rule.Store(RuleProgram.ParametersStream, p);
            rule.Store(RuleProgram.ParametersStream, p);
        }).Message, StringComparison.Ordinal);

        Assert.Contains("not a stream that can be written", Refused(rule => rule.Store(RuleProgram.GradientsStream, rule.Let("g", Expr.Load(RuleProgram.GradientsStream)))).Message, StringComparison.Ordinal);

        // One name, one meaning: an element local may not shadow a per-step scalar or an input.
        Assert.Contains("per-step scalar", Refused(rule =>
        {
            rule.Scalar("rate", RuleBuilder.LearningRate);
            rule.Let("rate", Expr.Load(RuleProgram.GradientsStream));
        }).Message, StringComparison.Ordinal);
        Assert.Contains("per-step scalar", Refused(rule => rule.Let(Expr.LearningRateInput, Expr.Load(RuleProgram.GradientsStream))).Message, StringComparison.Ordinal);

        Assert.Contains("at most 4", Refused(rule =>
        {
            for (int i = 0; i < 5; i++)
            {
                rule.State("s" + i, "s" + i, "State.");
            }
        }).Message, StringComparison.Ordinal);
    }
}
