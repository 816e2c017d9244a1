using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace OptGen.Generator.Tests;

/// <summary>
/// Generator bugs found while writing these tests. Each test states the correct behaviour and fails today, so it is
/// skipped; remove the Skip when the generator is fixed.
/// </summary>
public sealed class KnownIssueTests
{
    private const string Open = "Known generator bug (see KnownIssueTests): ";

    [Fact(Skip = Open + "verbatim class names are emitted without '@' (`partial class class`), so the generated code does not compile.")]
    public void Verbatim_identifier_class_name_compiles()
    {
        GeneratorRun run = GeneratorHarness.Run("using OptGen;\n\nnamespace Demo;\n\n[Optimizer(UpdateRule.Sgd)]\npublic partial class @class;\n");
        run.AssertClean();
    }

    [Fact(Skip = Open + "a namespace written with '@' (e.g. `namespace @event`) gives an invalid hint name; AddSource throws, the generator "
        + "fails with CS8785 and no optimizer of the whole compilation is generated.")]
    public void Verbatim_identifier_namespace_does_not_break_the_generator()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using OptGen;\n\nnamespace @event;\n\n[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt;\n",
            "using OptGen;\n\nnamespace Other;\n\n[Optimizer(UpdateRule.Adam)]\npublic partial class Fine;\n");
        Assert.Null(run.Exception);
        Assert.Equal(2, run.GeneratedSources.Count);
        run.AssertClean();
    }

    [Fact(Skip = Open + "generated code uses unqualified framework names (Math, MathF, Unsafe, Vector128, MemoryMarshal, Array, ...), so a "
        + "namespace segment or user type of the same name (`namespace Company.Math`) breaks it: CS0234 'Pow' does not exist in namespace 'Company.Math'.")]
    public void Framework_names_are_not_captured_by_user_namespaces_or_types()
    {
        GeneratorHarness.Run("using OptGen;\n\nnamespace Company.Math;\n\n[Optimizer(UpdateRule.Adam)]\npublic partial class Opt;\n").AssertClean();
        GeneratorHarness.Run("using OptGen;\n\nnamespace Demo;\n\ninternal static class Unsafe;\n\n[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt;\n").AssertClean();
        GeneratorHarness.Run("using OptGen;\n\nnamespace Demo;\n\npublic partial class Outer\n{\n    private sealed class Vector128;\n\n    [Optimizer(UpdateRule.Sgd)]\n    public partial class Opt;\n}\n").AssertClean();
    }

    [Fact(Skip = Open + "diagnostics are re-created with Location.Create(path, span, lineSpan), an external-file location without a syntax "
        + "tree, so `#pragma warning disable OPTG021` (or OPTG020) around the attribute does not suppress them.")]
    public void Pragma_suppresses_warnings()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using OptGen;\n\nnamespace Demo;\n\n[Optimizer(UpdateRule.Adam)]\n#pragma warning disable OPTG021\n[Epsilon(0.1)]\n#pragma warning restore OPTG021\npublic partial class Opt;\n");
        Assert.Empty(run.GeneratorDiagnostics);
    }

    [Fact(Skip = Open + "an undefined EpsilonPlacement such as (EpsilonPlacement)5 is accepted silently (and treated as InsideSquareRoot), "
        + "while an undefined UpdateRule is reported as OPTG018.")]
    public void Undefined_epsilon_placement_is_reported()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using OptGen;\n\nnamespace Demo;\n\n[Optimizer(UpdateRule.AdaGrad)]\n[Epsilon(1e-10, Placement = (EpsilonPlacement)5)]\npublic partial class Opt;\n");
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("OPTG018", diagnostic.Id);
        Assert.Equal("Placement = (EpsilonPlacement)5", GeneratorHarness.LocatedText(diagnostic, run.InputCompilation));
        Assert.Empty(run.GeneratedSources);
    }

    [Fact(Skip = Open + "a non-generic class nested in a generic type is rejected with OPTG003 \"Optimizer 'Opt' cannot be generic\" "
        + "(INamedTypeSymbol.IsGenericType is also true for the containing type's parameters), although Parser keeps the containing type's "
        + "type parameter list as if this were supported. Either support it (the hint name must then avoid '<' '>') or say the containing type is generic.")]
    public void Class_nested_in_generic_type_is_generated_or_reported_accurately()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using OptGen;\n\nnamespace Demo;\n\npublic partial class Outer<T>\n{\n    [Optimizer(UpdateRule.Sgd)]\n    public partial class Opt;\n}\n");
        run.AssertClean();
        Assert.Single(run.GeneratedSources);
    }

    [Fact(Skip = Open + "a positional argument written with its parameter name ([Epsilon(value: 0.5)]) is not found by ArgumentLocation "
        + "(it skips arguments with a NameColon), so the diagnostic falls back to the whole attribute.")]
    public void Named_positional_argument_is_located()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using OptGen;\n\nnamespace Demo;\n\n[Optimizer(UpdateRule.Adam)]\n[WeightDecay(value: -1)]\npublic partial class Opt;\n");
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("value: -1", GeneratorHarness.LocatedText(diagnostic, run.InputCompilation));
    }

    [Fact(Skip = Open + "IOptimizer.LearningRate is documented as 'the learning rate the next Step will use', but the generated property "
        + "returns the base learning rate; with [LearningRateDecay] AdaGrad's next step uses lr / (1 + (t - 1)·decay).")]
    public void AdaGrad_learning_rate_reports_the_decayed_rate_of_the_next_step()
    {
        GeneratorRun run = GeneratorHarness.RunClean(
            "using OptGen;\n\nnamespace Demo;\n\n[Optimizer(UpdateRule.AdaGrad, LearningRate = 0.1, ElementType = typeof(double))]\n[LearningRateDecay(0.5)]\npublic partial class Decayed;\n");
        using LoadedAssembly loaded = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
        IOptimizer<double> optimizer = loaded.Create<IOptimizer<double>>("Demo.Decayed", 1);
        Assert.Equal(0.1, optimizer.LearningRate);
        optimizer.Step(new double[] { 1 }, new double[] { 1 });
        Assert.Equal(0.1 / (1 + (1 * 0.5)), optimizer.LearningRate); // step t = 2
    }

    [Fact(Skip = Open + "OPTG011 for Momentum.Dampening says the value 'must be at least 0 and less than 1', but the check (rightly, as "
        + "PyTorch) accepts 1; the message is wrong for dampening.")]
    public void Dampening_message_states_the_accepted_range()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using OptGen;\n\nnamespace Demo;\n\n[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9, Dampening = 1.5)]\npublic partial class Opt;\n");
        string message = Assert.Single(run.GeneratorDiagnostics).GetMessage(CultureInfo.InvariantCulture);
        Assert.DoesNotContain("less than 1", message, StringComparison.Ordinal);
    }
}
