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

        string source = Emit(program, elementType);
        Assert.Contains("TLanes.Abs(", source, StringComparison.Ordinal);
        Assert.Contains("TLanes.Min(", source, StringComparison.Ordinal);
        Assert.Contains("|g|", source, StringComparison.Ordinal); // the readable rule in the docs
        KernelsMatchTheInterpreter(program, source, elementType);
    }

    [Theory]
    [InlineData("float")]
    [InlineData("double")]
    public void Sign_clamp_comparisons_and_select_match_the_interpreter_bit_for_bit(string elementType)
    {
        // Lion's signed update and Rprop's per-element step sizes, with every comparison, in both domains.
        var rule = new RuleBuilder();
        Expr zero = RuleBuilder.Constant("zero", 0);
        Expr one = RuleBuilder.Constant("one", 1);
        Expr m = rule.State("m", "exp_avg", "Momentum.");
        Expr stepSize = rule.State("stepSize", "step_size", "Per-element step size.", 0.01);
        Expr previous = rule.State("previous", "prev", "Previous gradient.");
        Expr early = rule.Scalar("early", Expr.LessThanOrEqual(RuleBuilder.Step, RuleBuilder.Constant("two", 2)));
        Expr scale = rule.Scalar(
            "scale",
            Expr.Select(
                early,
                Expr.Clamp(RuleBuilder.Step * RuleBuilder.Constant("half", 0.5), RuleBuilder.Constant("low", 0.75), one),
                Expr.Sign(RuleBuilder.LearningRate - RuleBuilder.Constant("threshold", 0.5))));
        Expr limit = rule.Scalar("limit", Expr.Select(Expr.NotEqual(RuleBuilder.Step, one), RuleBuilder.Constant("wide", 100), RuleBuilder.Constant("narrow", 1.5)));
        Expr g = rule.Let("g", Expr.Load(RuleProgram.GradientsStream));
        Expr p = rule.Let("p", Expr.Load(RuleProgram.ParametersStream));
        g = rule.Let("g", Expr.Select(Expr.NotEqual(g, g), zero, g)); // a NaN gradient counts as 0
        Expr u = rule.Let("u", Expr.Sign(Expr.MultiplyAdd(m, RuleBuilder.Constant("beta1", 0.9), g * RuleBuilder.Constant("oneMinusBeta1", 0.1))));
        rule.Store("m", rule.Let("mNext", Expr.MultiplyAdd(m, RuleBuilder.Constant("beta2", 0.99), g * RuleBuilder.Constant("oneMinusBeta2", 0.01))));
        Expr product = rule.Let("product", g * previous);
        Expr factor = rule.Let(
            "factor",
            Expr.Select(Expr.GreaterThan(product, zero), RuleBuilder.Constant("etaPlus", 1.2), Expr.Select(Expr.LessThan(product, zero), RuleBuilder.Constant("etaMinus", 0.5), one)));
        Expr size = rule.Let("size", Expr.Clamp(stepSize * factor, RuleBuilder.Constant("minStep", 1e-6), RuleBuilder.Constant("maxStep", 0.05)));
        rule.Store("stepSize", size);
        rule.Store("previous", rule.Let("previousNext", Expr.Select(Expr.LessThanOrEqual(product, zero), zero, g)));
        Expr moved = rule.Let("moved", p - Expr.Select(Expr.GreaterThanOrEqual(size, RuleBuilder.Constant("large", 0.02)), u * size, u * scale));
        rule.Store(RuleProgram.ParametersStream, rule.Let("p", Expr.Clamp(Expr.Select(Expr.Equal(p, zero), p, moved), -limit, limit)));
        RuleProgram program = rule.Build("Hand-written signs");

        string source = Emit(program, elementType);
        foreach (string call in new[] { "Sign", "Clamp", "LessThan", "LessThanOrEqual", "GreaterThan", "GreaterThanOrEqual", "Equal", "NotEqual", "ConditionalSelect" })
        {
            Assert.Contains($"TLanes.{call}(", source, StringComparison.Ordinal);
        }

        Assert.Contains("bool early = t <= 2.0;", source, StringComparison.Ordinal);
        Assert.Contains("double scale = early ? global::OptGen.StepMath.Clamp(t * 0.5, 0.75, 1.0) : global::OptGen.StepMath.Sign(learningRate - 0.5);", source, StringComparison.Ordinal);
        Assert.Contains("scale = (early ? clamp(t·0.5, 0.75, 1) : sign(learningRate - 0.5))", source, StringComparison.Ordinal);
        KernelsMatchTheInterpreter(program, source, elementType);
    }

    [Theory]
    [InlineData("float")]
    [InlineData("double")]
    public void Persistent_scalars_advance_once_per_step_and_match_the_interpreter(string elementType)
    {
        // NAdam's product of momentum factors, and Schedule-Free's weight sum and running maximum of the rate.
        var rule = new RuleBuilder();
        Expr one = RuleBuilder.Constant("one", 1);
        Expr muProduct = rule.ScalarState("muProduct", "mu_product", "Product of the momentum factors so far.", 1);
        Expr weightSum = rule.ScalarState("weightSum", "weight_sum", "Sum of squared rates.", 0);
        Expr rateMax = rule.ScalarState("rateMax", "lr_max", "Largest rate so far.", -1);
        Expr beta = RuleBuilder.Constant("beta1", 0.9);
        Expr mu = rule.Scalar("mu", beta * (one - RuleBuilder.Constant("half", 0.5) * Expr.Power(RuleBuilder.Constant("decayBase", 0.96), RuleBuilder.Step * RuleBuilder.Constant("momentumDecay", 0.004))));
        // PyTorch keeps the product in a 0-d float32 tensor whatever the parameters' type.
        Expr newMuProduct = rule.Scalar("newMuProduct", Expr.RoundToSingle(muProduct * mu));
        rule.StoreScalarState("muProduct", newMuProduct);
        Expr rateSquared = rule.Scalar("rateSquared", RuleBuilder.LearningRate * RuleBuilder.LearningRate);
        Expr newWeightSum = rule.Scalar("newWeightSum", weightSum + rateSquared);
        rule.StoreScalarState("weightSum", newWeightSum);
        rule.StoreScalarState("rateMax", Expr.Maximum(rateMax, RuleBuilder.LearningRate * RuleBuilder.Step));
        Expr ratio = rule.Scalar("ratio", rateSquared / newWeightSum);
        Expr scale = rule.Scalar("scale", -(RuleBuilder.LearningRate * (one - mu)) / (one - newMuProduct));
        Expr g = rule.Let("g", Expr.Load(RuleProgram.GradientsStream));
        Expr p = rule.Let("p", Expr.Load(RuleProgram.ParametersStream));
        rule.Store(RuleProgram.ParametersStream, rule.Let("p", Expr.MultiplyAdd(g, scale, p) + ratio * rateMax));
        RuleProgram program = rule.Build("Hand-written persistent scalars");

        string source = Emit(program, elementType);
        Assert.Contains("scalarStateNames: [\"mu_product\", \"weight_sum\", \"lr_max\"], scalarStateInitialValues: [1.0, 0.0, -1.0]", source, StringComparison.Ordinal);
        Assert.Contains("public double MuProduct => _core.GetScalarState(0);", source, StringComparison.Ordinal);
        Assert.Contains("scalarState[2] = Math.Max(rateMax, learningRate * t);", source, StringComparison.Ordinal);
        Assert.Contains("muProduct ← newMuProduct", source, StringComparison.Ordinal);
        KernelsMatchTheInterpreter(program, source, elementType);

        // The generated optimizer saves, restores and resets them.
        using LoadedAssembly assembly = GeneratorHarness.EmitAndLoad(GeneratorHarness.CreateCompilation("public partial class Custom;", source));
        var saved = assembly.Create<IOptimizer>("Custom", 4);
        for (int step = 0; step < 3; step++)
        {
            StepZeros(saved);
        }

        var checkpoint = new System.IO.MemoryStream();
        saved.SaveCheckpoint(checkpoint);
        var loaded = assembly.Create<IOptimizer>("Custom", 4);
        checkpoint.Position = 0;
        loaded.LoadCheckpoint(checkpoint);
        Assert.Equal(Scalars(saved), Scalars(loaded));
        Assert.NotEqual([1.0, 0.0, -1.0], Scalars(loaded));
        loaded.Reset();
        Assert.Equal([1.0, 0.0, -1.0], Scalars(loaded));

        static double[] Scalars(IOptimizer optimizer) =>
            new[] { "MuProduct", "WeightSum", "RateMax" }.Select(name => (double)optimizer.GetType().GetProperty(name)!.GetValue(optimizer)!).ToArray();

        void StepZeros(IOptimizer optimizer)
        {
            if (elementType == "float")
            {
                ((IOptimizer<float>)optimizer).Step(new float[4], new float[4]);
            }
            else
            {
                ((IOptimizer<double>)optimizer).Step(new double[4], new double[4]);
            }
        }
    }

    [Theory]
    [InlineData("float")]
    [InlineData("double")]
    public void A_per_step_condition_chooses_the_body_once_per_step_and_matches_the_interpreter(string elementType)
    {
        // RAdam's shape: both bodies update the moments; the parameter update is the adaptive one only on steps where
        // ρₜ is above a threshold (2.5 here, so that the three steps of the comparison take both: ρ ≈ 1, 2, 3).
        var rule = new RuleBuilder();
        Expr one = RuleBuilder.Constant("one", 1);
        Expr beta1 = RuleBuilder.Constant("beta1", 0.9);
        Expr beta2 = RuleBuilder.Constant("beta2", 0.999);
        Expr rhoInfinity = RuleBuilder.Constant("rhoInfinity", (2 / (1 - 0.999)) - 1);
        Expr biasCorrection1 = rule.Scalar("biasCorrection1", one - Expr.Power(beta1, RuleBuilder.Step));
        Expr beta2Power = rule.Scalar("beta2Power", Expr.Power(beta2, RuleBuilder.Step));
        Expr biasCorrection2 = rule.Scalar("biasCorrection2", one - beta2Power);
        Expr rho = rule.Scalar("rho", rhoInfinity - (RuleBuilder.Constant("two", 2) * RuleBuilder.Step * beta2Power / biasCorrection2));
        Expr rectified = rule.Scalar("rectified", Expr.GreaterThan(rho, RuleBuilder.Constant("threshold", 2.5)));
        Expr rectification = rule.Scalar("rectification", Expr.SquareRoot(rho / rhoInfinity));
        Expr negativeStepSize = rule.Scalar("negativeStepSize", -(RuleBuilder.LearningRate / biasCorrection1));
        Expr adaptiveStepSize = rule.Scalar("adaptiveStepSize", negativeStepSize * rectification);
        Expr inverseCorrection2 = rule.Scalar("inverseCorrection2", one / biasCorrection2);
        Expr g = rule.Let("g", Expr.Load(RuleProgram.GradientsStream));
        Expr p = rule.Let("p", Expr.Load(RuleProgram.ParametersStream));
        Expr m = rule.Let("m", Expr.MultiplyAdd(g, RuleBuilder.Constant("oneMinusBeta1", 0.1), rule.State("expAvg", "exp_avg", "First moment.") * beta1));
        rule.Store("expAvg", m);
        Expr v = rule.Let("v", Expr.MultiplyAdd(RuleBuilder.Constant("oneMinusBeta2", 1 - 0.999) * g, g, rule.State("expAvgSq", "exp_avg_sq", "Second moment.") * beta2));
        rule.Store("expAvgSq", v);
        rule.If(
            rectified,
            () => rule.Let("p", Expr.MultiplyAdd(adaptiveStepSize * m, one / (Expr.SquareRoot(v * inverseCorrection2) + RuleBuilder.Constant("epsilon", 1e-8)), p)),
            () => rule.Let("p", Expr.MultiplyAdd(m, negativeStepSize, p)));
        rule.Store(RuleProgram.ParametersStream, p);
        RuleProgram program = rule.Build("Hand-written rectification");
        Assert.Equal(2, program.Variants().Count);
        Assert.Equal(
            [0.0, 0.0, 1.0],
            new[] { 1, 2, 3 }.Select(step => Interpreter.EvaluateScalars(program, step, 0.001, null, out _)["rectified"]));

        string source = Emit(program, elementType);
        Assert.Contains("bool rectified = rho > 2.5;", source, StringComparison.Ordinal);
        Assert.Contains("if (rectified)", source, StringComparison.Ordinal);
        Assert.Contains("file readonly struct CustomUpdate(", source, StringComparison.Ordinal);
        Assert.Contains("file readonly struct CustomUpdate1(", source, StringComparison.Ordinal);
        Assert.Contains("on steps where rectified:", source, StringComparison.Ordinal);
        Assert.DoesNotContain("ConditionalSelect", source, StringComparison.Ordinal);
        KernelsMatchTheInterpreter(program, source, elementType);
    }

    [Fact]
    public void Branches_are_checked_per_body()
    {
        static InvalidOperationException Refused(Action<RuleBuilder> write)
        {
            var rule = new RuleBuilder();
            write(rule);
            return Assert.Throws<InvalidOperationException>(() => rule.Build("Broken"));
        }

        Expr gradient = Expr.Load(RuleProgram.GradientsStream);
        Expr late = Expr.GreaterThan(RuleBuilder.Step, RuleBuilder.Constant("one", 1));

        // The condition is a per-step comparison: a number, or one that reads an element, is refused.
        Assert.Contains("must be a per-step comparison", Refused(rule => rule.If(RuleBuilder.Step, () => rule.Let("x", gradient), () => rule.Let("x", gradient))).Message, StringComparison.Ordinal);
        Assert.Contains("stream 'gradients' is read", Refused(rule => rule.If(Expr.LessThan(gradient, RuleBuilder.Step), () => rule.Let("x", gradient), () => rule.Let("x", gradient))).Message, StringComparison.Ordinal);

        // A local used after the branch must be defined on both arms; a stream written on an arm and after it is written twice.
        Assert.Contains("'x' is not defined", Refused(rule =>
        {
            rule.If(late, () => rule.Let("x", gradient), () => { });
            rule.Store(RuleProgram.ParametersStream, rule.Let("p", Expr.Local("x")));
        }).Message, StringComparison.Ordinal);
        Assert.Contains("written twice", Refused(rule =>
        {
            Expr p = rule.Let("p", gradient);
            rule.If(late, () => rule.Store(RuleProgram.ParametersStream, p), () => { });
            rule.Store(RuleProgram.ParametersStream, p);
        }).Message, StringComparison.Ordinal);

        // Each combination is an update and a set of loops: at most 4.
        Assert.Contains("at most 4", Refused(rule =>
        {
            for (int i = 0; i < 3; i++)
            {
                rule.If(late, () => rule.Let("x", gradient), () => rule.Let("x", -gradient));
            }
        }).Message, StringComparison.Ordinal);
    }

    /// <summary>The program emitted as the optimizer <c>Custom</c> over <paramref name="elementType"/>.</summary>
    private static string Emit(RuleProgram program, string elementType)
    {
        GeneratorRun run = GeneratorHarness.RunClean($"[OptGen.Optimizer(OptGen.UpdateRule.Sgd, ElementType = typeof({elementType}))] public partial class Custom;");
        OptGen.Generator.GenerationModel model = run.Models.Single();
        return Emitter.Emit(model.Spec, program);
    }

    /// <summary>
    /// Compiles <paramref name="source"/> and steps it three times at many lengths (every vector width and the scalar
    /// tail), with NaN, ±0, ±∞ and a subnormal among the values; every stream must equal the interpreter's bit for bit.
    /// </summary>
    private static void KernelsMatchTheInterpreter(RuleProgram program, string source, string elementType)
    {
        using LoadedAssembly assembly = GeneratorHarness.EmitAndLoad(GeneratorHarness.CreateCompilation("public partial class Custom;", source));
        bool single = elementType == "float";
        double[] specials = [double.NaN, 0.0, -0.0, double.PositiveInfinity, double.NegativeInfinity, 1e-30, -3.5, 1e-40];
        StreamDecl[] states = program.States().ToArray();
        foreach (int length in new[] { 1, 3, 7, 8, 15, 16, 17, 33, 64, 100, 1000 })
        {
            var random = new Random(length);
            double Value(int i) => i % 11 == 5 ? specials[random.Next(specials.Length)] : (random.NextDouble() * 4) - 2;
            double Round(double x) => single ? (float)x : x;
            double[] parameters = Enumerable.Range(0, length).Select(Value).Select(Round).ToArray();
            var streams = new Dictionary<string, double[]>(StringComparer.Ordinal)
            {
                [RuleProgram.ParametersStream] = (double[])parameters.Clone(),
                [RuleProgram.GradientsStream] = new double[length],
            };
            foreach (StreamDecl state in states)
            {
                streams[state.Name] = Enumerable.Repeat(Round(state.InitialValue), length).ToArray();
            }

            var scalarState = program.ScalarStates.ToDictionary(state => state.Name, state => state.InitialValue, StringComparer.Ordinal);
            var optimizer = assembly.Create<IOptimizer>("Custom", length);
            optimizer.ThreadCount = 1;
            float[] floats = parameters.Select(x => (float)x).ToArray();
            double[] doubles = (double[])parameters.Clone();
            for (int step = 1; step <= 3; step++)
            {
                double[] gradients = Enumerable.Range(0, length).Select(Value).Select(Round).ToArray();
                streams[RuleProgram.GradientsStream] = gradients;
                Interpreter.Step(program, step, optimizer.LearningRate, streams, single, scalarState);
                if (single)
                {
                    ((IOptimizer<float>)optimizer).Step(floats, gradients.Select(x => (float)x).ToArray());
                }
                else
                {
                    ((IOptimizer<double>)optimizer).Step(doubles, gradients);
                }

                Compare(RuleProgram.ParametersStream, single ? floats.Select(x => (double)x).ToArray() : doubles);
                foreach (ScalarStateDecl state in program.ScalarStates)
                {
                    // Once per step: the optimizer's value equals the interpreter's after as many steps.
                    double actual = (double)optimizer.GetType().GetProperty(Emitter.Pascal(state.Name))!.GetValue(optimizer)!;
                    Assert.Equal(BitConverter.DoubleToInt64Bits(scalarState[state.Name]), BitConverter.DoubleToInt64Bits(actual));
                }

                for (int s = 0; s < states.Length; s++)
                {
                    Compare(states[s].Name, single
                        ? ((IOptimizer<float>)optimizer).GetStateBuffer(s).ToArray().Select(x => (double)x).ToArray()
                        : ((IOptimizer<double>)optimizer).GetStateBuffer(s).ToArray());
                }

                void Compare(string stream, double[] actual)
                {
                    for (int i = 0; i < length; i++)
                    {
                        double expected = streams[stream][i];
                        Assert.True(
                            BitConverter.DoubleToInt64Bits(actual[i]) == BitConverter.DoubleToInt64Bits(expected) || (double.IsNaN(actual[i]) && double.IsNaN(expected)),
                            $"{elementType} length {length} step {step} {stream}[{i}]: kernel {actual[i]:R}, interpreter {expected:R}.");
                    }
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

        // Domains: a per-step scalar is computed once per step, so it reads no stream and no element local.
        Expr gradient = Expr.Load(RuleProgram.GradientsStream);
        Expr parameter = Expr.Load(RuleProgram.ParametersStream);
        Assert.Contains("stream 'gradients' is read", Refused(rule => rule.Scalar("x", gradient * RuleBuilder.LearningRate)).Message, StringComparison.Ordinal);
        Assert.Contains("element local 'g' is read", Refused(rule =>
        {
            rule.Scalar("x", Expr.Local("g"));
            rule.Let("g", gradient);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("'nowhere' is not defined", Refused(rule => rule.Let("x", Expr.Local("nowhere"))).Message, StringComparison.Ordinal);
        Assert.Contains("'later' is not defined", Refused(rule =>
        {
            rule.Scalar("x", Expr.Local("later"));
            rule.Scalar("later", RuleBuilder.LearningRate);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("'rate' is not an input", Refused(rule => rule.Scalar("x", Expr.Input("rate"))).Message, StringComparison.Ordinal);

        // Lanes have no power: it belongs in a per-step scalar.
        Assert.Contains("Power is a per-step operation", Refused(rule => rule.Let("x", Expr.Power(parameter, RuleBuilder.Step))).Message, StringComparison.Ordinal);
        Assert.Contains("RoundToSingle is a per-step operation", Refused(rule => rule.Let("x", Expr.RoundToSingle(parameter))).Message, StringComparison.Ordinal);

        // Conditions: a per-step condition cannot reach the body (lanes hold numbers), a Select's condition is a
        // comparison and its operands are numbers, and a condition is no number.
        Assert.Contains("per-step condition 'late'", Refused(rule =>
        {
            Expr late = rule.Scalar("late", Expr.GreaterThan(RuleBuilder.Step, RuleBuilder.Constant("one", 1)));
            rule.Let("x", Expr.Select(late, parameter, gradient));
        }).Message, StringComparison.Ordinal);
        Assert.Contains("must be a comparison", Refused(rule => rule.Let("x", Expr.Select(parameter, parameter, gradient))).Message, StringComparison.Ordinal);
        Assert.Contains("must be a comparison", Refused(rule => rule.Scalar("x", Expr.Select(RuleBuilder.Step, RuleBuilder.Step, RuleBuilder.LearningRate))).Message, StringComparison.Ordinal);
        Assert.Contains("chooses between numbers", Refused(rule =>
        {
            Expr less = Expr.LessThan(parameter, gradient);
            rule.Let("x", Expr.Select(less, less, parameter));
        }).Message, StringComparison.Ordinal);
        Assert.Contains("conditions only choose", Refused(rule => rule.Let("x", Expr.LessThan(parameter, gradient) + parameter)).Message, StringComparison.Ordinal);
        Assert.Contains("conditions only choose", Refused(rule =>
        {
            Expr late = rule.Scalar("late", Expr.GreaterThan(RuleBuilder.Step, RuleBuilder.Constant("one", 1)));
            rule.Scalar("x", Expr.Sign(late));
        }).Message, StringComparison.Ordinal);
        Assert.Contains("is a condition", Refused(rule => rule.Store(RuleProgram.ParametersStream, rule.Let("x", Expr.LessThan(parameter, gradient)))).Message, StringComparison.Ordinal);

        // Names: streams, per-step scalars, inputs and element locals are distinct.
        Assert.Contains("name of a stream", Refused(rule =>
        {
            rule.State("m", "m", "Moment.");
            rule.Scalar("m", RuleBuilder.LearningRate);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("name of a stream", Refused(rule =>
        {
            rule.State("m", "m", "Moment.");
            rule.Let("m", gradient);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("name of an input", Refused(rule => rule.Scalar(Expr.StepInput, RuleBuilder.LearningRate)).Message, StringComparison.Ordinal);
        Assert.Contains("name of an input", Refused(rule => rule.State(Expr.LearningRateInput, "lr", "State.")).Message, StringComparison.Ordinal);
        Assert.Contains("defined twice", Refused(rule =>
        {
            rule.Scalar("rate", RuleBuilder.LearningRate);
            rule.Scalar("rate", RuleBuilder.LearningRate);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("declared twice", Refused(rule =>
        {
            rule.State("m", "m", "Moment.");
            rule.State("m", "m2", "Moment.");
        }).Message, StringComparison.Ordinal);

        // Persistent per-step scalars: distinct names, stored once, only they can be stored to among the scalars.
        Assert.Contains("name of a stream", Refused(rule =>
        {
            rule.State("m", "m", "Moment.");
            rule.ScalarState("m", "m_scalar", "Product.", 1);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("name of an input", Refused(rule => rule.ScalarState(Expr.StepInput, "t", "Step.", 0)).Message, StringComparison.Ordinal);
        Assert.Contains("declared twice", Refused(rule =>
        {
            rule.ScalarState("product", "product", "Product.", 1);
            rule.ScalarState("product", "product2", "Product.", 1);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("checkpoint name 'product'", Refused(rule =>
        {
            rule.ScalarState("product", "product", "Product.", 1);
            rule.ScalarState("sum", "product", "Sum.", 0);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("defined twice", Refused(rule =>
        {
            rule.ScalarState("product", "product", "Product.", 1);
            rule.Scalar("product", RuleBuilder.LearningRate);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("name of a per-step scalar", Refused(rule =>
        {
            rule.ScalarState("product", "product", "Product.", 1);
            rule.Let("product", gradient);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("not a persistent per-step scalar", Refused(rule =>
        {
            rule.Scalar("rate", RuleBuilder.LearningRate);
            rule.StoreScalarState("rate", RuleBuilder.Step);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("written twice", Refused(rule =>
        {
            Expr product = rule.ScalarState("product", "product", "Product.", 1);
            rule.StoreScalarState("product", product * RuleBuilder.LearningRate);
            rule.StoreScalarState("product", product);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("stream 'gradients' is read", Refused(rule =>
        {
            rule.ScalarState("product", "product", "Product.", 1);
            rule.StoreScalarState("product", gradient);
        }).Message, StringComparison.Ordinal);
        Assert.Contains("is a condition", Refused(rule =>
        {
            Expr product = rule.ScalarState("product", "product", "Product.", 1);
            rule.StoreScalarState("product", Expr.LessThan(product, RuleBuilder.Step));
        }).Message, StringComparison.Ordinal);

        Assert.Contains("at most 4", Refused(rule =>
        {
            for (int i = 0; i < 5; i++)
            {
                rule.State("s" + i, "s" + i, "State.");
            }
        }).Message, StringComparison.Ordinal);
    }
}
