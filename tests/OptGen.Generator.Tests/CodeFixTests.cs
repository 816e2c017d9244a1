using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using OptGen.CodeFixes;
using OptGen.Generator.Diagnostics;

namespace OptGen.Generator.Tests;

/// <summary>
/// The code fixes of OPTG001, OPTG002 and OPTG016, run by Roslyn's code-fix test framework on the diagnostics of the
/// generator itself: each fix at the exact span of its diagnostic, then all of them at once (document, project and
/// solution), and the fixed code compiled with the generator, which must then report nothing.
/// </summary>
public sealed class CodeFixTests
{
    [Fact]
    public void Fixable_ids_are_the_generators()
    {
        Assert.Equal(DiagnosticIds.ClassMustBePartial, DiagnosticDescriptors.ClassMustBePartial.Id);
        Assert.Equal(DiagnosticIds.ContainingTypeMustBePartial, DiagnosticDescriptors.ContainingTypeMustBePartial.Id);
        Assert.Equal(DiagnosticIds.NotApplicable, DiagnosticDescriptors.NotApplicable.Id);
    }

    // OPTG001: the optimizer class.

    [Fact]
    public Task Partial_goes_after_the_other_modifiers() => VerifyAsync<MakePartialCodeFixProvider>(
        """
        using OptGen;

        [Optimizer(UpdateRule.Adam)]
        public sealed class {|OPTG001:Opt|};
        """,
        """
        using OptGen;

        [Optimizer(UpdateRule.Adam)]
        public sealed partial class Opt;
        """);

    [Fact]
    public Task Partial_takes_the_place_of_the_class_keyword_without_modifiers() => VerifyAsync<MakePartialCodeFixProvider>(
        """
        using OptGen;

        namespace Training
        {
            [Optimizer(UpdateRule.Sgd)]
            class {|OPTG001:Opt|}
            {
            }
        }
        """,
        """
        using OptGen;

        namespace Training
        {
            [Optimizer(UpdateRule.Sgd)]
            partial class Opt
            {
            }
        }
        """);

    [Fact]
    public Task Partial_keeps_a_doc_comment_in_front() => VerifyAsync<MakePartialCodeFixProvider>(
        """
        using OptGen;

        /// <summary>Adam.</summary>
        [Optimizer(UpdateRule.Adam)]
        internal class {|OPTG001:Opt|} { }
        """,
        """
        using OptGen;

        /// <summary>Adam.</summary>
        [Optimizer(UpdateRule.Adam)]
        internal partial class Opt { }
        """);

    [Fact]
    public Task Fix_all_makes_every_optimizer_partial() => VerifyAsync<MakePartialCodeFixProvider>(
        [
            """
            using OptGen;

            [Optimizer(UpdateRule.Adam)]
            public class {|OPTG001:First|};

            [Optimizer(UpdateRule.Sgd)]
            public sealed class {|OPTG001:Second|};
            """,
            """
            using OptGen;

            [Optimizer(UpdateRule.RMSprop)]
            internal class {|OPTG001:Third|};
            """,
        ],
        [
            """
            using OptGen;

            [Optimizer(UpdateRule.Adam)]
            public partial class First;

            [Optimizer(UpdateRule.Sgd)]
            public sealed partial class Second;
            """,
            """
            using OptGen;

            [Optimizer(UpdateRule.RMSprop)]
            internal partial class Third;
            """,
        ]);

    // OPTG002: a type that contains the optimizer.

    [Fact]
    public Task Containing_class_becomes_partial() => VerifyAsync<MakePartialCodeFixProvider>(
        """
        using OptGen;

        public class {|OPTG002:Outer|}
        {
            [Optimizer(UpdateRule.Sgd)]
            public partial class Opt;
        }
        """,
        """
        using OptGen;

        public partial class Outer
        {
            [Optimizer(UpdateRule.Sgd)]
            public partial class Opt;
        }
        """);

    [Fact]
    public Task Containing_struct_and_record_become_partial() => VerifyAsync<MakePartialCodeFixProvider>(
        """
        using OptGen;

        public static partial class Models
        {
            internal readonly struct {|OPTG002:Layer|}
            {
                [Optimizer(UpdateRule.Sgd)]
                public partial class Opt;
            }

            internal sealed record {|OPTG002:Head|}
            {
                [Optimizer(UpdateRule.Adam)]
                public partial class Opt;
            }
        }
        """,
        """
        using OptGen;

        public static partial class Models
        {
            internal readonly partial struct Layer
            {
                [Optimizer(UpdateRule.Sgd)]
                public partial class Opt;
            }

            internal sealed partial record Head
            {
                [Optimizer(UpdateRule.Adam)]
                public partial class Opt;
            }
        }
        """);

    [Fact]
    public Task Containing_type_of_two_optimizers_is_fixed_once()
    {
        // Each optimizer reports the containing type: two diagnostics at one span, one fix.
        var test = CreateTest<MakePartialCodeFixProvider>(
            [
                """
                using OptGen;

                public class {|#0:Outer|}
                {
                    [Optimizer(UpdateRule.Sgd)]
                    public partial class A;

                    [Optimizer(UpdateRule.Adam)]
                    public partial class B;
                }
                """,
            ],
            [
                """
                using OptGen;

                public partial class Outer
                {
                    [Optimizer(UpdateRule.Sgd)]
                    public partial class A;

                    [Optimizer(UpdateRule.Adam)]
                    public partial class B;
                }
                """,
            ]);
        test.TestState.ExpectedDiagnostics.Add(new DiagnosticResult(DiagnosticIds.ContainingTypeMustBePartial, DiagnosticSeverity.Error).WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
        test.TestState.ExpectedDiagnostics.Add(new DiagnosticResult(DiagnosticIds.ContainingTypeMustBePartial, DiagnosticSeverity.Error).WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
        return RunAsync(test);
    }

    [Fact]
    public Task Optimizer_and_containing_type_are_fixed_by_their_own_fixes()
    {
        var test = CreateTest<MakePartialCodeFixProvider>(
            [
                """
                using OptGen;

                public class {|OPTG002:Outer|}
                {
                    [Optimizer(UpdateRule.Sgd)]
                    public class {|OPTG001:Opt|};
                }
                """,
            ],
            [
                """
                using OptGen;

                public partial class Outer
                {
                    [Optimizer(UpdateRule.Sgd)]
                    public partial class Opt;
                }
                """,
            ]);

        // Fix all of one takes one iteration per fix: their equivalence keys differ.
        test.NumberOfFixAllIterations = 2;
        return RunAsync(test);
    }

    [Fact]
    public async Task Each_partial_fix_has_its_own_equivalence_key()
    {
        // A fix chosen by its equivalence key, one at a time or all at once, leaves the other diagnostic as it was.
        const string Source = """
            using OptGen;

            public class {|OPTG002:Outer|}
            {
                [Optimizer(UpdateRule.Sgd)]
                public class {|OPTG001:Opt|};
            }
            """;
        var optimizerOnly = CreateTest<MakePartialCodeFixProvider>([Source], [
            """
            using OptGen;

            public class {|OPTG002:Outer|}
            {
                [Optimizer(UpdateRule.Sgd)]
                public partial class Opt;
            }
            """,
        ]);
        optimizerOnly.FixedState.MarkupHandling = MarkupMode.Allow;
        optimizerOnly.CodeActionEquivalenceKey = MakePartialCodeFixProvider.MakeOptimizerPartialKey;
        await RunAsync(optimizerOnly);

        var containingOnly = CreateTest<MakePartialCodeFixProvider>([Source], [
            """
            using OptGen;

            public partial class Outer
            {
                [Optimizer(UpdateRule.Sgd)]
                public class {|OPTG001:Opt|};
            }
            """,
        ]);
        containingOnly.FixedState.MarkupHandling = MarkupMode.Allow;
        containingOnly.CodeActionEquivalenceKey = MakePartialCodeFixProvider.MakeContainingTypePartialKey;
        await RunAsync(containingOnly);
    }

    // OPTG016 on a whole attribute.

    [Fact]
    public Task Attribute_on_its_own_line_goes_with_the_line() => VerifyAsync<RemoveNotApplicableOptionCodeFixProvider>(
        """
        using OptGen;

        [Optimizer(UpdateRule.Sgd)]
        [{|OPTG016:Epsilon(1e-8)|}]
        public partial class Opt;
        """,
        """
        using OptGen;

        [Optimizer(UpdateRule.Sgd)]
        public partial class Opt;
        """);

    [Fact]
    public Task Attribute_before_the_optimizer_keeps_the_doc_comment_and_indentation() => VerifyAsync<RemoveNotApplicableOptionCodeFixProvider>(
        """
        using OptGen;

        namespace Training
        {
            /// <summary>Plain SGD.</summary>
            // Tuned on the digits sample.
            [{|OPTG016:AmsGrad|}]
            [Optimizer(UpdateRule.Sgd)]
            public partial class Opt;
        }
        """,
        """
        using OptGen;

        namespace Training
        {
            /// <summary>Plain SGD.</summary>
            // Tuned on the digits sample.
            [Optimizer(UpdateRule.Sgd)]
            public partial class Opt;
        }
        """);

    [Fact]
    public Task Attribute_in_a_list_leaves_the_others() => VerifyAsync<RemoveNotApplicableOptionCodeFixProvider>(
        """
        using OptGen;

        [Optimizer(UpdateRule.Adam), {|OPTG016:Momentum(0.9)|}]
        public partial class A;

        [{|OPTG016:Centered|}, Optimizer(UpdateRule.AdamW)]
        public partial class B;
        """,
        """
        using OptGen;

        [Optimizer(UpdateRule.Adam)]
        public partial class A;

        [Optimizer(UpdateRule.AdamW)]
        public partial class B;
        """);

    [Fact]
    public Task Attribute_sharing_a_line_leaves_the_line() => VerifyAsync<RemoveNotApplicableOptionCodeFixProvider>(
        """
        using OptGen;

        [{|OPTG016:LearningRateDecay(0.1)|}] [Optimizer(UpdateRule.Adam)] public partial class A;

        [Optimizer(UpdateRule.RMSprop)] [{|OPTG016:BiasCorrection(false)|}]
        public partial class B;

        [Optimizer(UpdateRule.Sgd)] [{|OPTG016:MomentDecay(Second = 0.99)|}] public partial class C;
        """,
        """
        using OptGen;

        [Optimizer(UpdateRule.Adam)] public partial class A;

        [Optimizer(UpdateRule.RMSprop)]
        public partial class B;

        [Optimizer(UpdateRule.Sgd)] public partial class C;
        """);

    // OPTG016 on one named argument.

    [Fact]
    public Task Only_argument_goes_with_the_parentheses() => VerifyAsync<RemoveNotApplicableOptionCodeFixProvider>(
        """
        using OptGen;

        [Optimizer(UpdateRule.RMSprop)]
        [MomentDecay({|OPTG016:First = 0.9|})]
        public partial class Opt;
        """,
        """
        using OptGen;

        [Optimizer(UpdateRule.RMSprop)]
        [MomentDecay]
        public partial class Opt;
        """);

    [Fact]
    public Task Argument_leaves_the_others_and_their_separators() => VerifyAsync<RemoveNotApplicableOptionCodeFixProvider>(
        """
        using OptGen;

        [Optimizer(UpdateRule.RMSprop)]
        [MomentDecay({|OPTG016:First = 0.9|}, Second = 0.95)]
        public partial class A;

        [Optimizer(UpdateRule.AdamW)]
        [WeightDecay(0.01, {|OPTG016:Decoupled = false|})]
        public partial class B;
        """,
        """
        using OptGen;

        [Optimizer(UpdateRule.RMSprop)]
        [MomentDecay(Second = 0.95)]
        public partial class A;

        [Optimizer(UpdateRule.AdamW)]
        [WeightDecay(0.01)]
        public partial class B;
        """);

    [Fact]
    public Task Arguments_on_their_own_lines_go_with_their_lines() => VerifyAsync<RemoveNotApplicableOptionCodeFixProvider>(
        """
        using OptGen;

        [Optimizer(UpdateRule.RMSprop)]
        [Momentum(
            0.9,
            {|OPTG016:Dampening = 0.1|},
            {|OPTG016:Nesterov = false|})]
        public partial class Opt;
        """,
        """
        using OptGen;

        [Optimizer(UpdateRule.RMSprop)]
        [Momentum(
            0.9)]
        public partial class Opt;
        """);

    [Fact]
    public Task Fix_all_removes_neighbouring_options_together() => VerifyAsync<RemoveNotApplicableOptionCodeFixProvider>(
        [
            """
            using OptGen;

            [Optimizer(UpdateRule.Sgd), {|OPTG016:Epsilon(1e-8)|}, {|OPTG016:AmsGrad|}]
            [{|OPTG016:Centered|}]
            [{|OPTG016:BiasCorrection|}]
            public partial class A;

            [Optimizer(UpdateRule.RMSprop)]
            [Momentum(0.9, {|OPTG016:Dampening = 0.1|}, {|OPTG016:Nesterov = false|})]
            [MomentDecay({|OPTG016:First = 0.9|}, Second = 0.99)]
            public partial class B;
            """,
            """
            using OptGen;

            [Optimizer(UpdateRule.AdaGrad)] [{|OPTG016:Momentum(0.9, Dampening = 0.1)|}] [{|OPTG016:MomentDecay(First = 0.9)|}]
            public partial class C;
            """,
        ],
        [
            """
            using OptGen;

            [Optimizer(UpdateRule.Sgd)]
            public partial class A;

            [Optimizer(UpdateRule.RMSprop)]
            [Momentum(0.9)]
            [MomentDecay(Second = 0.99)]
            public partial class B;
            """,
            """
            using OptGen;

            [Optimizer(UpdateRule.AdaGrad)]
            public partial class C;
            """,
        ]);

    // Where no fix is offered.

    [Theory]
    [InlineData("[Optimizer(UpdateRule.Sgd)]\n[Epsilon(1e-8)]\npublic partial class Opt;", "Optimizer(UpdateRule.Sgd)")]
    [InlineData("[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9)]\npublic partial class Opt;", "0.9")]
    [InlineData("[OptGen.Optimizer(UpdateRule.Sgd)]\npublic partial class Opt;", "OptGen.Optimizer(UpdateRule.Sgd)")]
    [InlineData("[Optimizer(UpdateRule.Sgd)]\n[Epsilon(1e-8)]\npublic partial class Opt;", "[Epsilon(1e-8)]")]
    [InlineData("[Optimizer(UpdateRule.Sgd)]\n[Epsilon(1e-8)]\npublic partial class Opt;", "Epsilon")]
    public void Nothing_to_remove_at_the_optimizer_a_positional_argument_or_another_span(string source, string located)
    {
        SyntaxNode root = CSharpSyntaxTree.ParseText("using OptGen;\n" + source).GetRoot();
        int start = root.ToFullString().IndexOf(located, StringComparison.Ordinal);
        Assert.Null(OptionRemoval.FindRemovable(root, new TextSpan(start, located.Length)));
    }

    [Theory]
    [InlineData("Epsilon(1e-8)", "Remove [Epsilon]")]
    [InlineData("Decoupled = false", "Remove 'Decoupled = false'")]
    public void Titles_name_what_goes(string located, string title)
    {
        SyntaxNode root = CSharpSyntaxTree.ParseText("[Optimizer(UpdateRule.AdamW)]\n[Epsilon(1e-8)]\n[WeightDecay(0.1, Decoupled = false)]\npublic partial class Opt;").GetRoot();
        int start = root.ToFullString().IndexOf(located, StringComparison.Ordinal);
        SyntaxNode? removable = OptionRemoval.FindRemovable(root, new TextSpan(start, located.Length));
        Assert.NotNull(removable);
        Assert.Equal(title, OptionRemoval.Title(removable!));
    }

    private static Task VerifyAsync<TCodeFix>(string source, string fixedSource)
        where TCodeFix : CodeFixProvider, new() =>
        VerifyAsync<TCodeFix>([source], [fixedSource]);

    private static Task VerifyAsync<TCodeFix>(string[] sources, string[] fixedSources)
        where TCodeFix : CodeFixProvider, new() =>
        RunAsync(CreateTest<TCodeFix>(sources, fixedSources));

    private static Test<TCodeFix> CreateTest<TCodeFix>(string[] sources, string[] fixedSources)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new Test<TCodeFix>();
        foreach (string source in sources)
        {
            test.TestState.Sources.Add(source);
        }

        foreach (string source in fixedSources)
        {
            test.FixedState.Sources.Add(source);
        }

        return test;
    }

    /// <summary>
    /// Runs <paramref name="test"/>, which checks the fixed state has no diagnostic left (the generator's, or a compiler
    /// error), then compiles the fixed sources with the generator again and requires generated code, no diagnostic and
    /// no warning.
    /// </summary>
    private static async Task RunAsync<TCodeFix>(Test<TCodeFix> test)
        where TCodeFix : CodeFixProvider, new()
    {
        await test.RunAsync();

        var fixedSources = new List<string>();
        foreach ((string _, SourceText text) in test.FixedState.Sources)
        {
            fixedSources.Add(text.ToString());
        }

        // A fixed state that still expects diagnostics (one fix of several) is not meant to compile clean.
        if (!fixedSources.Exists(s => s.Contains("{|", StringComparison.Ordinal)))
        {
            GeneratorRun run = GeneratorHarness.RunClean([.. fixedSources]);
            Assert.NotEmpty(run.GeneratedSources);
        }
    }

    /// <summary>
    /// A code-fix test whose diagnostics come from <see cref="OptimizerGenerator"/> (the framework runs the generator and
    /// adds its diagnostics to the analyzers'), compiled as <see cref="GeneratorHarness"/> compiles: .NET 10 and the
    /// OptGen runtime, C# latest, nullable enabled.
    /// </summary>
    private sealed class Test<TCodeFix> : CSharpCodeFixTest<EmptyDiagnosticAnalyzer, TCodeFix, DefaultVerifier>
        where TCodeFix : CodeFixProvider, new()
    {
        public Test()
        {
            // The references come from Basic.Reference.Assemblies, not from a reference pack the framework would download.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References);

            // The fixed code generates an optimizer; what it generates is the snapshot tests' business.
            TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        }

        protected override IEnumerable<Type> GetSourceGenerators() => [typeof(OptimizerGenerator)];

        protected override ParseOptions CreateParseOptions() => GeneratorHarness.ParseOptions;

        protected override CompilationOptions CreateCompilationOptions() => GeneratorHarness.CompilationOptions;
    }
}
