using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using OptGen.Generator.Model;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace OptGen.Generator.Tests;

/// <summary>
/// The pipeline caches: edits that do not change an optimizer's declaration must not re-lower or re-emit it, and an
/// edit to one optimizer must re-emit only that one.
/// </summary>
public sealed class IncrementalityTests
{
    private const string AdamSource = """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam, LearningRate = 0.01)]
        [WeightDecay(0.1)]
        public partial class AdamOptimizer;
        """;

    private const string SgdSource = """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.5)]
        [Momentum(0.9)]
        public partial class SgdOptimizer;
        """;

    private const string UnrelatedSource = """
        namespace Demo;

        public static class Unrelated
        {
            public static int Answer() => 42;
        }
        """;

    private static readonly IncrementalStepRunReason[] s_notRecomputed = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void Adding_an_unrelated_file_recomputes_nothing()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(AdamSource, SgdSource);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        CSharpCompilation edited = compilation.AddSyntaxTrees(GeneratorHarness.Parse(UnrelatedSource, "/src/Unrelated.cs"));
        GeneratorDriverRunResult result = driver.RunGenerators(edited).GetRunResult();

        AssertNothingRecomputed(result, expectedModels: 2);
    }

    [Fact]
    public void Editing_an_unrelated_file_recomputes_nothing()
    {
        SyntaxTree unrelated = GeneratorHarness.Parse(UnrelatedSource, "/src/Unrelated.cs");
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(
            [GeneratorHarness.Parse(AdamSource, "/src/Adam.cs"), GeneratorHarness.Parse(SgdSource, "/src/Sgd.cs"), unrelated]);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        CSharpCompilation edited = compilation.ReplaceSyntaxTree(unrelated, Edit(unrelated, "=> 42", "=> 43"));
        GeneratorDriverRunResult result = driver.RunGenerators(edited).GetRunResult();

        AssertNothingRecomputed(result, expectedModels: 2);
    }

    [Fact]
    public void Editing_an_optimizer_file_without_changing_its_declaration_recomputes_nothing_downstream()
    {
        SyntaxTree adam = GeneratorHarness.Parse(AdamSource, "/src/Adam.cs");
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation([adam, GeneratorHarness.Parse(SgdSource, "/src/Sgd.cs")]);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        // A comment and a member inside the class: the parser runs again, but its result is equal, so nothing after it does.
        SyntaxTree edited = Edit(adam, "public partial class AdamOptimizer;", "// Tuned.\npublic partial class AdamOptimizer\n{\n    public int Extra => 1;\n}");
        GeneratorDriverRunResult result = driver.RunGenerators(compilation.ReplaceSyntaxTree(adam, edited)).GetRunResult();

        AssertNothingRecomputed(result, expectedModels: 2);
    }

    [Fact]
    public void Changing_one_attribute_argument_regenerates_only_that_optimizer()
    {
        SyntaxTree adam = GeneratorHarness.Parse(AdamSource, "/src/Adam.cs");
        SyntaxTree sgd = GeneratorHarness.Parse(SgdSource, "/src/Sgd.cs");
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation([adam, sgd]);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        GeneratorDriverRunResult before = driver.GetRunResult();

        CSharpCompilation edited = compilation.ReplaceSyntaxTree(sgd, Edit(sgd, "LearningRate = 0.5", "LearningRate = 0.25"));
        GeneratorDriverRunResult result = driver.RunGenerators(edited).GetRunResult();
        GeneratorRunResult run = result.Results.Single();

        // Lower: the SGD model is recomputed (Modified), the Adam model is not.
        var lower = LowerOutputs(run);
        Assert.Equal(2, lower.Count);
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(lower, o => ClassName(o.Value) == "SgdOptimizer").Reason);
        Assert.Contains(Assert.Single(lower, o => ClassName(o.Value) == "AdamOptimizer").Reason, s_notRecomputed);

        // The source outputs: one regenerated, one reused.
        var sources = SourceOutputs(run);
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(sources, o => ClassName(o.Value) == "SgdOptimizer").Reason);
        Assert.Contains(Assert.Single(sources, o => ClassName(o.Value) == "AdamOptimizer").Reason, s_notRecomputed);

        // And the texts: SGD's changed (new learning rate), Adam's is identical.
        Assert.Equal(Text(before, "Demo.AdamOptimizer.g.cs"), Text(result, "Demo.AdamOptimizer.g.cs"));
        Assert.Contains("DefaultLearningRate = 0.5;", Text(before, "Demo.SgdOptimizer.g.cs"), StringComparison.Ordinal);
        Assert.Contains("DefaultLearningRate = 0.25;", Text(result, "Demo.SgdOptimizer.g.cs"), StringComparison.Ordinal);
    }

    private const string RuleSource = """
        using OptGen;

        namespace Demo;

        [Optimizer(LearningRate = 0.01)]
        public partial class RuleOptimizer
        {
            const float Beta = 0.9f;

            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float velocity)
            {
                velocity = velocity * Beta + gradient;
                parameter -= 0.01f * velocity;
            }

            // Not the rule: editing it changes no model.
            static int Helper() => 1;
        }
        """;

    [Fact]
    public void Editing_an_element_rule_regenerates_only_that_optimizer_and_other_edits_in_its_file_nothing()
    {
        SyntaxTree adam = GeneratorHarness.Parse(AdamSource, "/src/Adam.cs");
        SyntaxTree rule = GeneratorHarness.Parse(RuleSource, "/src/Rule.cs");
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation([adam, rule]);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        GeneratorDriverRunResult before = driver.GetRunResult();

        // The body: the rule's model and source change, Adam's do not.
        SyntaxTree editedRule = Edit(rule, "0.01f * velocity", "0.02f * velocity");
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(rule, editedRule);
        driver = driver.RunGenerators(edited);
        GeneratorDriverRunResult result = driver.GetRunResult();
        GeneratorRunResult run = result.Results.Single();
        var lower = LowerOutputs(run);
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(lower, o => ClassName(o.Value) == "RuleOptimizer").Reason);
        Assert.Contains(Assert.Single(lower, o => ClassName(o.Value) == "AdamOptimizer").Reason, s_notRecomputed);
        Assert.Equal(Text(before, "Demo.AdamOptimizer.g.cs"), Text(result, "Demo.AdamOptimizer.g.cs"));
        Assert.NotEqual(Text(before, "Demo.RuleOptimizer.g.cs"), Text(result, "Demo.RuleOptimizer.g.cs"));

        // Another member of the same class: parsed again, but the model is equal, so nothing downstream recomputes.
        GeneratorDriverRunResult helper = driver.RunGenerators(edited.ReplaceSyntaxTree(editedRule, Edit(editedRule, "=> 1;", "=> 2;"))).GetRunResult();
        AssertNothingRecomputed(helper, expectedModels: 2);
    }

    [Fact]
    public void Adding_an_option_attribute_to_one_optimizer_regenerates_only_that_optimizer()
    {
        SyntaxTree adam = GeneratorHarness.Parse(AdamSource, "/src/Adam.cs");
        SyntaxTree sgd = GeneratorHarness.Parse(SgdSource, "/src/Sgd.cs");
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation([adam, sgd]);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        CSharpCompilation edited = compilation.ReplaceSyntaxTree(adam, Edit(adam, "[WeightDecay(0.1)]", "[WeightDecay(0.1)]\n[AmsGrad]"));
        GeneratorRunResult run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var lower = LowerOutputs(run);
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(lower, o => ClassName(o.Value) == "AdamOptimizer").Reason);
        Assert.Contains(Assert.Single(lower, o => ClassName(o.Value) == "SgdOptimizer").Reason, s_notRecomputed);
        Assert.Contains("max_exp_avg_sq", run.GeneratedSources.Single(s => s.HintName == "Demo.AdamOptimizer.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Fixing_an_invalid_declaration_generates_it_and_clears_its_diagnostic()
    {
        SyntaxTree sgd = GeneratorHarness.Parse(SgdSource.Replace("LearningRate = 0.5", "LearningRate = -0.5", StringComparison.Ordinal), "/src/Sgd.cs");
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation([GeneratorHarness.Parse(AdamSource, "/src/Adam.cs"), sgd]);
        GeneratorRun first = GeneratorHarness.Run(compilation);
        Assert.Equal("OPTG010", Assert.Single(first.GeneratorDiagnostics).Id);
        Assert.Equal(["Demo.AdamOptimizer.g.cs"], first.HintNames);

        GeneratorRun second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(sgd, Edit(sgd, "-0.5", "0.5")), first.Driver);
        second.AssertClean();
        Assert.Equal(["Demo.AdamOptimizer.g.cs", "Demo.SgdOptimizer.g.cs"], second.HintNames.Order(StringComparer.Ordinal));
        Assert.Contains(
            Assert.Single(LowerOutputs(second.Result.Results.Single()), o => ClassName(o.Value) == "AdamOptimizer").Reason,
            s_notRecomputed);
    }

    [Fact]
    public void Moving_a_declaration_with_a_warning_moves_the_warning_without_regenerating_code()
    {
        SyntaxTree adam = GeneratorHarness.Parse(AdamSource.Replace("[WeightDecay(0.1)]", "[Epsilon(0.01)]", StringComparison.Ordinal), "/src/Adam.cs");
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation([adam, GeneratorHarness.Parse(SgdSource, "/src/Sgd.cs")]);
        GeneratorRun first = GeneratorHarness.Run(compilation);
        Assert.Equal(5, Assert.Single(first.GeneratorDiagnostics).Location.GetLineSpan().StartLinePosition.Line);

        GeneratorRun second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(adam, Edit(adam, "using OptGen;", "// Moved down.\n\nusing OptGen;")), first.Driver);
        GeneratorRunResult run = second.Result.Results.Single();

        // The diagnostic moved with the code: the parse result changed, so its diagnostics are reported again.
        Diagnostic moved = Assert.Single(second.GeneratorDiagnostics);
        Assert.Equal("OPTG021", moved.Id);
        Assert.Equal(7, moved.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Contains(
            run.TrackedSteps[TrackingNames.Diagnostics].SelectMany(step => step.Outputs),
            output => output.Reason == IncrementalStepRunReason.Modified);

        // But the model is equal, so nothing is lowered or emitted again.
        Assert.All(LowerOutputs(run), output => Assert.Contains(output.Reason, s_notRecomputed));
        Assert.All(SourceOutputs(run), output => Assert.Contains(output.Reason, s_notRecomputed));
    }

    private static void AssertNothingRecomputed(GeneratorDriverRunResult result, int expectedModels)
    {
        GeneratorRunResult run = result.Results.Single();
        Assert.Null(run.Exception);

        // Every step the generator tracks, and every output, is cached or recomputed to an equal value.
        Assert.NotEmpty(run.TrackedSteps);
        foreach (KeyValuePair<string, ImmutableArray<IncrementalGeneratorRunStep>> steps in run.TrackedSteps.Where(s => IsOurs(s.Key)))
        {
            foreach (IncrementalGeneratorRunStep step in steps.Value)
            {
                Assert.All(step.Outputs, output => Assert.True(
                    s_notRecomputed.Contains(output.Reason),
                    $"Step '{steps.Key}' produced {output.Reason}: {output.Value}"));
            }
        }

        foreach (KeyValuePair<string, ImmutableArray<IncrementalGeneratorRunStep>> steps in run.TrackedOutputSteps)
        {
            foreach (IncrementalGeneratorRunStep step in steps.Value)
            {
                Assert.All(step.Outputs, output => Assert.True(
                    s_notRecomputed.Contains(output.Reason),
                    $"Output '{steps.Key}' produced {output.Reason}: {output.Value}"));
            }
        }

        // The Lower step ran over both models, without recomputing either (not vacuous).
        var lower = LowerOutputs(run);
        Assert.Equal(expectedModels, lower.Count);
        Assert.All(lower, output => Assert.Contains(output.Reason, s_notRecomputed));
        Assert.Equal(expectedModels, SourceOutputs(run).Count);
        Assert.Equal(expectedModels, run.GeneratedSources.Length);
    }

    private static bool IsOurs(string stepName) =>
        stepName is TrackingNames.Parse or TrackingNames.Diagnostics or TrackingNames.Lower or TrackingNames.HintNames;

    /// <summary>The outputs of the Lower step: one <see cref="GenerationModel"/> per valid optimizer.</summary>
    private static List<(object Value, IncrementalStepRunReason Reason)> LowerOutputs(GeneratorRunResult run)
    {
        Assert.True(run.TrackedSteps.ContainsKey(TrackingNames.Lower), "No Lower step was tracked: " + string.Join(", ", run.TrackedSteps.Keys));
        return run.TrackedSteps[TrackingNames.Lower].SelectMany(step => step.Outputs).ToList();
    }

    /// <summary>The source outputs of the emit node, keyed by the model they were produced from.</summary>
    private static List<(object Value, IncrementalStepRunReason Reason)> SourceOutputs(GeneratorRunResult run) =>
        run.TrackedOutputSteps
            .SelectMany(steps => steps.Value)
            .Where(step => step.Inputs.Length == 1 && Model(step.Inputs[0].Source.Outputs[step.Inputs[0].OutputIndex].Value) is not null)
            .SelectMany(step => step.Outputs.Select(o => ((object)Model(step.Inputs[0].Source.Outputs[step.Inputs[0].OutputIndex].Value)!, o.Reason)))
            .ToList();

    // The emit node's input is the model combined with the project's kernel options and the hint-name conflicts.
    private static GenerationModel? Model(object value) => value switch
    {
        GenerationModel model => model,
        ValueTuple<GenerationModel, KernelOptions> combined => combined.Item1,
        ValueTuple<ValueTuple<GenerationModel, KernelOptions>, HintNameConflicts> combined => combined.Item1.Item1,
        _ => null,
    };

    private static string ClassName(object model) => ((GenerationModel)model).Spec.ClassName;

    private static string Text(GeneratorDriverRunResult result, string hintName) =>
        result.Results.Single().GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

    private static SyntaxTree Edit(SyntaxTree tree, string find, string replace)
    {
        SourceText text = tree.GetText();
        int start = text.ToString().IndexOf(find, StringComparison.Ordinal);
        Assert.True(start >= 0, $"'{find}' is not in {tree.FilePath}");
        return tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(start, find.Length), replace)));
    }
}
