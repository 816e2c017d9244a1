using System;
using System.Linq;
using System.Reflection;
using Xunit;

namespace OptGen.Generator.Tests;

/// <summary>
/// Rules written as <c>[ElementRule]</c> methods: the generated step must equal the user's own method, called by
/// reflection on the compiled assembly element by element, to the last bit, on every length (the SIMD widths and their
/// tails; the forced-path CI runs cover every path).
/// </summary>
public sealed class ElementRuleTests
{
    private const string Lion = """
        using OptGen;

        [Optimizer(LearningRate = 3e-3)]
        public partial class MyLion
        {
            const float Beta1 = 0.9f, Beta2 = 0.99f;

            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)
            {
                float c = expAvg * Beta1 + gradient * (1 - Beta1);
                float sign = c > 0 ? 1f : c < 0 ? -1f : 0f;
                parameter -= (float)step.LearningRate * sign;
                expAvg = expAvg * Beta2 + gradient * (1 - Beta2);
            }
        }
        """;

    // torch.optim.Adamax's order of operations, in double: per-step bias correction with Math.Pow.
    private const string Adamax = """
        using System;
        using OptGen;

        [Optimizer(LearningRate = 2e-3)]
        public partial class MyAdamax
        {
            const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

            [ElementRule]
            private static void Rule(ref double parameter, double gradient, ref double expAvg, ref double expInf, StepContext step)
            {
                expAvg = Math.FusedMultiplyAdd(gradient, 1 - Beta1, expAvg * Beta1);
                expInf = Math.Max(expInf * Beta2, Math.Abs(gradient) + Epsilon);
                double stepSize = step.LearningRate / (1 - Math.Pow(Beta1, step.Number));
                parameter += -stepSize * expAvg / expInf;
            }
        }
        """;

    // Per-step conditions, float per-step arithmetic (rounded as C# rounds it), conditions combined with && and ||, Min/Max/Clamp/Sqrt.
    private const string Mixed = """
        using System;
        using OptGen;

        [Optimizer(LearningRate = 0.01)]
        public partial class Mixed
        {
            const float Decay = 0.95f;

            [ElementRule]
            static void Update(ref float parameter, float gradient, [InitialValue(0.5)] ref float scale, StepContext step)
            {
                float warm = step.Number < 3 ? 0.1f : 1f;
                float rate = (float)step.LearningRate * warm / MathF.Sqrt(step.Number);
                bool small = MathF.Abs(gradient) < 0.25f && !(parameter > 1.5f) || gradient == 0;
                float g = small ? gradient * 2 : Math.Clamp(gradient, -1f, 1f);
                scale = MathF.Max(scale * Decay, MathF.Min(MathF.Abs(g), 4f));
                float denominator = MathF.Sqrt(scale) + 1e-6f;
                parameter = MathF.FusedMultiplyAdd(-rate, g / denominator, parameter);
            }
        }
        """;

    // RAdam's shape: a per-step condition chooses the element body once per step (ρₜ ≈ 1, 2, 3, 4 on steps 1–4, so both
    // arms run), then an element condition with only assignments becomes a select.
    private const string Rectified = """
        using System;
        using OptGen;

        [Optimizer]
        public partial class Rectified
        {
            const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
            const double RhoInfinity = 2 / (1 - Beta2) - 1;

            [ElementRule]
            static void Update(ref double parameter, double gradient, ref double expAvg, ref double expAvgSq, StepContext step)
            {
                expAvg = expAvg * Beta1 + gradient * (1 - Beta1);
                expAvgSq = expAvgSq * Beta2 + (1 - Beta2) * gradient * gradient;
                double bias1 = 1 - Math.Pow(Beta1, step.Number);
                double beta2t = Math.Pow(Beta2, step.Number);
                double rho = RhoInfinity - 2 * step.Number * beta2t / (1 - beta2t);
                double update;
                if (rho > 2.5)
                {
                    double r = Math.Sqrt(rho / RhoInfinity);
                    update = expAvg / bias1 * r / (Math.Sqrt(expAvgSq / (1 - beta2t)) + Epsilon);
                }
                else
                {
                    update = expAvg / bias1;
                }

                if (update > 0.5 || update < -0.5)
                {
                    update *= 0.5;
                }

                parameter -= step.LearningRate * update;
            }
        }
        """;

    // Branches in float: a per-step if that changes a float (an element local in both arms) and a double (a per-step
    // select), an element if/else that changes a bool and a state.
    private const string Branches = """
        using System;
        using OptGen;

        [Optimizer(LearningRate = 0.05)]
        public partial class Branches
        {
            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float velocity, StepContext step)
            {
                float rate = (float)step.LearningRate;
                double scale = 1;
                if (step.Number <= 2 && step.Number != 0)
                {
                    rate *= 0.5f;
                    scale = 0.25;
                }

                bool clipped = false;
                if (gradient > 0.75f)
                {
                    velocity = velocity * 0.5f + 0.75f;
                    clipped = true;
                }
                else
                {
                    velocity = velocity * 0.5f + gradient;
                }

                parameter -= (clipped ? rate * 0.5f : rate) * velocity * (float)scale;
            }
        }
        """;

    // OptGen's torch.sign helper, on an element value and on a per-step one.
    private const string Signs = """
        using OptGen;

        [Optimizer(LearningRate = 0.01)]
        public partial class Signs
        {
            [ElementRule]
            static void Update(ref double parameter, double gradient, ref double m, StepContext step)
            {
                m = m * 0.5 + gradient;
                double direction = RuleMath.Sign(m) * RuleMath.Sign(step.LearningRate - 0.005) + RuleMath.Sign(-0.0);
                parameter -= step.LearningRate * direction;
            }
        }
        """;

    // Per-step double arithmetic (with Pow, Exp and Log) in a float rule, cast once to float; an expression-bodied rule without a StepContext.
    private const string PerStepDouble = """
        using System;
        using OptGen;

        [Optimizer(LearningRate = 0.01)]
        public partial class PerStepDouble
        {
            [ElementRule]
            internal static void Update(ref float parameter, float gradient, ref float m, StepContext step)
            {
                double bias = (1 - Math.Pow(0.9, step.Number)) * Math.Exp(-Math.Log(step.Number + 1.0) * 0.25);
                int half = 2;
                m = m * 0.9f + gradient / half;
                parameter -= (float)(step.LearningRate / bias) * m;
            }
        }
        """;

    private const string ExpressionBodied = """
        using OptGen;

        [Optimizer(LearningRate = 0.01)]
        public partial class ExpressionBodied
        {
            [ElementRule]
            public static void Update(ref float parameter, float gradient) => parameter -= 0.125f * gradient;
        }
        """;

    // New values that are other streams' old elements: swapped states, the parameter set to a state's old value.
    private const string Swaps = """
        using OptGen;

        [Optimizer(LearningRate = 0.01)]
        public partial class Swaps
        {
            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float first, [InitialValue(1)] ref float second)
            {
                float old = first;
                first = second;
                second = old + gradient;
                parameter = old;
            }
        }
        """;

    // torch.lerp through RuleMath.Lerp: a constant weight, a per-step weight on both sides of 0.5, and an element weight
    // (the gradient), whose two arms are both computed and selected per element.
    private const string Lerped = """
        using System;
        using OptGen;

        [Optimizer(LearningRate = 0.01)]
        public partial class Lerped
        {
            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float expAvg, ref float slow, StepContext step)
            {
                expAvg = RuleMath.Lerp(expAvg, gradient, 0.1f);
                float weight = (float)(1 / (1 + (step.Number * 0.5)));
                slow = RuleMath.Lerp(slow, expAvg, weight);
                float mix = RuleMath.Lerp(expAvg, slow, gradient);
                parameter -= (float)step.LearningRate * mix;
            }
        }
        """;

    // Per-step state: NAdam's μ-product kept in float by a [BeforeStep] method and read by the element rule, next to a
    // double running sum with an initial value and a per-step branch.
    private const string Accumulated = """
        using System;
        using OptGen;

        [Optimizer(LearningRate = 0.01)]
        public partial class Accumulated
        {
            const double Beta1 = 0.9, Decay = 4e-3;

            [BeforeStep]
            static void Advance([InitialValue(1)] ref float muProduct, [InitialValue(0.25)] ref double total, StepContext step)
            {
                muProduct *= (float)(Beta1 * (1 - (0.5 * Math.Pow(0.96, step.Number * Decay))));
                if (step.Number > 2)
                {
                    total += step.LearningRate * step.Number;
                }
                else
                {
                    total *= 0.5;
                }
            }

            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float expAvg, float muProduct, double total, StepContext step)
            {
                expAvg = MathF.FusedMultiplyAdd(gradient, 0.1f, expAvg * 0.9f);
                float scale = (float)((1.0 - muProduct) / (1 + total));
                parameter -= scale * expAvg;
            }
        }
        """;

    public static TheoryData<string, string, string> Rules => new()
    {
        { Lerped, "Lerped", "Update" },
        { Accumulated, "Accumulated", "Update" },
        { Swaps, "Swaps", "Update" },
        { PerStepDouble, "PerStepDouble", "Update" },
        { ExpressionBodied, "ExpressionBodied", "Update" },
        { Signs, "Signs", "Update" },
        { Lion, "MyLion", "Update" },
        { Adamax, "MyAdamax", "Rule" },
        { Mixed, "Mixed", "Update" },
        { Rectified, "Rectified", "Update" },
        { Branches, "Branches", "Update" },
    };

    private static readonly int[] Lengths = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 1001];

    [Theory]
    [MemberData(nameof(Rules))]
    public void Generated_step_equals_the_method_element_by_element_bit_for_bit(string source, string className, string methodName) =>
        StepsEqualTheMethod(source, className, methodName, maximize: false, weightDecay: 0);

    /// <summary>
    /// Maximize negates the gradient the method receives; decoupled weight decay multiplies the parameter by
    /// (1 − lr·λ), rounded to the element type, before the method; the schedule sets step.LearningRate.
    /// </summary>
    [Fact]
    public void Maximize_decoupled_weight_decay_and_a_schedule_apply_around_the_method()
    {
        string source = Lion.Replace("[Optimizer(LearningRate = 3e-3)]", "[Optimizer(LearningRate = 3e-3, Maximize = true)]\n[WeightDecay(0.1)]\n[CosineDecay(TotalSteps = 3)]", StringComparison.Ordinal);
        StepsEqualTheMethod(source, "MyLion", "Update", maximize: true, weightDecay: 0.1);
    }

    [Fact]
    public void Coupled_weight_decay_is_rejected_for_an_element_rule()
    {
        GeneratorRun run = GeneratorHarness.Run(Lion.Replace("[Optimizer(LearningRate = 3e-3)]", "[Optimizer(LearningRate = 3e-3)]\n[WeightDecay(0.1, Decoupled = false)]", StringComparison.Ordinal));
        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == "OPTG016");
        Assert.Empty(run.GeneratedSources);
    }

    /// <summary>
    /// Lion written as a rule in the preset's order of operations (fused multiply-adds, constants as the preset rounds
    /// them) is the same program: the two optimizers step bit for bit alike, weight decay, Maximize and a schedule included.
    /// </summary>
    [Fact]
    public void Lion_written_as_a_rule_steps_exactly_as_the_preset()
    {
        const string source = """
            using System;
            using OptGen;

            [Optimizer(UpdateRule.Lion, LearningRate = 3e-3, Maximize = true)]
            [WeightDecay(0.1)]
            [CosineDecay(TotalSteps = 5)]
            public partial class PresetLion;

            [Optimizer(LearningRate = 3e-3, Maximize = true)]
            [WeightDecay(0.1)]
            [CosineDecay(TotalSteps = 5)]
            public partial class RuleLion
            {
                // The preset's constants are 1 − β computed in double, then rounded to float.
                const float Beta1 = 0.9f, OneMinusBeta1 = (float)(1 - 0.9), Beta2 = 0.99f, OneMinusBeta2 = (float)(1 - 0.99);

                [ElementRule]
                static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)
                {
                    float direction = RuleMath.Sign(MathF.FusedMultiplyAdd(gradient, OneMinusBeta1, expAvg * Beta1));
                    expAvg = MathF.FusedMultiplyAdd(gradient, OneMinusBeta2, expAvg * Beta2);
                    parameter = MathF.FusedMultiplyAdd(direction, (float)-step.LearningRate, parameter);
                }
            }
            """;
        GeneratorRun run = GeneratorHarness.RunClean(source);
        using LoadedAssembly assembly = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
        foreach (int length in Lengths)
        {
            var preset = assembly.Create<IOptimizer<float>>("PresetLion", length);
            var rule = assembly.Create<IOptimizer<float>>("RuleLion", length);
            var random = new Random(length);
            float[] presetParameters = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
            float[] ruleParameters = presetParameters.ToArray();
            for (int step = 0; step < 6; step++)
            {
                float[] gradients = Enumerable.Range(0, length).Select(i => i % 5 == 0 ? 0f : (float)((random.NextDouble() * 2) - 1)).ToArray();
                preset.Step(presetParameters, gradients);
                rule.Step(ruleParameters, gradients);
                Assert.Equal(presetParameters.Select(BitConverter.SingleToInt32Bits), ruleParameters.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(preset.GetStateBuffer(0).ToArray().Select(BitConverter.SingleToInt32Bits), rule.GetStateBuffer(0).ToArray().Select(BitConverter.SingleToInt32Bits));
            }
        }
    }

    /// <summary>
    /// Exp and Log on element values: one element at a time (the scalar path) they are MathF's and Math's, so the step
    /// equals the method; vectors use .NET's vector Exp and Log (float through double), within 1 ulp for float and 3 for
    /// double of each call (Exp 2, Log 3). In these rules a call's result is the stored value or multiplies the parameter
    /// once; a factor's error counts up to twice in the product's ulps when the two lie in different halves of their
    /// binades, so the bound per element per step is 2 ulps for float and 4 for double.
    /// </summary>
    [Theory]
    [InlineData("float", "MathF", 2)]
    [InlineData("double", "Math", 4)]
    public void Exp_and_Log_on_elements_stay_within_their_bound_of_the_method(string type, string math, long vectorBound)
    {
        string source = $$"""
            using System;
            using OptGen;

            [Optimizer(LearningRate = 0.05)]
            public partial class Exponentiated
            {
                [ElementRule]
                static void Update(ref {{type}} parameter, {{type}} gradient, ref {{type}} logScale, StepContext step)
                {
                    logScale = {{math}}.Log({{math}}.Abs(gradient) + 2);
                    parameter *= {{math}}.Exp(-({{type}})step.LearningRate * gradient);
                }
            }
            """;
        long bound = Environment.GetEnvironmentVariable("OPTGEN_EXPECTED_KERNEL_PATH") == "Scalar" ? 0 : vectorBound;
        StepsEqualTheMethod(source, "Exponentiated", "Update", maximize: false, weightDecay: 0, maxUlps: bound);
    }

    /// <summary>
    /// NAdam written as a rule — its μ-product a float per-step state of a [BeforeStep] method, the rest in the
    /// preset's order of operations — steps bit for bit as the preset, and saves, restores and resets its μ-product.
    /// </summary>
    [Fact]
    public void NAdam_written_with_a_BeforeStep_method_steps_exactly_as_the_preset()
    {
        const string source = """
            using System;
            using OptGen;

            [Optimizer(UpdateRule.NAdam, LearningRate = 2e-3)]
            public partial class PresetNAdam;

            [Optimizer(LearningRate = 2e-3)]
            public partial class RuleNAdam
            {
                const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, MomentumDecay = 4e-3;

                [BeforeStep]
                static void Advance([InitialValue(1)] ref float muProduct, StepContext step)
                {
                    muProduct *= (float)(Beta1 * (1 - (0.5 * Math.Pow(0.96, step.Number * MomentumDecay))));
                }

                [ElementRule]
                static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, float muProduct, StepContext step)
                {
                    double mu = Beta1 * (1 - (0.5 * Math.Pow(0.96, step.Number * MomentumDecay)));
                    double muNext = Beta1 * (1 - (0.5 * Math.Pow(0.96, (step.Number + 1) * MomentumDecay)));
                    double biasCorrection2 = 1 - Math.Pow(Beta2, step.Number);
                    double muProductNext = muProduct * muNext;
                    double gradientStepSize = -step.LearningRate * (1 - mu) / (1.0 - muProduct);
                    double momentumStepSize = -step.LearningRate * muNext / (1 - muProductNext);
                    expAvg = MathF.FusedMultiplyAdd(gradient, (float)(1 - Beta1), expAvg * (float)Beta1);
                    expAvgSq = MathF.FusedMultiplyAdd((float)(1 - Beta2) * gradient, gradient, expAvgSq * (float)Beta2);
                    float denominator = MathF.Sqrt(expAvgSq / (float)biasCorrection2) + (float)Epsilon;
                    parameter += (float)gradientStepSize * gradient / denominator;
                    parameter += (float)momentumStepSize * expAvg / denominator;
                }
            }
            """;
        GeneratorRun run = GeneratorHarness.RunClean(source);
        using LoadedAssembly assembly = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
        foreach (int length in new[] { 1, 17, 1001 })
        {
            var preset = assembly.Create<IOptimizer<float>>("PresetNAdam", length);
            var rule = assembly.Create<IOptimizer<float>>("RuleNAdam", length);
            var random = new Random(length);
            float[] presetParameters = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
            float[] ruleParameters = presetParameters.ToArray();
            byte[]? checkpoint = null;
            float[] atCheckpoint = [];
            for (int step = 0; step < 12; step++)
            {
                float[] gradients = Enumerable.Range(0, length).Select(i => i % 5 == 0 ? 0f : (float)((random.NextDouble() * 2) - 1)).ToArray();
                if (step == 6)
                {
                    using var stream = new System.IO.MemoryStream();
                    rule.SaveCheckpoint(stream);
                    checkpoint = stream.ToArray();
                    atCheckpoint = ruleParameters.ToArray();
                }

                preset.Step(presetParameters, gradients);
                rule.Step(ruleParameters, gradients);
                Assert.Equal(presetParameters.Select(BitConverter.SingleToInt32Bits), ruleParameters.Select(BitConverter.SingleToInt32Bits));
            }

            // Restored at step 6, the rule reaches the same parameters again only if its μ-product was restored.
            float[] endOfRun = ruleParameters;
            var restored = assembly.Create<IOptimizer<float>>("RuleNAdam", length);
            restored.LoadCheckpoint(new System.IO.MemoryStream(checkpoint!));
            Assert.Equal(6, restored.StepCount);
            random = new Random(length);
            _ = Enumerable.Range(0, length).Select(_ => random.NextDouble()).ToArray();
            float[] replay = atCheckpoint.ToArray();
            for (int step = 0; step < 12; step++)
            {
                float[] gradients = Enumerable.Range(0, length).Select(i => i % 5 == 0 ? 0f : (float)((random.NextDouble() * 2) - 1)).ToArray();
                if (step >= 6)
                {
                    restored.Step(replay, gradients);
                }
            }

            Assert.Equal(endOfRun.Select(BitConverter.SingleToInt32Bits), replay.Select(BitConverter.SingleToInt32Bits));

            // Reset restores the initial μ-product: the first step after it is a first step again.
            restored.Reset();
            float[] fresh = atCheckpoint.ToArray();
            float[] afterReset = atCheckpoint.ToArray();
            float[] once = Enumerable.Range(0, length).Select(i => (float)Math.Sin(i)).ToArray();
            assembly.Create<IOptimizer<float>>("RuleNAdam", length).Step(fresh, once);
            restored.Step(afterReset, once);
            Assert.Equal(fresh.Select(BitConverter.SingleToInt32Bits), afterReset.Select(BitConverter.SingleToInt32Bits));
        }
    }

    /// <summary>
    /// LAMB written as a two-pass rule — a [TensorNorm] state, a branch on step.Pass, the trust ratio from step's norms —
    /// in the preset's order of operations steps bit for bit as the preset, over a store of several tensors and over a
    /// plain span: custom rules reach per-tensor reductions through the same two passes.
    /// </summary>
    [Fact]
    public void LAMB_written_as_a_two_pass_rule_steps_exactly_as_the_preset()
    {
        const string source = """
            using System;
            using OptGen;

            [Optimizer(UpdateRule.Lamb, LearningRate = 1e-2)]
            [WeightDecay(0.01)]
            public partial class PresetLamb;

            [Optimizer(LearningRate = 1e-2)]
            public partial class RuleLamb
            {
                const double Beta1 = 0.9, Beta2 = 0.999;
                const float Epsilon = 1e-6f, Lambda = 0.01f;

                [ElementRule]
                static void Rule(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, [TensorNorm] ref float update, StepContext step)
                {
                    if (step.Pass == 0)
                    {
                        expAvg = MathF.FusedMultiplyAdd(gradient, (float)(1 - Beta1), expAvg * (float)Beta1);
                        expAvgSq = MathF.FusedMultiplyAdd((float)(1 - Beta2) * gradient, gradient, expAvgSq * (float)Beta2);
                        float r = expAvg / (float)(1 - Math.Pow(Beta1, step.Number)) / (MathF.Sqrt(expAvgSq / (float)(1 - Math.Pow(Beta2, step.Number))) + Epsilon);
                        update = MathF.FusedMultiplyAdd(parameter, Lambda, r);
                    }
                    else
                    {
                        double ratio = step.ParameterNorm == 0 || step.UpdateNorm == 0 ? 1 : step.ParameterNorm / step.UpdateNorm;
                        parameter = MathF.FusedMultiplyAdd(update * (float)ratio, (float)-step.LearningRate, parameter);
                    }
                }
            }
            """;
        GeneratorRun run = GeneratorHarness.RunClean(source);
        using LoadedAssembly assembly = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
        var random = new Random(5);
        (string, int)[] model = [("a.weight", 300), ("a.bias", 17), ("b.weight", 1001), ("empty", 0), ("b.bias", 3)];
        var presetStore = new ParameterStore<float>(model);
        var ruleStore = new ParameterStore<float>(model);
        float[] values = Enumerable.Range(0, presetStore.Length).Select(i => (float)((random.NextDouble() * 2) - 1)).ToArray();
        values.CopyTo(presetStore.Parameters);
        values.CopyTo(ruleStore.Parameters);
        float[] presetSpan = values.ToArray(), ruleSpan = values.ToArray();
        var preset = assembly.Create<IOptimizer<float>>("PresetLamb", presetStore.Length);
        var rule = assembly.Create<IOptimizer<float>>("RuleLamb", presetStore.Length);
        var presetPlain = assembly.Create<IOptimizer<float>>("PresetLamb", presetStore.Length);
        var rulePlain = assembly.Create<IOptimizer<float>>("RuleLamb", presetStore.Length);
        for (int step = 0; step < 5; step++)
        {
            float[] gradients = Enumerable.Range(0, presetStore.Length).Select(i => i % 7 == 0 ? 0f : (float)((random.NextDouble() * 2) - 1)).ToArray();
            foreach (TensorSlice tensor in presetStore.Tensors)
            {
                gradients.AsSpan(tensor.Offset, tensor.Length).CopyTo(presetStore.Gradient(tensor.Name));
                gradients.AsSpan(tensor.Offset, tensor.Length).CopyTo(ruleStore.Gradient(tensor.Name));
            }

            preset.Step(presetStore);
            rule.Step(ruleStore);
            presetPlain.Step(presetSpan, gradients);
            rulePlain.Step(ruleSpan, gradients);
            Assert.Equal(presetStore.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits), ruleStore.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(presetSpan.Select(BitConverter.SingleToInt32Bits), ruleSpan.Select(BitConverter.SingleToInt32Bits));
            Assert.NotEqual(presetSpan.Select(BitConverter.SingleToInt32Bits), presetStore.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits)); // per tensor is not per span
        }
    }

    /// <summary>
    /// Steps the generated optimizer and the method side by side. The method is the reference: per step, the
    /// [BeforeStep] method (if any) is called once, then the rule for each element with the per-step states it reads.
    /// With <paramref name="maxUlps"/> above 0 (rules with Exp or Log), each element must be within that many ulps
    /// per step, and the reference continues from the step's own values so that the bound is per step.
    /// </summary>
    private static void StepsEqualTheMethod(string source, string className, string methodName, bool maximize, double weightDecay, long maxUlps = 0)
    {
        GeneratorRun run = GeneratorHarness.RunClean(source);
        using LoadedAssembly assembly = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
        Type type = assembly.Assembly.GetType(className, throwOnError: true)!;
        MethodInfo rule = type.GetMethod(methodName, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!;
        bool single = rule.GetParameters()[0].ParameterType.GetElementType() == typeof(float);
        int states = rule.GetParameters().Count(p => p.ParameterType.IsByRef) - 1;
        bool hasStep = rule.GetParameters()[^1].ParameterType == typeof(StepContext);
        MethodInfo? beforeStep = type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic).SingleOrDefault(m => m.IsDefined(typeof(BeforeStepAttribute)));
        string[] readers = [.. rule.GetParameters().Skip(2 + states).Where(p => p.ParameterType != typeof(StepContext)).Select(p => p.Name!)];
        foreach (int length in Lengths)
        {
            var random = new Random(length + 17);
            double[] initial = Enumerable.Range(0, length).Select(_ => (random.NextDouble() * 4) - 2).ToArray();
            var optimizer = (IOptimizer)Activator.CreateInstance(type, length)!;
            double[] parameters = initial.ToArray();
            double[][] expectedStates = Enumerable.Range(0, states).Select(i => Buffer(optimizer, i, single)).ToArray();
            ParameterInfo[] scalarParameters = beforeStep is null ? [] : [.. beforeStep.GetParameters().Where(p => p.ParameterType.IsByRef)];
            object[] scalars = [.. scalarParameters.Select(p => p.ParameterType.GetElementType() == typeof(float)
                ? (object)(float)(p.GetCustomAttribute<InitialValueAttribute>()?.Value ?? 0)
                : p.GetCustomAttribute<InitialValueAttribute>()?.Value ?? 0.0)];
            for (int step = 1; step <= 4; step++)
            {
                double[] gradients = Enumerable.Range(0, length).Select(i => i % 11 == 0 ? 0.0 : (random.NextDouble() * 2) - 1).ToArray();

                // The rate of the step about to be taken (LearningRate is the next step's).
                double rate = optimizer.LearningRate;
                if (beforeStep is not null)
                {
                    object[] beforeArguments = beforeStep.GetParameters()[^1].ParameterType == typeof(StepContext) ? [.. scalars, new StepContext(step, rate)] : [.. scalars];
                    beforeStep.Invoke(null, beforeArguments);
                    Array.Copy(beforeArguments, scalars, scalars.Length);
                }

                object[] read = [.. readers.Select(name => scalars[Array.FindIndex(scalarParameters, p => p.Name == name)])];
                double decay = 1 - (rate * weightDecay);
                double sign = maximize ? -1 : 1;
                if (single)
                {
                    float[] actual = parameters.Select(x => (float)x).ToArray();
                    ((IOptimizer<float>)optimizer).Step(actual, gradients.Select(x => (float)x).ToArray());
                    for (int i = 0; i < length; i++)
                    {
                        float decayed = weightDecay == 0 ? (float)parameters[i] : (float)parameters[i] * (float)decay;
                        object[] arguments = Arguments(decayed, (float)(sign * gradients[i]), expectedStates.Select(s => (object)(float)s[i]).Concat(read), hasStep, step, rate);
                        rule.Invoke(null, arguments);
                        parameters[i] = (float)arguments[0];
                        for (int s = 0; s < states; s++)
                        {
                            expectedStates[s][i] = (float)arguments[2 + s];
                        }

                        long distance = Ulps((float)parameters[i], actual[i]);
                        Assert.True(distance <= maxUlps, $"{className}, length {length}, step {step}, element {i}: method {parameters[i]:R}, step {actual[i]:R} ({distance} ulps)");
                        parameters[i] = actual[i];
                    }
                }
                else
                {
                    double[] actual = parameters.ToArray();
                    ((IOptimizer<double>)optimizer).Step(actual, gradients);
                    for (int i = 0; i < length; i++)
                    {
                        double decayed = weightDecay == 0 ? parameters[i] : parameters[i] * decay;
                        object[] arguments = Arguments(decayed, sign * gradients[i], expectedStates.Select(s => (object)s[i]).Concat(read), hasStep, step, rate);
                        rule.Invoke(null, arguments);
                        parameters[i] = (double)arguments[0];
                        for (int s = 0; s < states; s++)
                        {
                            expectedStates[s][i] = (double)arguments[2 + s];
                        }

                        long distance = Ulps(parameters[i], actual[i]);
                        Assert.True(distance <= maxUlps, $"{className}, length {length}, step {step}, element {i}: method {parameters[i]:R}, step {actual[i]:R} ({distance} ulps)");
                        parameters[i] = actual[i];
                    }
                }

                for (int s = 0; s < states; s++)
                {
                    double[] buffer = Buffer(optimizer, s, single);
                    for (int i = 0; i < length; i++)
                    {
                        long distance = single ? Ulps((float)expectedStates[s][i], (float)buffer[i]) : Ulps(expectedStates[s][i], buffer[i]);
                        Assert.True(distance <= maxUlps, $"{className}, length {length}, step {step}, state {s} element {i}: method {expectedStates[s][i]:R}, step {buffer[i]:R} ({distance} ulps)");
                    }

                    expectedStates[s] = buffer;
                }
            }
        }
    }

    [Fact]
    public void Lion_as_a_rule_names_its_state_and_prints_its_equations()
    {
        GeneratorRun run = GeneratorHarness.RunClean(Lion);
        string generated = run.GeneratedSources.Single().SourceText.ToString();
        Assert.Contains("bufferNames: [\"exp_avg\"]", generated, StringComparison.Ordinal);
        Assert.Contains("public global::System.Span<float> ExpAvg", generated, StringComparison.Ordinal);
        Assert.Contains("// OptGen: the [ElementRule] method MyLion.Update over float elements", generated, StringComparison.Ordinal);
        Assert.Contains("expAvg ← ", generated, StringComparison.Ordinal);
        Assert.Contains("optgen-state/1 ElementRule(", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_different_rules_have_different_checkpoint_fingerprints()
    {
        string other = Lion.Replace("Beta2 = 0.99f", "Beta2 = 0.98f", StringComparison.Ordinal);
        Assert.NotEqual(Fingerprint(Lion), Fingerprint(other));
        Assert.Equal(Fingerprint(Lion), Fingerprint(Lion.Replace("float sign", "float s", StringComparison.Ordinal).Replace("* sign", "* s", StringComparison.Ordinal).Replace("float s =", "float sign =", StringComparison.Ordinal).Replace("* s;", "* sign;", StringComparison.Ordinal)));

        static string Fingerprint(string source)
        {
            string generated = GeneratorHarness.RunClean(source).GeneratedSources.Single().SourceText.ToString();
            int start = generated.IndexOf("CheckpointFingerprint = \"", StringComparison.Ordinal);
            return generated.Substring(start, generated.IndexOf('\n', start) - start);
        }
    }

    /// <summary>Distance in representable values; 0 only for identical bits (NaNs compare by their bits too).</summary>
    private static long Ulps(float a, float b) =>
        BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) ? 0 : float.IsNaN(a) || float.IsNaN(b) ? long.MaxValue : Math.Max(1, Math.Abs(Ordered(a) - Ordered(b)));

    private static long Ulps(double a, double b) =>
        BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) ? 0 : double.IsNaN(a) || double.IsNaN(b) ? long.MaxValue : Math.Max(1, Math.Abs(Ordered(a) - Ordered(b)));

    private static long Ordered(float x) => BitConverter.SingleToInt32Bits(x) is int bits && bits < 0 ? int.MinValue - (long)bits : bits;

    private static long Ordered(double x) => BitConverter.DoubleToInt64Bits(x) is long bits && bits < 0 ? long.MinValue - bits : bits;

    private static object[] Arguments(object parameter, object gradient, System.Collections.Generic.IEnumerable<object> states, bool hasStep, long step, double learningRate)
    {
        var arguments = new System.Collections.Generic.List<object> { parameter, gradient };
        arguments.AddRange(states);
        if (hasStep)
        {
            arguments.Add(new StepContext(step, learningRate));
        }

        return arguments.ToArray();
    }

    private static double[] Buffer(IOptimizer optimizer, int index, bool single) => single
        ? ((IOptimizer<float>)optimizer).GetStateBuffer(index).ToArray().Select(x => (double)x).ToArray()
        : ((IOptimizer<double>)optimizer).GetStateBuffer(index).ToArray();
}
