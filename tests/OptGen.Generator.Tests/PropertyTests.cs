using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CsCheck;
using Microsoft.CodeAnalysis;
using OptGen.Generator.Ir;
using OptGen.Tests.Reference;

namespace OptGen.Generator.Tests;

/// <summary>
/// Random valid hyperparameters for every rule, compiled through the generator once; then random lengths (0, 1, every
/// vector width ± 1, thousands) and random data. The emitted SIMD step must equal the IR interpreter bit for bit, and
/// an independent double-precision reference written from PyTorch's source within a stated tolerance.
/// </summary>
public sealed class PropertyTests : IClassFixture<PropertyTests.RandomOptimizers>
{
    private const int Steps = 3;

    // Float kernels against the double reference: a few float roundings per operation, relative to max(1, |value|).
    private const double FloatTolerance = 2e-5;

    // Double kernels against the double reference: the only difference is where PyTorch (and OptGen) fuse multiply-adds.
    private const double DoubleTolerance = 1e-11;

    private static readonly Gen<int> Lengths = Gen.OneOf(
        Gen.OneOf(0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129),
        Gen.Int[0, 3000]);

    private readonly RandomOptimizers _optimizers;

    public PropertyTests(RandomOptimizers optimizers) => _optimizers = optimizers;

    public static TheoryData<int> Indices => new(Enumerable.Range(0, RandomOptimizers.Count));

    [Theory]
    [MemberData(nameof(Indices))]
    public void Simd_step_equals_interpreter_bit_for_bit_and_reference_within_tolerance(int index)
    {
        RandomOptimizers.Case @case = _optimizers.Cases[index];
        Gen.Select(Lengths, Gen.Int).Sample(
            (length, seed) => Check(@case, length, seed),
            iter: 12,
            seed: "0N0XIzNsQ0O2");
    }

    private void Check(RandomOptimizers.Case @case, int length, int seed)
    {
        var random = new Random(seed);
        double[] parameters = Values(random, length);
        bool single = @case.ElementType == "float";
        IOptimizer optimizer = _optimizers.Create(@case, length);
        var reference = new ReferenceOptimizer(@case.Hyperparameters, length);
        Dictionary<string, double[]> interpreted = Streams(@case.Program, parameters, length);
        double[] referenceParameters = (double[])parameters.Clone();
        float[] singleParameters = Array.ConvertAll(parameters, x => (float)x);
        double[] doubleParameters = (double[])parameters.Clone();
        if (single)
        {
            // The kernel and the interpreter start from the same float values.
            interpreted[RuleProgram.ParametersStream] = Array.ConvertAll(singleParameters, x => (double)x);
            referenceParameters = Array.ConvertAll(singleParameters, x => (double)x);
        }

        for (int step = 1; step <= Steps; step++)
        {
            double[] gradients = Values(random, length);
            if (single)
            {
                float[] singleGradients = Array.ConvertAll(gradients, x => (float)x);
                gradients = Array.ConvertAll(singleGradients, x => (double)x);
                ((IOptimizer<float>)optimizer).Step(singleParameters, singleGradients);
            }
            else
            {
                ((IOptimizer<double>)optimizer).Step(doubleParameters, gradients);
            }

            interpreted[RuleProgram.GradientsStream] = gradients;
            Interpreter.Step(@case.Program, step, @case.Hyperparameters.LearningRate, interpreted, single);
            reference.Step(referenceParameters, gradients);

            for (int i = 0; i < length; i++)
            {
                double actual = single ? singleParameters[i] : doubleParameters[i];
                double fromInterpreter = interpreted[RuleProgram.ParametersStream][i];
                Assert.True(
                    BitConverter.DoubleToInt64Bits(actual) == BitConverter.DoubleToInt64Bits(fromInterpreter) || (double.IsNaN(actual) && double.IsNaN(fromInterpreter)),
                    $"{@case.Describe()} length {length} seed {seed} step {step} element {i}: kernel {actual:R}, interpreter {fromInterpreter:R}.");

                double expected = referenceParameters[i];
                double tolerance = (single ? FloatTolerance : DoubleTolerance) * Math.Max(1, Math.Abs(expected));
                Assert.True(
                    Math.Abs(actual - expected) <= tolerance,
                    $"{@case.Describe()} length {length} seed {seed} step {step} element {i}: kernel {actual:R}, reference {expected:R}.");
            }

            for (int s = 0; s < optimizer.StateBufferNames.Count; s++)
            {
                string torchName = optimizer.StateBufferNames[s];
                double[] referenceState = reference.State[torchName];
                double[] kernelState = single
                    ? Array.ConvertAll(((IOptimizer<float>)optimizer).GetStateBuffer(s).ToArray(), x => (double)x)
                    : ((IOptimizer<double>)optimizer).GetStateBuffer(s).ToArray();
                for (int i = 0; i < length; i++)
                {
                    double tolerance = (single ? FloatTolerance : DoubleTolerance) * Math.Max(1, Math.Abs(referenceState[i]));
                    Assert.True(
                        Math.Abs(kernelState[i] - referenceState[i]) <= tolerance,
                        $"{@case.Describe()} length {length} step {step} {torchName}[{i}]: kernel {kernelState[i]:R}, reference {referenceState[i]:R}.");
                }
            }
        }
    }

    private static Dictionary<string, double[]> Streams(RuleProgram program, double[] parameters, int length)
    {
        var streams = new Dictionary<string, double[]>(StringComparer.Ordinal)
        {
            [RuleProgram.ParametersStream] = (double[])parameters.Clone(),
            [RuleProgram.GradientsStream] = new double[length],
        };
        foreach (StreamDecl stream in program.Streams.Where(s => s.Role == StreamRole.State))
        {
            streams[stream.Name] = Enumerable.Repeat(stream.InitialValue, length).ToArray();
        }

        return streams;
    }

    // Normal-ish values with exact zeros and occasional large outliers.
    private static double[] Values(Random random, int length)
    {
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            double u = random.NextDouble();
            values[i] = u < 0.1 ? 0 : u > 0.99 ? (random.NextDouble() - 0.5) * 200 : (random.NextDouble() * 4) - 2;
        }

        return values;
    }

    /// <summary>Forty random declarations (eight per rule), half float, half double, compiled and loaded once.</summary>
    public sealed class RandomOptimizers : IDisposable
    {
        public const int Count = 40;

        private readonly LoadedAssembly _assembly;

        public RandomOptimizers()
        {
            var random = new Random(20261128);
            var source = new StringBuilder("using OptGen;\n\nnamespace Random;\n\n");
            var cases = new List<Case>();
            UpdateRule[] rules = [UpdateRule.Sgd, UpdateRule.AdaGrad, UpdateRule.RMSprop, UpdateRule.Adam, UpdateRule.AdamW];
            for (int i = 0; i < Count; i++)
            {
                ReferenceHyperparameters hyperparameters = ReferenceHyperparameters.Random(rules[i % rules.Length], random);
                string elementType = i % 2 == 0 ? "float" : "double";
                string name = $"Random{i}";
                source.Append(hyperparameters.ToAttributes(elementType)).Append('\n')
                    .Append("public sealed partial class ").Append(name).Append(";\n\n");
                cases.Add(new Case(name, elementType, hyperparameters, null!));
            }

            // Random β's are often legal but unusual (β₂ < β₁ warns with OPTG020): allow warnings, never errors.
            GeneratorRun run = GeneratorHarness.Run(source.ToString());
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
            Assert.Empty(run.OutputProblems);
            Dictionary<string, RuleProgram> programs = run.Models.ToDictionary(model => model.Spec.ClassName, model => model.Program);
            Cases = cases.Select(c => c with { Program = programs[c.Name] }).ToArray();
            _assembly = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
        }

        internal IReadOnlyList<Case> Cases { get; }

        internal IOptimizer Create(Case @case, int length) => _assembly.Create<IOptimizer>("Random." + @case.Name, length);

        public void Dispose() => _assembly.Dispose();

        internal sealed record Case(string Name, string ElementType, ReferenceHyperparameters Hyperparameters, RuleProgram Program)
        {
            public string Describe() => $"{Name} ({ElementType}) {Hyperparameters.ToAttributes(ElementType)}";
        }
    }
}
