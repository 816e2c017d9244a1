using System.Collections.Immutable;
using System.Linq;
using Basic.Reference.Assemblies;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OptGen.Generator;

namespace OptGen.Benchmarks;

/// <summary>
/// The generator's whole work for one optimizer class — reading the attributes, binding and translating an
/// [ElementRule] method, lowering, emitting — on a fresh compilation each time (so nothing is cached), for a rule written
/// as a method against the preset of the same rule. The difference is the cost of translating the method.
/// </summary>
public class TranslationBenchmarks
{
    private const string Usings = "using System;\nusing OptGen;\n\n";

    // The contract's example: one state, an element ?: chain.
    private const string LionRule = Usings + """
        [Optimizer(LearningRate = 1e-4)]
        public partial class Opt
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

    // Two states, per-step double arithmetic with Math.Pow and Math.Sqrt, and a branch on a per-step condition.
    private const string RAdamRule = Usings + """
        [Optimizer(LearningRate = 1e-3)]
        public partial class Opt
        {
            const double Beta1 = 0.9, Beta2 = 0.999, RhoInfinity = 2 / (1 - Beta2) - 1;

            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, StepContext step)
            {
                double beta2Power = Math.Pow(Beta2, step.Number);
                double rho = RhoInfinity - 2.0 * step.Number * beta2Power / (1 - beta2Power);
                double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));
                float m = MathF.FusedMultiplyAdd(gradient, (float)(1 - Beta1), expAvg * (float)Beta1);
                float v = MathF.FusedMultiplyAdd((float)(1 - Beta2) * gradient, gradient, expAvgSq * (float)Beta2);
                expAvg = m;
                expAvgSq = v;
                float update = m / (float)(1 - Math.Pow(Beta1, step.Number)) * (float)step.LearningRate;
                if (rho > 5)
                {
                    update = update * (1 / (MathF.Sqrt(v) + 1e-8f) * (float)Math.Sqrt(1 - beta2Power)) * (float)rectification;
                }

                parameter -= update;
            }
        }
        """;

    // A [BeforeStep] method with per-step state, read by the element rule.
    private const string NAdamRule = Usings + """
        [Optimizer(LearningRate = 2e-3)]
        public partial class Opt
        {
            const double Beta1 = 0.9, Beta2 = 0.999, Decay = 4e-3;

            [BeforeStep]
            static void Advance([InitialValue(1)] ref float muProduct, StepContext step)
            {
                muProduct *= (float)(Beta1 * (1 - (0.5 * Math.Pow(0.96, step.Number * Decay))));
            }

            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, float muProduct, StepContext step)
            {
                double mu = Beta1 * (1 - (0.5 * Math.Pow(0.96, step.Number * Decay)));
                double muNext = Beta1 * (1 - (0.5 * Math.Pow(0.96, (step.Number + 1) * Decay)));
                expAvg = MathF.FusedMultiplyAdd(gradient, (float)(1 - Beta1), expAvg * (float)Beta1);
                expAvgSq = MathF.FusedMultiplyAdd((float)(1 - Beta2) * gradient, gradient, expAvgSq * (float)Beta2);
                float denominator = MathF.Sqrt(expAvgSq / (float)(1 - Math.Pow(Beta2, step.Number))) + 1e-8f;
                parameter += (float)(-step.LearningRate * (1 - mu) / (1.0 - muProduct)) * gradient / denominator;
                parameter += (float)(-step.LearningRate * muNext / (1 - muProduct * muNext)) * expAvg / denominator;
            }
        }
        """;

    private static readonly ImmutableArray<MetadataReference> References = [.. Net100.References.All.Cast<MetadataReference>(), MetadataReference.CreateFromFile(typeof(IOptimizer).Assembly.Location)];

    private static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    private SyntaxTree _rule = null!;
    private SyntaxTree _preset = null!;

    /// <summary>The rule: Lion, RAdam (a per-step branch) or NAdam (a [BeforeStep] method).</summary>
    [Params("Lion", "RAdam", "NAdam")]
    public string Rule { get; set; } = "Lion";

    [GlobalSetup]
    public void Setup()
    {
        _rule = CSharpSyntaxTree.ParseText(Rule switch { "Lion" => LionRule, "RAdam" => RAdamRule, _ => NAdamRule }, ParseOptions, "/src/Opt.cs");
        _preset = CSharpSyntaxTree.ParseText($"{Usings}[Optimizer(UpdateRule.{Rule})]\npublic partial class Opt;\n", ParseOptions, "/src/Opt.cs");
        if (Generate(_rule) != 1 || Generate(_preset) != 1)
        {
            throw new System.InvalidOperationException($"{Rule}: the generator did not generate exactly one class.");
        }
    }

    [Benchmark(Baseline = true, Description = "Preset class")]
    public int Preset() => Generate(_preset);

    [Benchmark(Description = "[ElementRule] class")]
    public int ElementRule() => Generate(_rule);

    // A fresh compilation and driver: the generator binds and translates from scratch, as on the first build of a file.
    private static int Generate(SyntaxTree tree)
    {
        CSharpCompilation compilation = CSharpCompilation.Create("Input", [tree], References, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriverRunResult result = CSharpGeneratorDriver.Create([new OptimizerGenerator().AsSourceGenerator()], parseOptions: ParseOptions)
            .RunGenerators(compilation).GetRunResult();
        return result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error) ? -1 : result.GeneratedTrees.Length;
    }
}
