using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OptGen.Generator.Tests;

/// <summary>The OptGenUnrollFactor MSBuild property changes the unrolling, never the results.</summary>
public sealed class KernelOptionsTests
{
    private const string Source = "using OptGen;\n\nnamespace Demo;\n\n[Optimizer(UpdateRule.Adam)]\npublic partial class Opt;\n";

    [Theory]
    [InlineData(null, 4)]
    [InlineData("1", 1)]
    [InlineData("2", 2)]
    [InlineData("4", 4)]
    [InlineData("8", 4)]
    [InlineData("3", 4)]
    [InlineData("0", 4)]
    [InlineData("nine", 4)]
    public void Unroll_factor_comes_from_the_project_property(string? value, int expected)
    {
        // The runtime's loop reads the factor from the update; the default needs no line.
        string text = Generate(value);
        if (expected == 4)
        {
            Assert.DoesNotContain("UnrollFactor", text, System.StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"public static int UnrollFactor => {expected};", text, System.StringComparison.Ordinal);
        }
    }

    private const string FourStates = "using OptGen;\n\nnamespace Demo;\n\n[Optimizer(LearningRate = 0.01)]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float a, ref float b, ref float c, ref float d)\n    {\n        a = gradient; b = a * 0.5f; c = b + a; d = c * gradient;\n        parameter -= d;\n    }\n}\n";

    /// <summary>A kernel of four states unrolls by 2 unless the project chose a factor (see KernelOptions.UnrollFor).</summary>
    [Theory]
    [InlineData(null, 2)]
    [InlineData("4", 4)]
    [InlineData("1", 1)]
    public void Four_states_unroll_by_two_unless_the_project_says_otherwise(string? value, int expected)
    {
        string text = Generate(value, FourStates);
        if (expected == 4)
        {
            Assert.DoesNotContain("UnrollFactor", text, System.StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"public static int UnrollFactor => {expected};", text, System.StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_unroll_factor_gives_the_same_bits()
    {
        float[] Run(string? unroll)
        {
            CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Source);
            GeneratorDriver driver = CSharpGeneratorDriver.Create(
                [new OptimizerGenerator().AsSourceGenerator()],
                parseOptions: GeneratorHarness.ParseOptions,
                optionsProvider: new UnrollOptions(unroll));
            driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            Assert.Empty(diagnostics);
            using LoadedAssembly loaded = GeneratorHarness.EmitAndLoad(output);
            var optimizer = loaded.Create<IOptimizer<float>>("Demo.Opt", 1000);
            float[] parameters = Enumerable.Range(0, 1000).Select(i => i / 1000f).ToArray();
            for (int step = 1; step <= 3; step++)
            {
                optimizer.Step(parameters, Enumerable.Range(0, 1000).Select(i => ((i * step) % 17) - 8f).ToArray());
            }

            return parameters;
        }

        float[] reference = Run(null);
        Assert.Equal(reference, Run("1"));
        Assert.Equal(reference, Run("2"));
    }

    private static string Generate(string? unroll, string source = Source)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new OptimizerGenerator().AsSourceGenerator()],
            parseOptions: GeneratorHarness.ParseOptions,
            optionsProvider: new UnrollOptions(unroll));
        GeneratorDriverRunResult result = driver.RunGenerators(GeneratorHarness.CreateCompilation(source)).GetRunResult();
        return result.GeneratedTrees.Single().ToString();
    }

    private sealed class UnrollOptions(string? unroll) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(unroll);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(null);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(null);

        private sealed class Options(string? unroll) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value)
            {
                value = key == "build_property.OptGenUnrollFactor" ? unroll : null;
                return value is not null;
            }
        }
    }
}
