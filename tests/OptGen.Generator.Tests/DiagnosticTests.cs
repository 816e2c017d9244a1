using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using OptGen.Generator.Diagnostics;

namespace OptGen.Generator.Tests;

/// <summary>
/// Every OPTG diagnostic: triggered with the right ID and severity at the offending attribute argument (or identifier),
/// and a near miss that is accepted without it.
/// </summary>
public sealed class DiagnosticTests
{
    /// <summary>Diagnostics that are warnings: the optimizer is still generated.</summary>
    private static readonly HashSet<string> s_warnings = ["OPTG020", "OPTG021"];

    /// <summary>Declaration, expected ID, the source text the diagnostic must point at.</summary>
    public static TheoryData<string, string, string> Triggers => new()
    {
        // OPTG001: not partial.
        { "[Optimizer(UpdateRule.Sgd)]\npublic class Opt;", "OPTG001", "Opt" },
        { "[Optimizer(UpdateRule.Adam)]\ninternal sealed class Opt { }", "OPTG001", "Opt" },

        // OPTG002: a containing type not partial.
        { "public class Outer\n{\n    [Optimizer(UpdateRule.Sgd)]\n    public partial class Opt;\n}", "OPTG002", "Outer" },
        { "public partial class A\n{\n    internal struct B\n    {\n        [Optimizer(UpdateRule.Sgd)]\n        public partial class Opt;\n    }\n}", "OPTG002", "B" },

        // OPTG003: unsupported shapes.
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt<T>;", "OPTG003", "Opt" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic static partial class Opt;", "OPTG003", "Opt" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic abstract partial class Opt;", "OPTG003", "Opt" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial record Opt;", "OPTG003", "Opt" },

        // OPTG010: learning rate.
        { "[Optimizer(UpdateRule.Sgd, LearningRate = -1)]\npublic partial class Opt;", "OPTG010", "LearningRate = -1" },
        { "[Optimizer(UpdateRule.Adam, LearningRate = 0)]\npublic partial class Opt;", "OPTG010", "LearningRate = 0" },
        { "[Optimizer(UpdateRule.Adam, LearningRate = double.NaN)]\npublic partial class Opt;", "OPTG010", "LearningRate = double.NaN" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(double), LearningRate = double.PositiveInfinity)]\npublic partial class Opt;", "OPTG010", "LearningRate = double.PositiveInfinity" },

        // OPTG011: decays outside [0, 1).
        { "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 1.0)]\npublic partial class Opt;", "OPTG011", "First = 1.0" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[MomentDecay(Second = -0.1)]\npublic partial class Opt;", "OPTG011", "Second = -0.1" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(1)]\npublic partial class Opt;", "OPTG011", "1" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9, Dampening = 1.5)]\npublic partial class Opt;", "OPTG011", "Dampening = 1.5" },

        // OPTG012: epsilon.
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(0)]\npublic partial class Opt;", "OPTG012", "0" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[Epsilon(-1e-8)]\npublic partial class Opt;", "OPTG012", "-1e-8" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[Epsilon(double.PositiveInfinity, Placement = EpsilonPlacement.InsideSquareRoot)]\npublic partial class Opt;", "OPTG012", "double.PositiveInfinity" },

        // OPTG013: non-negative values.
        { "[Optimizer(UpdateRule.Sgd)]\n[WeightDecay(-0.1)]\npublic partial class Opt;", "OPTG013", "-0.1" },
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(double.NaN)]\npublic partial class Opt;", "OPTG013", "double.NaN" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[LearningRateDecay(-1)]\npublic partial class Opt;", "OPTG013", "-1" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[InitialAccumulator(double.PositiveInfinity)]\npublic partial class Opt;", "OPTG013", "double.PositiveInfinity" },

        // OPTG015: Nesterov without momentum or with dampening.
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9, Dampening = 0.1, Nesterov = true)]\npublic partial class Opt;", "OPTG015", "Nesterov = true" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0, Nesterov = true)]\npublic partial class Opt;", "OPTG015", "Nesterov = true" },

        // OPTG016: options of other rules.
        { "[Optimizer(UpdateRule.Adam)]\n[Momentum(0.9)]\npublic partial class Opt;", "OPTG016", "Momentum(0.9)" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[MomentDecay(First = 0.5)]\npublic partial class Opt;", "OPTG016", "First = 0.5" },
        { "[Optimizer(UpdateRule.Sgd)]\n[MomentDecay(Second = 0.5)]\npublic partial class Opt;", "OPTG016", "MomentDecay(Second = 0.5)" },
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(0.01, Decoupled = false)]\npublic partial class Opt;", "OPTG016", "Decoupled = false" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Epsilon(1e-8)]\npublic partial class Opt;", "OPTG016", "Epsilon(1e-8)" },
        { "[Optimizer(UpdateRule.Sgd)]\n[BiasCorrection(false)]\npublic partial class Opt;", "OPTG016", "BiasCorrection(false)" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[AmsGrad]\npublic partial class Opt;", "OPTG016", "AmsGrad" },
        { "[Optimizer(UpdateRule.Adam)]\n[Centered]\npublic partial class Opt;", "OPTG016", "Centered" },
        { "[Optimizer(UpdateRule.Adam)]\n[LearningRateDecay(0.1)]\npublic partial class Opt;", "OPTG016", "LearningRateDecay(0.1)" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[InitialAccumulator(0.1)]\npublic partial class Opt;", "OPTG016", "InitialAccumulator(0.1)" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[Momentum(0.9, Dampening = 0.5)]\npublic partial class Opt;", "OPTG016", "Dampening = 0.5" },

        // OPTG017: element type.
        { "[Optimizer(UpdateRule.Sgd, ElementType = typeof(int))]\npublic partial class Opt;", "OPTG017", "ElementType = typeof(int)" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(System.Half))]\npublic partial class Opt;", "OPTG017", "ElementType = typeof(System.Half)" },

        // OPTG018: arguments that are not readable constants of the expected kind.
        { "[Optimizer((UpdateRule)42)]\npublic partial class Opt;", "OPTG018", "(UpdateRule)42" },
        { "[Optimizer(UpdateRule.Sgd, ElementType = null)]\npublic partial class Opt;", "OPTG018", "ElementType = null" },
        { "[Optimizer(UpdateRule.Sgd, LearningRate = Missing.Value)]\npublic partial class Opt;", "OPTG018", "LearningRate = Missing.Value" },

        // OPTG020 (warning): β₂ < β₁.
        { "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 0.9, Second = 0.5)]\npublic partial class Opt;", "OPTG020", "Second = 0.5" },
        { "[Optimizer(UpdateRule.AdamW)]\n[MomentDecay(Second = 0.8)]\npublic partial class Opt;", "OPTG020", "Second = 0.8" },

        // OPTG021 (warning): epsilon above 1e-3.
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(0.1)]\npublic partial class Opt;", "OPTG021", "0.1" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[Epsilon(0.0011, Placement = EpsilonPlacement.InsideSquareRoot)]\npublic partial class Opt;", "OPTG021", "0.0011" },
    };

    /// <summary>Declarations close to a trigger that are valid: no diagnostic at all, and code that compiles.</summary>
    public static TheoryData<string, string> NearMisses => new()
    {
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt;", "OPTG001" },
        { "public partial class Outer\n{\n    [Optimizer(UpdateRule.Sgd)]\n    public partial class Opt;\n}", "OPTG002" },
        { "public partial class A\n{\n    internal partial struct B\n    {\n        [Optimizer(UpdateRule.Sgd)]\n        public partial class Opt;\n    }\n}", "OPTG002" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic sealed partial class Opt;", "OPTG003" },
        { "[Optimizer(UpdateRule.Sgd, LearningRate = 1e-9)]\npublic partial class Opt;", "OPTG010" },
        { "[Optimizer(UpdateRule.Adam, LearningRate = 10)]\npublic partial class Opt;", "OPTG010" },
        { "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 0.0, Second = 0.999999)]\npublic partial class Opt;", "OPTG011" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.99, Dampening = 1)]\npublic partial class Opt;", "OPTG011" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[MomentDecay(Second = 0.0)]\npublic partial class Opt;", "OPTG011" },
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(1e-12)]\npublic partial class Opt;", "OPTG012" },
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(double.Epsilon)]\npublic partial class Opt;", "OPTG012" },
        { "[Optimizer(UpdateRule.Sgd)]\n[WeightDecay(0)]\npublic partial class Opt;", "OPTG013" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[LearningRateDecay(0.5)]\n[InitialAccumulator(0.5)]\npublic partial class Opt;", "OPTG013" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9, Nesterov = true)]\npublic partial class Opt;", "OPTG015" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9, Dampening = 0, Nesterov = true)]\npublic partial class Opt;", "OPTG015" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[Momentum(0.9)]\n[Centered]\n[MomentDecay(Second = 0.95)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(0.1, Decoupled = true)]\n[AmsGrad]\n[BiasCorrection]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.Sgd)]\n[WeightDecay(0.1, Decoupled = true)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.Sgd, ElementType = typeof(double))]\npublic partial class Opt;", "OPTG017" },
        { "[Optimizer(UpdateRule.Sgd, ElementType = typeof(System.Single))]\npublic partial class Opt;", "OPTG017" },
        { "[Optimizer((UpdateRule)3)]\npublic partial class Opt;", "OPTG018" },
        { "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 0.9, Second = 0.9)]\npublic partial class Opt;", "OPTG020" },
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(1e-3)]\npublic partial class Opt;", "OPTG021" },
    };

    [Theory]
    [MemberData(nameof(Triggers))]
    public void Reports_diagnostic_at_offending_argument(string declaration, string id, string locatedText)
    {
        GeneratorRun run = GeneratorHarness.Run(Declare(declaration));
        Assert.Null(run.Exception);

        ImmutableArray<Diagnostic> matching = run.GeneratorDiagnostics.Where(d => d.Id == id).ToImmutableArray();
        Diagnostic diagnostic = Assert.Single(matching);
        DiagnosticSeverity expectedSeverity = s_warnings.Contains(id) ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;
        Assert.Equal(expectedSeverity, diagnostic.Severity);
        Assert.Equal(expectedSeverity, diagnostic.Descriptor.DefaultSeverity);
        Assert.Equal("OptGen", diagnostic.Descriptor.Category);
        Assert.False(string.IsNullOrWhiteSpace(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));

        // The span points at the offending argument, in the declaring file, with a consistent line span.
        Assert.Equal(locatedText, GeneratorHarness.LocatedText(diagnostic, run.InputCompilation));
        FileLinePositionSpan reported = diagnostic.Location.GetLineSpan();
        Assert.Equal("/src/File0.cs", reported.Path);
        SyntaxTree tree = run.InputCompilation.SyntaxTrees.Single();
        Assert.Equal(tree.GetLineSpan(diagnostic.Location.SourceSpan).Span, reported.Span);

        if (expectedSeverity == DiagnosticSeverity.Error)
        {
            // An invalid declaration is not generated at all (the user fixes the attribute, not generated code).
            Assert.Empty(run.GeneratedSources);
        }
        else
        {
            // A warning still generates the optimizer, and the generated code compiles.
            Assert.Single(run.GeneratedSources);
            Assert.Empty(run.OutputProblems.Where(d => !d.Id.StartsWith("OPTG", StringComparison.Ordinal)));
        }
    }

    [Theory]
    [MemberData(nameof(NearMisses))]
    public void Near_miss_is_accepted(string declaration, string id)
    {
        GeneratorRun run = GeneratorHarness.Run(Declare(declaration));
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == id);
        run.AssertClean();
        Assert.Single(run.GeneratedSources);
    }

    [Fact]
    public void Every_descriptor_has_a_trigger_and_a_near_miss()
    {
        var triggered = Triggers.Select(row => (string)row[1]).ToHashSet();
        var nearMissed = NearMisses.Select(row => (string)row[1]).ToHashSet();
        foreach (DiagnosticDescriptor descriptor in DiagnosticDescriptors.All)
        {
            if (descriptor.Id == DiagnosticDescriptors.InternalError.Id)
            {
                continue; // OPTG099 reports generator failures; no valid input triggers it.
            }

            Assert.Contains(descriptor.Id, triggered);
            Assert.Contains(descriptor.Id, nearMissed);
        }
    }

    [Fact]
    public void Descriptors_have_unique_ids_help_links_and_expected_severities()
    {
        Assert.Equal(DiagnosticDescriptors.All.Length, DiagnosticDescriptors.All.Select(d => d.Id).Distinct().Count());
        foreach (DiagnosticDescriptor descriptor in DiagnosticDescriptors.All)
        {
            Assert.Matches("^OPTG[0-9]{3}$", descriptor.Id);
            Assert.Same(descriptor, DiagnosticDescriptors.ById(descriptor.Id));
            Assert.True(descriptor.IsEnabledByDefault);
            Assert.EndsWith("#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri, StringComparison.Ordinal);
            DiagnosticSeverity expected = s_warnings.Contains(descriptor.Id) ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;
            Assert.Equal(expected, descriptor.DefaultSeverity);
        }
    }

    [Fact]
    public void Every_descriptor_is_listed_in_the_analyzer_release_tracking_files()
    {
        string generatorDirectory = Path.Combine(Path.GetDirectoryName(Snapshot.Directory)!, "..", "..", "generator", "OptGen.Generator");
        string releases = File.ReadAllText(Path.Combine(generatorDirectory, "AnalyzerReleases.Shipped.md"))
            + File.ReadAllText(Path.Combine(generatorDirectory, "AnalyzerReleases.Unshipped.md"));
        foreach (DiagnosticDescriptor descriptor in DiagnosticDescriptors.All)
        {
            Assert.Contains(descriptor.Id, releases, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_problem_of_a_declaration_is_reported_not_just_the_first()
    {
        GeneratorRun run = GeneratorHarness.Run(Declare(
            "[Optimizer(UpdateRule.Adam, LearningRate = -1, ElementType = typeof(int))]\n[Epsilon(0)]\n[Momentum(0.5)]\npublic partial class Opt;"));
        Assert.Equal(
            ["OPTG010", "OPTG012", "OPTG016", "OPTG017"],
            run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void Invalid_class_is_not_generated_but_valid_neighbours_are()
    {
        GeneratorRun run = GeneratorHarness.Run(
            Declare("[Optimizer(UpdateRule.Adam, LearningRate = -1)]\npublic partial class Broken;\n\n[Optimizer(UpdateRule.Sgd)]\npublic partial class SameFile;"),
            Declare("[Optimizer(UpdateRule.RMSprop)]\npublic partial class OtherFile;"),
            Declare("[Optimizer(UpdateRule.Sgd)]\npublic class NotPartial;"));

        Assert.Equal(["Demo.OtherFile.g.cs", "Demo.SameFile.g.cs"], run.HintNames.Order(StringComparer.Ordinal));
        Assert.Equal(["OPTG001", "OPTG010"], run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));

        // The only errors of the output are the user's: nothing generated refers to the broken classes.
        Assert.Empty(run.OutputProblems.Where(d => d.Location.SourceTree?.FilePath.StartsWith("/src/", StringComparison.Ordinal) != true));
    }

    [Fact]
    public void Warnings_are_reported_once_each_and_do_not_block_generation()
    {
        GeneratorRun run = GeneratorHarness.Run(Declare(
            "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 0.9, Second = 0.5)]\n[Epsilon(0.01)]\npublic partial class Opt;"));
        Assert.Equal(["OPTG020", "OPTG021"], run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Single(run.GeneratedSources);
        Assert.Empty(run.OutputProblems.Where(d => !d.Id.StartsWith("OPTG", StringComparison.Ordinal)));
    }

    [Fact]
    public void Diagnostic_in_second_file_points_into_that_file()
    {
        GeneratorRun run = GeneratorHarness.Run(
            Declare("[Optimizer(UpdateRule.Sgd)]\npublic partial class Fine;"),
            Declare("[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9)]\n[WeightDecay(-5)]\npublic partial class Bad;"));
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("/src/File1.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal("-5", GeneratorHarness.LocatedText(diagnostic, run.InputCompilation));
        Assert.Equal(6, diagnostic.Location.GetLineSpan().StartLinePosition.Line); // 0-based: the [WeightDecay] line.
    }

    internal static string Declare(string declaration) => $"using OptGen;\n\nnamespace Demo;\n\n{declaration}\n";
}
