using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using CsCheck;
using Microsoft.CodeAnalysis;
using OptGen.Generator.Emit;
using OptGen.Generator.Ir;
using OptGen.Tests.Reference;

namespace OptGen.Generator.Tests;

/// <summary>
/// <c>[FastMath]</c>'s documented bound: from the same state, one fast step leaves every parameter and state value within
/// <see cref="UlpBound"/> units in the last place of the exact step's value, measured at the larger of its magnitudes
/// before and after the exact step. Random declarations of the rules without conditions in their update (each compiled
/// exact and fast, centered RMSprop and coupled weight decay included), random lengths, data and step counts; the fast optimizer starts from the exact one's checkpoint,
/// which also checks that checkpoints load across the two modes; and the fast kernel must equal the IR interpreter
/// running the rewritten program, bit for bit.
/// </summary>
public sealed class FastMathTests : IClassFixture<FastMathTests.Twins>
{
    /// <summary>The bound <c>FastMathAttribute</c>'s documentation states.</summary>
    private const double UlpBound = 8;

    private static readonly Gen<int> Lengths = Gen.OneOf(Gen.OneOf(1, 7, 16, 17, 33, 64, 65, 129), Gen.Int[0, 3000]);

    private readonly Twins _twins;

    public FastMathTests(Twins twins) => _twins = twins;

    public static TheoryData<int> Indices => new(Enumerable.Range(0, Twins.Count));

    [Theory]
    [MemberData(nameof(Indices))]
    public void One_fast_step_is_within_the_documented_bound_of_the_exact_step(int index)
    {
        Twins.Case @case = _twins.Cases[index];
        Gen.Select(Lengths, Gen.Int, Gen.Int[0, 4]).Sample(
            (length, seed, warmUp) => Check(@case, length, seed, warmUp),
            iter: 40,
            seed: "0FastMath0002");
    }

    [Fact]
    public void The_fast_program_divides_once_per_element_and_keeps_conditions_as_written()
    {
        // Adam: √v / √(1 − β₂ᵗ) becomes a multiplication by a per-step reciprocal; step·m / denominator keeps its division.
        // A rule with a condition on an element value: the condition is the one written, the arms are rewritten.
        // (PyTorch's coupled weight decay, g + λ·p, is one fused multiply-add in both modes.)
        GeneratorRun run = GeneratorHarness.Run("""
            using OptGen;

            namespace Conditions;

            [Optimizer(UpdateRule.Adam)]
            public sealed partial class ExactAdam;

            [Optimizer(UpdateRule.Adam)]
            [FastMath]
            public sealed partial class FastAdam;

            [Optimizer(UpdateRule.AdamW, ElementType = typeof(BFloat16))]
            [MasterWeights]
            [StateStorage(StateStorage.Blockwise8Bit)]
            [FastMath]
            public sealed partial class FastMixed;

            [Optimizer(LearningRate = 1e-3)]
            [FastMath]
            public sealed partial class Clipped
            {
                [ElementRule]
                private static void Update(ref float parameter, float gradient, ref float velocity, StepContext step)
                {
                    float shifted = gradient + parameter * 0.5f;
                    velocity = velocity * 0.9f + shifted / (float)step.LearningRate;
                    parameter -= velocity / 3f > 1f ? 1f : velocity * (float)step.LearningRate / 2f;
                }
            }
            """);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(run.OutputProblems);
        Dictionary<string, RuleProgram> programs = Programs(run);
        Assert.Equal(1, Count(programs["FastMixed"], ExprKind.Divide));
        Assert.Equal(2, Count(programs["ExactAdam"], ExprKind.Divide));
        Assert.Equal(1, Count(programs["FastAdam"], ExprKind.Divide));
        Assert.Contains(programs["FastAdam"].Scalars, s => s.Target == "inverseBiasCorrection2Sqrt");
        Assert.Equal(2, Count(programs["FastAdam"], ExprKind.MultiplyAdd) - Count(programs["ExactAdam"], ExprKind.MultiplyAdd));

        RuleProgram program = programs["Clipped"];
        List<Expr> conditions = Walk(program.Body).Where(e => e.Kind == ExprKind.Select).Select(e => e[0]).ToList();
        Assert.NotEmpty(conditions);
        Assert.All(conditions, condition => Assert.Contains(EmitContext.Walk(condition), e => e.Kind == ExprKind.Divide));
        Assert.Equal(conditions.Count, Walk(program.Body).Count(e => e.Kind == ExprKind.Divide));

        // Sums that may cancel stay unfused: a local that is not a stream's value (shifted), and a sum of two products
        // (the velocity's decay plus the new term).
        Assert.Equal(0, Count(program, ExprKind.MultiplyAdd));
    }

    private void Check(Twins.Case @case, int length, int seed, int warmUp)
    {
        var random = new Random(seed);
        bool single = @case.ElementType == "float";
        IOptimizer exact = _twins.Create(@case.ExactName, length);
        IOptimizer fast = _twins.Create(@case.FastName, length);
        double[] parameters = Values(random, length);
        for (int step = 0; step < warmUp; step++)
        {
            Step(exact, parameters, Values(random, length), single);
        }

        var checkpoint = new MemoryStream();
        exact.SaveCheckpoint(checkpoint);
        checkpoint.Position = 0;
        fast.LoadCheckpoint(checkpoint);
        double[][] before = States(exact, single);
        double[] exactParameters = (double[])parameters.Clone(), fastParameters = (double[])parameters.Clone();
        double[] gradients = Values(random, length);
        if (single)
        {
            gradients = Array.ConvertAll(gradients, x => (double)(float)x);
        }

        double learningRate = fast.LearningRate;
        Step(exact, exactParameters, gradients, single);
        Step(fast, fastParameters, gradients, single);

        // The fast kernel is the rewritten program, lowered: it equals the interpreter running that program bit for bit.
        var streams = new Dictionary<string, double[]>(StringComparer.Ordinal)
        {
            [RuleProgram.ParametersStream] = (double[])parameters.Clone(),
            [RuleProgram.GradientsStream] = gradients,
        };
        List<StreamDecl> stateStreams = @case.FastProgram.States().ToList();
        for (int s = 0; s < stateStreams.Count; s++)
        {
            streams[stateStreams[s].Name] = (double[])before[s].Clone();
        }

        Interpreter.Step(@case.FastProgram, warmUp + 1, learningRate, streams, single);
        double[][] fastAfter = States(fast, single);
        for (int i = 0; i < length; i++)
        {
            Assert.True(SameBits(fastParameters[i], streams[RuleProgram.ParametersStream][i]), $"{@case.FastName} length {length} seed {seed}: kernel {fastParameters[i]:R}, interpreter {streams[RuleProgram.ParametersStream][i]:R} at {i}.");
            for (int s = 0; s < stateStreams.Count; s++)
            {
                Assert.True(SameBits(fastAfter[s][i], streams[stateStreams[s].Name][i]), $"{@case.FastName} length {length} seed {seed}: {stateStreams[s].Name} kernel {fastAfter[s][i]:R}, interpreter {streams[stateStreams[s].Name][i]:R} at {i}.");
            }
        }

        string where = $"{@case.Attributes.Replace('\n', ' ')} ({@case.ElementType}), length {length}, seed {seed}, after {warmUp} steps";
        AssertWithinBound(parameters, exactParameters, fastParameters, single, where + ", parameters");
        double[][] exactStates = States(exact, single), fastStates = States(fast, single);
        for (int s = 0; s < exactStates.Length; s++)
        {
            AssertWithinBound(before[s], exactStates[s], fastStates[s], single, $"{where}, {exact.StateBufferNames[s]}");
        }
    }

    private static void AssertWithinBound(double[] before, double[] exact, double[] fast, bool single, string where)
    {
        for (int i = 0; i < exact.Length; i++)
        {
            if (double.IsNaN(exact[i]) || double.IsNaN(fast[i]))
            {
                Assert.True(double.IsNaN(exact[i]) && double.IsNaN(fast[i]), $"{where}[{i}]: exact {exact[i]:R}, fast {fast[i]:R}.");
                continue;
            }

            double scale = Math.Max(Math.Abs(before[i]), Math.Abs(exact[i]));
            double ulp = single ? MathF.BitIncrement((float)scale) - (float)scale : Math.BitIncrement(scale) - scale;
            double ulps = exact[i] == fast[i] ? 0 : Math.Abs(fast[i] - exact[i]) / ulp;
            Assert.True(ulps <= UlpBound, $"{where}[{i}]: exact {exact[i]:R}, fast {fast[i]:R}, before {before[i]:R}: {ulps:F1} ulps.");
        }
    }

    private static bool SameBits(double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b));

    private static void Step(IOptimizer optimizer, double[] parameters, double[] gradients, bool single)
    {
        if (single)
        {
            float[] p = Array.ConvertAll(parameters, x => (float)x);
            ((IOptimizer<float>)optimizer).Step(p, Array.ConvertAll(gradients, x => (float)x));
            for (int i = 0; i < p.Length; i++)
            {
                parameters[i] = p[i];
            }
        }
        else
        {
            ((IOptimizer<double>)optimizer).Step(parameters, gradients);
        }
    }

    private static double[][] States(IOptimizer optimizer, bool single) => Enumerable.Range(0, optimizer.StateBufferNames.Count)
        .Select(s => single
            ? Array.ConvertAll(((IOptimizer<float>)optimizer).GetStateBuffer(s).ToArray(), x => (double)x)
            : ((IOptimizer<double>)optimizer).GetStateBuffer(s).ToArray())
        .ToArray();

    // Values of both signs over several binades, with exact zeros.
    private static double[] Values(Random random, int length)
    {
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            double u = random.NextDouble();
            values[i] = u < 0.05 ? 0 : (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-4, 3));
        }

        return values;
    }

    private static int Count(RuleProgram program, ExprKind kind) => Walk(program.Body).Count(e => e.Kind == kind);

    private static IEnumerable<Expr> Walk(IEnumerable<Statement> statements) =>
        statements.SelectMany(s => s.Kind == StatementKind.Branch ? Walk(s.Then).Concat(Walk(s.Else)) : EmitContext.Walk(s.Value));

    private static Dictionary<string, RuleProgram> Programs(GeneratorRun run) => run.Models.ToDictionary(model => model.Spec.ClassName, model => model.Program);

    /// <summary>Random declarations of the rules the bound is stated for, each compiled exact and with [FastMath].</summary>
    public sealed class Twins : IDisposable
    {
        public const int Count = 23;

        private readonly LoadedAssembly _assembly;

        public Twins()
        {
            var random = new Random(20261202);
            var declarations = new List<(string Attributes, string ElementType)>();
            UpdateRule[] rules = [UpdateRule.Sgd, UpdateRule.AdaGrad, UpdateRule.RMSprop, UpdateRule.Adam, UpdateRule.AdamW];
            for (int i = 0; i < 20; i++)
            {
                string elementType = i % 2 == 0 ? "float" : "double";
                declarations.Add((ReferenceHyperparameters.Random(rules[i % rules.Length], random).ToAttributes(elementType), elementType));
            }

            // The roster's rules that add one term to each value and have no conditions on element values, with their
            // defaults. (NAdam adds two terms to the parameters, which may nearly cancel: see FastMathAttribute.)
            foreach (string rule in new[] { "Adamax", "RAdam", "Adadelta" })
            {
                declarations.Add(($"[Optimizer(UpdateRule.{rule})]", "float"));
            }

            var source = new StringBuilder("using OptGen;\n\nnamespace Twins;\n\n");
            var cases = new List<Case>();
            for (int i = 0; i < declarations.Count; i++)
            {
                (string attributes, string elementType) = declarations[i];
                source.Append(attributes).Append("\npublic sealed partial class Exact").Append(i).Append(";\n\n")
                    .Append(attributes).Append("\n[FastMath]\npublic sealed partial class Fast").Append(i).Append(";\n\n");
                cases.Add(new Case(attributes, elementType, $"Exact{i}", $"Fast{i}", null!, null!));
            }

            GeneratorRun run = GeneratorHarness.Run(source.ToString());
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
            Assert.Empty(run.OutputProblems);
            Dictionary<string, RuleProgram> programs = Programs(run);
            Cases = cases.Select(c => c with { ExactProgram = programs[c.ExactName], FastProgram = programs[c.FastName] }).ToArray();
            _assembly = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
        }

        internal IReadOnlyList<Case> Cases { get; }

        internal IOptimizer Create(string name, int length) => _assembly.Create<IOptimizer>("Twins." + name, length);

        public void Dispose() => _assembly.Dispose();

        internal sealed record Case(string Attributes, string ElementType, string ExactName, string FastName, RuleProgram ExactProgram, RuleProgram FastProgram);
    }
}
