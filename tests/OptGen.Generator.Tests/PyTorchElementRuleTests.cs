using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Numerics;
using OptGen.Tests;
using OptGen.Tests.PyTorch;
using Xunit.Abstractions;

namespace OptGen.Generator.Tests;

/// <summary>
/// Adamax, Adadelta, RAdam and Lion written as [ElementRule] methods against the same PyTorch 1.13 trajectories as
/// their presets: 259 parameters, 60 steps, every element of every step, in float and in double. One template per rule
/// is instantiated for each fixture config and element type; all of them are compiled in one generator run.
/// </summary>
/// <remarks>
/// Each template repeats its preset's operations (generator/OptGen.Generator/Rules) in the same order and precision, so
/// that the generated step reproduces PyTorch bit for bit:
/// <list type="bullet">
/// <item>hyperparameters are double consts, as PyTorch's Python floats; the element constants are those values rounded
/// to the element type, with 1 − β computed in double first (as torch converts the Python float 1 − β);</item>
/// <item>per-step values (bias corrections, step sizes, RAdam's ρₜ and rectification) are computed in double from
/// step.Number and step.LearningRate and rounded to the element type once;</item>
/// <item>where PyTorch fuses (add_ with alpha, addcmul_), the body uses FusedMultiplyAdd with the same operands;</item>
/// <item>PyTorch's coupled L2 weight decay (g + λ·p) is written in the body, after Maximize has negated the gradient;
/// decoupled weight decay (RAdam's decoupled_weight_decay, Lion's) is the [WeightDecay] attribute.</item>
/// </list>
/// </remarks>
public sealed class PyTorchElementRuleTests(PyTorchElementRuleTests.CompiledRules rules, ITestOutputHelper output)
    : IClassFixture<PyTorchElementRuleTests.CompiledRules>
{
    /// <summary>Each template repeats its preset's operations, so no tolerance.</summary>
    private const long MaxUlps = 0;

    /// <summary>The fixture configs (Fixtures/PyTorch/*.bin) the templates reproduce.</summary>
    private static readonly Config[] Configs =
    [
        new("AdamaxDefault", Adamax, 2e-3, "Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8"),
        new("AdamaxBetasEps", Adamax, 0.01, "Beta1 = 0.8, Beta2 = 0.99, Epsilon = 1e-6"),
        new("AdamaxWeightDecay", Adamax, 0.01, "Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8", CoupledL2: 0.05),
        new("AdamaxMaximize", Adamax, 0.01, "Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8", Maximize: true, CoupledL2: 0.01),
        new("AdadeltaDefault", Adadelta, 1.0, "Rho = 0.9, Epsilon = 1e-6"),
        new("AdadeltaRhoEps", Adadelta, 0.5, "Rho = 0.95, Epsilon = 1e-5"),
        new("AdadeltaRhoZero", Adadelta, 0.1, "Rho = 0.0, Epsilon = 1e-6"),
        new("AdadeltaRhoOne", Adadelta, 0.01, "Rho = 1.0, Epsilon = 1e-6"),
        new("AdadeltaWeightDecay", Adadelta, 1.0, "Rho = 0.9, Epsilon = 1e-6", CoupledL2: 0.1),
        new("AdadeltaMaximize", Adadelta, 0.5, "Rho = 0.9, Epsilon = 1e-6", Maximize: true, CoupledL2: 0.01),
        new("RAdamDefault", RAdam, 1e-3, "Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8"),
        new("RAdamBetasEps", RAdam, 0.01, "Beta1 = 0.8, Beta2 = 0.99, Epsilon = 1e-6"),
        new("RAdamNeverRectified", RAdam, 0.01, "Beta1 = 0.5, Beta2 = 0.6, Epsilon = 1e-8"),
        new("RAdamWeightDecay", RAdam, 0.01, "Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8", CoupledL2: 0.02),
        new("RAdamDecoupledWeightDecay", RAdam, 0.01, "Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8", DecoupledWeightDecay: 0.1),
        new("RAdamMaximize", RAdam, 0.01, "Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8", Maximize: true, CoupledL2: 0.01),
        new("LionDefault", Lion, 1e-4, "Beta1 = 0.9, Beta2 = 0.99"),
        new("LionBetas", Lion, 1e-3, "Beta1 = 0.95, Beta2 = 0.98"),
        new("LionWeightDecay", Lion, 1e-3, "Beta1 = 0.9, Beta2 = 0.99", DecoupledWeightDecay: 0.1),
        new("LionMaximize", Lion, 3e-4, "Beta1 = 0.9, Beta2 = 0.99", Maximize: true, DecoupledWeightDecay: 0.01),
    ];

    public static TheoryData<string> Names => new(Configs.Select(config => config.Name));

    [Fact]
    public void Every_config_has_a_PyTorch_fixture()
    {
        string[] fixtureNames = PyTorchFixture.ConfigNames();
        Assert.All(Configs, config => Assert.Contains(config.Name, fixtureNames));
    }

    [Fact]
    public void Every_template_instance_compiles_in_one_generator_run()
    {
        output.WriteLine($"{Configs.Length * Elements.Length} [ElementRule] classes generated, compiled and loaded in {rules.Elapsed.TotalSeconds:F1} s.");
        Assert.All(Configs, config => Assert.All(Elements, element => Assert.NotNull(rules.Assembly.Assembly.GetType(ClassName(config, element)))));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float_element_rule_matches_PyTorch_at_every_step(string name) =>
        AssertMatchesPyTorch(name, FloatElement, PyTorchFixture.SingleTrajectory(name), Ulps.Between);

    [Theory]
    [MemberData(nameof(Names))]
    public void Double_element_rule_matches_PyTorch_at_every_step(string name) =>
        AssertMatchesPyTorch(name, DoubleElement, PyTorchFixture.DoubleTrajectory(name), Ulps.Between);

    /// <summary>Steps the config's class over <paramref name="element"/> through the fixture's gradients, rounded to T.</summary>
    private void AssertMatchesPyTorch<T>(string name, Element element, T[] expected, Func<T, T, long> ulpsBetween)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        output.WriteLine(Trajectory.AssertMatches(
            $"{name} {element.Type} [ElementRule]",
            rules.Assembly.Create<IOptimizer<T>>(ClassName(Find(name), element), fixture.Length),
            Array.ConvertAll(fixture.InitialParameters, T.CreateTruncating),
            step => Array.ConvertAll(fixture.GradientsOfStep(step).ToArray(), T.CreateTruncating),
            expected,
            ulpsBetween,
            MaxUlps));
    }

    /// <summary>Every config in float and in double, compiled in one generator run and loaded once for all the tests.</summary>
    public sealed class CompiledRules : IDisposable
    {
        public CompiledRules()
        {
            var clock = Stopwatch.StartNew();
            string[] sources = Configs.SelectMany(config => Elements.Select(element => Source(config, element))).ToArray();
            GeneratorRun run = GeneratorHarness.RunClean(sources);
            Assembly = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
            Elapsed = clock.Elapsed;
        }

        internal LoadedAssembly Assembly { get; }

        internal TimeSpan Elapsed { get; }

        public void Dispose() => Assembly.Dispose();
    }

    /// <summary>A PyTorch fixture config: its rule's template, learning rate, double hyperparameter consts and weight decay.</summary>
    /// <param name="Constants">The rule's hyperparameters as double const declarators, e.g. <c>Beta1 = 0.9, Beta2 = 0.99</c>.</param>
    /// <param name="CoupledL2">PyTorch's weight_decay, added to the gradient in the body (g + λ·p).</param>
    /// <param name="DecoupledWeightDecay">Decoupled weight decay, the [WeightDecay] attribute.</param>
    private sealed record Config(
        string Name,
        Func<Config, Element, string> Template,
        double LearningRate,
        string Constants,
        bool Maximize = false,
        double? CoupledL2 = null,
        double? DecoupledWeightDecay = null);

    /// <summary>An element type, its math class and the conversion that rounds a double to it (none for double).</summary>
    private sealed record Element(string Type, string Math, string Round, string Suffix);

    private static readonly Element FloatElement = new("float", "MathF", "(float)", "Single");

    private static readonly Element DoubleElement = new("double", "Math", "", "Double");

    private static readonly Element[] Elements = [FloatElement, DoubleElement];

    private static Config Find(string name) => Configs.Single(config => config.Name == name);

    private static string ClassName(Config config, Element element) => "Custom" + config.Name + element.Suffix;

    private static string Literal(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The whole source of one config's class over one element type.</summary>
    private static string Source(Config config, Element element)
    {
        string maximize = config.Maximize ? ", Maximize = true" : "";
        string weightDecay = config.DecoupledWeightDecay is double decay ? $"[WeightDecay({Literal(decay)})]" : "";
        string lambda = config.CoupledL2 is double l2 ? ", Lambda = " + Literal(l2) : "";
        return $$"""
            using System;
            using OptGen;

            [Optimizer(LearningRate = {{Literal(config.LearningRate)}}{{maximize}})]
            {{weightDecay}}
            internal sealed partial class {{ClassName(config, element)}}
            {
                const double {{config.Constants}}{{lambda}};
            {{config.Template(config, element)}}
            }
            """;
    }

    /// <summary>The element constant L2 (λ rounded to the element type) where the config has coupled L2 weight decay.</summary>
    private static string L2Constant(Config config, Element element) => config.CoupledL2 is null ? "" : $", L2 = {element.Round}Lambda";

    /// <summary>PyTorch's coupled L2 weight decay as the body's first statement, where the config has it.</summary>
    private static string CoupledL2(Config config, Element element) => config.CoupledL2 is null
        ? ""
        : $"{element.Type} g = {element.Math}.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p";

    /// <summary>The gradient the body uses: with coupled L2 weight decay, g + λ·p.</summary>
    private static string Gradient(Config config) => config.CoupledL2 is null ? "gradient" : "g";

    private static string Adamax(Config c, Element e)
    {
        (string t, string math, string round, string gradient) = (e.Type, e.Math, e.Round, Gradient(c));
        return $$"""
                const {{t}} B1 = {{round}}Beta1, OneMinusB1 = {{round}}(1 - Beta1), B2 = {{round}}Beta2, Eps = {{round}}Epsilon{{L2Constant(c, e)}};

                [ElementRule]
                static void Update(ref {{t}} parameter, {{t}} gradient, ref {{t}} expAvg, ref {{t}} expInf, StepContext step)
                {
                    {{CoupledL2(c, e)}}
                    {{t}} m = {{math}}.FusedMultiplyAdd({{gradient}}, OneMinusB1, expAvg * B1);
                    {{t}} u = {{math}}.Max(expInf * B2, {{math}}.Abs({{gradient}}) + Eps);
                    expAvg = m;
                    expInf = u;
                    {{t}} negativeStepSize = {{round}}(-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
                    parameter += negativeStepSize * m / u;
                }
            """;
    }

    private static string Adadelta(Config c, Element e)
    {
        (string t, string math, string round, string gradient) = (e.Type, e.Math, e.Round, Gradient(c));
        return $$"""
                const {{t}} R = {{round}}Rho, OneMinusR = {{round}}(1 - Rho), Eps = {{round}}Epsilon{{L2Constant(c, e)}};

                [ElementRule]
                static void Update(ref {{t}} parameter, {{t}} gradient, ref {{t}} squareAvg, ref {{t}} accDelta, StepContext step)
                {
                    {{CoupledL2(c, e)}}
                    {{t}} squareAverage = {{math}}.FusedMultiplyAdd(OneMinusR * {{gradient}}, {{gradient}}, squareAvg * R);
                    {{t}} std = {{math}}.Sqrt(squareAverage + Eps);
                    {{t}} delta = {{math}}.Sqrt(accDelta + Eps) / std * {{gradient}};
                    squareAvg = squareAverage;
                    accDelta = {{math}}.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
                    parameter = {{math}}.FusedMultiplyAdd(delta, {{round}}-step.LearningRate, parameter);
                }
            """;
    }

    private static string RAdam(Config c, Element e)
    {
        (string t, string math, string round, string gradient) = (e.Type, e.Math, e.Round, Gradient(c));
        return $$"""
                const double RhoInfinity = 2 / (1 - Beta2) - 1;
                const {{t}} B1 = {{round}}Beta1, OneMinusB1 = {{round}}(1 - Beta1), B2 = {{round}}Beta2, OneMinusB2 = {{round}}(1 - Beta2), Eps = {{round}}Epsilon{{L2Constant(c, e)}};

                [ElementRule]
                static void Update(ref {{t}} parameter, {{t}} gradient, ref {{t}} expAvg, ref {{t}} expAvgSq, StepContext step)
                {
                    {{CoupledL2(c, e)}}

                    // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
                    double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
                    double beta2Power = Math.Pow(Beta2, step.Number);
                    double biasCorrection2 = 1 - beta2Power;
                    double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
                    double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

                    {{t}} m = {{math}}.FusedMultiplyAdd({{gradient}}, OneMinusB1, expAvg * B1);
                    {{t}} v = {{math}}.FusedMultiplyAdd(OneMinusB2 * {{gradient}}, {{gradient}}, expAvgSq * B2);
                    expAvg = m;
                    expAvgSq = v;
                    {{t}} update = m / {{round}}biasCorrection1 * {{round}}step.LearningRate;
                    if (rho > 5)
                    {
                        // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
                        update = update * (1 / ({{math}}.Sqrt(v) + Eps) * {{round}}Math.Sqrt(biasCorrection2)) * {{round}}rectification;
                    }

                    parameter -= update;
                }
            """;
    }

    private static string Lion(Config c, Element e)
    {
        (string t, string math, string round) = (e.Type, e.Math, e.Round);
        return $$"""
                const {{t}} B1 = {{round}}Beta1, OneMinusB1 = {{round}}(1 - Beta1), B2 = {{round}}Beta2, OneMinusB2 = {{round}}(1 - Beta2);

                [ElementRule]
                static void Update(ref {{t}} parameter, {{t}} gradient, ref {{t}} expAvg, StepContext step)
                {
                    {{t}} direction = RuleMath.Sign({{math}}.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1));
                    expAvg = {{math}}.FusedMultiplyAdd(gradient, OneMinusB2, expAvg * B2);
                    parameter = {{math}}.FusedMultiplyAdd(direction, {{round}}-step.LearningRate, parameter);
                }
            """;
    }
}
