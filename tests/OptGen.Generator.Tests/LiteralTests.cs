using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OptGen.Generator.Emit;

namespace OptGen.Generator.Tests;

/// <summary>
/// Emitted constants are exact and culture-invariant: <see cref="Literal"/> round-trips every value bit for bit (as
/// the C# compiler reads it, too), and the generator's output does not depend on the current culture.
/// </summary>
public sealed class LiteralTests
{
    public static readonly TheoryData<double> Doubles = new()
    {
        0.1, 1e-8, 0.9, 0.999, 1.0 / 3, 2.0 / 3, 1 - 0.9, 1 - 0.999, 1e-10, 3e-4, 0.0, -0.0, 1.0, -1.0, 10.0, 1e16, 123456789012345678.0,
        double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, 2.2250738585072014E-308, 4.9406564584124654E-324,
        Math.PI, Math.E, 0.30000000000000004, 9007199254740993.0, 1e300, 1e-300,
    };

    public static readonly TheoryData<float> Singles = new()
    {
        0.1f, 1e-8f, 0.9f, 0.999f, 1f / 3, 2f / 3, 1e-10f, 3e-4f, 0f, -0f, 1f, -1f, 16777216f, 16777217f, 1e30f,
        float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, 1.17549435E-38f, MathF.PI, (float)(1 - 0.9), (float)(1 - 0.999),
    };

    [Theory]
    [MemberData(nameof(Doubles))]
    public void Double_round_trips_exactly(double value)
    {
        string literal = Literal.Double(value);
        Assert.Equal(Bits(value), Bits(double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture)));
        Assert.True(literal.IndexOfAny(['.', 'E', 'e']) >= 0, $"'{literal}' would be an integer literal.");
        Assert.DoesNotContain(literal, c => c is ',' or '\u2212' or ' ' or 'f' or 'd');
        Assert.Equal(Bits(value), Bits((double)CompileConstant("double", literal)));
    }

    [Theory]
    [MemberData(nameof(Singles))]
    public void Single_round_trips_exactly(float value)
    {
        string literal = Literal.Single(value);
        Assert.EndsWith("f", literal, StringComparison.Ordinal);
        Assert.Equal(Bits(value), Bits(float.Parse(literal.TrimEnd('f'), NumberStyles.Float, CultureInfo.InvariantCulture)));
        Assert.DoesNotContain(literal, c => c is ',' or '\u2212' or ' ');
        Assert.Equal(Bits(value), Bits((float)CompileConstant("float", literal)));
    }

    [Fact]
    public void Negative_zero_keeps_its_sign()
    {
        Assert.Equal("-0.0", Literal.Double(-0.0));
        Assert.Equal("0.0", Literal.Double(0.0));
        Assert.Equal("-0f", Literal.Single(-0f));
        Assert.Equal("0f", Literal.Single(0f));
        Assert.True(double.IsNegative((double)CompileConstant("double", Literal.Double(-0.0))));
        Assert.True(float.IsNegative((float)CompileConstant("float", Literal.Single(-0f))));
    }

    [Fact]
    public void Shortest_form_is_used_when_it_is_exact()
    {
        Assert.Equal("0.1", Literal.Double(0.1));
        Assert.Equal("1E-08", Literal.Double(1e-8));
        Assert.Equal("0.999", Literal.Double(0.999));
        Assert.Equal("0.09999999999999998", Literal.Double(1 - 0.9));
        Assert.Equal("1.0", Literal.Double(1));
        Assert.Equal("5E-324", Literal.Double(double.Epsilon));
        Assert.Equal("1.7976931348623157E+308", Literal.Double(double.MaxValue));
        Assert.Equal("0.1f", Literal.Single(0.1f));
        Assert.Equal("1E-08f", Literal.Single(1e-8f));
        Assert.Equal("1f", Literal.Single(1f));
        Assert.Equal("1E-45f", Literal.Single(float.Epsilon));
        Assert.Equal("3.4028235E+38f", Literal.Single(float.MaxValue));
    }

    [Fact]
    public void Special_values_are_spelled_as_constants()
    {
        Assert.Equal("double.NaN", Literal.Double(double.NaN));
        Assert.Equal("double.PositiveInfinity", Literal.Double(double.PositiveInfinity));
        Assert.Equal("double.NegativeInfinity", Literal.Double(double.NegativeInfinity));
        Assert.Equal("float.NaN", Literal.Single(float.NaN));
        Assert.Equal("float.PositiveInfinity", Literal.Single(float.PositiveInfinity));
        Assert.Equal("float.NegativeInfinity", Literal.Single(float.NegativeInfinity));
        Assert.True(double.IsNaN((double)CompileConstant("double", Literal.Double(double.NaN))));
        Assert.Equal(double.NegativeInfinity, (double)CompileConstant("double", Literal.Double(double.NegativeInfinity)));
        Assert.Equal(float.PositiveInfinity, (float)CompileConstant("float", Literal.Single(float.PositiveInfinity)));
    }

    [Fact]
    public void Integers_are_invariant()
    {
        Assert.Equal("-12345", Literal.Integer(-12345));
        Assert.Equal("9223372036854775807", Literal.Integer(long.MaxValue));
    }

    [Fact]
    public void Literals_do_not_depend_on_the_current_culture()
    {
        double[] values = [-1.5, 1e-8, -1e-8, 0.1, 12345.678, double.MinValue, -0.0];
        string[] invariant = InCulture(CultureInfo.InvariantCulture, () => values.Select(Literal.Double).Concat(values.Select(v => Literal.Single((float)v))).ToArray());
        foreach (string name in new[] { "fi-FI", "de-DE", "tr-TR", "ar-SA", "fa-IR" })
        {
            CultureInfo culture = CultureInfo.GetCultureInfo(name);
            string[] local = InCulture(culture, () => values.Select(Literal.Double).Concat(values.Select(v => Literal.Single((float)v))).ToArray());
            Assert.Equal(invariant, local);
        }
    }

    [Fact]
    public void Generated_code_is_identical_in_every_culture()
    {
        const string Source = """
            using OptGen;

            namespace Demo;

            [Optimizer(UpdateRule.Adam, LearningRate = 1.5e-3)]
            [MomentDecay(First = 0.85, Second = 0.75)]
            [Epsilon(0.0125)]
            [WeightDecay(1e-4)]
            public partial class CultureAdam;

            [Optimizer(UpdateRule.AdaGrad, LearningRate = 0.05, ElementType = typeof(double))]
            [LearningRateDecay(1e-3)]
            [InitialAccumulator(0.25)]
            public partial class CultureAdaGrad;

            [Optimizer(UpdateRule.Sgd, LearningRate = -1)]
            public partial class CultureInvalid;
            """;

        // Preconditions: these cultures really format numbers differently (ICU is present), or the test proves nothing.
        CultureInfo finnish = CultureInfo.GetCultureInfo("fi-FI");
        Assert.Equal("\u2212", finnish.NumberFormat.NegativeSign);
        Assert.Equal(",", CultureInfo.GetCultureInfo("de-DE").NumberFormat.NumberDecimalSeparator);
        Assert.Equal("1E\u221208", 1e-8.ToString(finnish));
        Assert.Equal("\u22121,5", (-1.5).ToString(finnish));

        string Generate()
        {
            GeneratorRun run = GeneratorHarness.Run(Source);
            IEnumerable<string> sources = run.GeneratedSources.OrderBy(s => s.HintName, StringComparer.Ordinal)
                .Select(s => s.HintName + "\n" + s.SourceText.ToString());
            IEnumerable<string> messages = run.GeneratorDiagnostics.Select(d => d.Id + ": " + d.GetMessage(CultureInfo.InvariantCulture));
            return string.Join("\n=====\n", sources.Concat(messages));
        }

        string invariant = InCulture(CultureInfo.InvariantCulture, Generate);
        Assert.Contains("DefaultLearningRate = 0.0015;", invariant, StringComparison.Ordinal);
        Assert.Contains("OPTG010: Learning rate -1.0 is invalid", invariant, StringComparison.Ordinal);
        Assert.Contains("OPTG021: Epsilon 0.0125 is above", invariant, StringComparison.Ordinal);
        Assert.Contains("initialValues: [0.25]", invariant, StringComparison.Ordinal);

        foreach (string name in new[] { "fi-FI", "de-DE", "tr-TR" })
        {
            string local = InCulture(CultureInfo.GetCultureInfo(name), Generate);
            if (local != invariant)
            {
                Assert.Fail($"Output under {name} differs from the invariant culture:\n" + Snapshot.Diff(invariant, local, name));
            }
        }
    }

    [Fact]
    public void Hyperparameters_appear_as_exact_literals_of_the_element_type()
    {
        GeneratorRun run = GeneratorHarness.RunClean("""
            using OptGen;

            namespace Demo;

            [Optimizer(UpdateRule.Adam, LearningRate = 0.1)]
            [Epsilon(1e-08)]
            [WeightDecay(0.1)]
            public partial class ExactAdam;
            """);
        SyntaxTree generated = run.OutputCompilation.SyntaxTrees.Single(t => t.FilePath.EndsWith("Demo.ExactAdam.g.cs", StringComparison.Ordinal));
        SemanticModel model = run.OutputCompilation.GetSemanticModel(generated);
        SyntaxNode root = generated.GetRoot();

        // The update is written once against TLanes: each constant is one local, TLanes epsilon = TLanes.Create(<literal>),
        // and every float literal in it is exact.
        MethodDeclarationSyntax invoke = Method(root, "Invoke");
        Assert.Equal(Bits((float)1e-08), Bits(BroadcastConstant(model, invoke, "epsilon")));
        Assert.Equal(Bits((float)0.1), Bits(BroadcastConstant(model, invoke, "weightDecay")));
        foreach (SyntaxToken literal in invoke.DescendantTokens().Where(t => t.IsKind(SyntaxKind.NumericLiteralToken) && t.Value is float))
        {
            float parsed = float.Parse(literal.Text.TrimEnd('f', 'F'), NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.Equal(Bits((float)literal.Value!), Bits(parsed));
        }

        // The learning rate stays a double constant.
        VariableDeclaratorSyntax learningRate = root.DescendantNodes().OfType<VariableDeclaratorSyntax>().Single(v => v.Identifier.Text == "DefaultLearningRate");
        Assert.Equal(Bits(0.1), Bits((double)model.GetConstantValue(learningRate.Initializer!.Value).Value!));
    }

    private static MethodDeclarationSyntax Method(SyntaxNode root, string name) =>
        root.DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.Text == name);

    private static float BroadcastConstant(SemanticModel model, MethodDeclarationSyntax method, string local)
    {
        VariableDeclaratorSyntax declarator = method.DescendantNodes().OfType<VariableDeclaratorSyntax>().Single(v => v.Identifier.Text == local);
        var create = (InvocationExpressionSyntax)declarator.Initializer!.Value;
        Optional<object?> constant = model.GetConstantValue(create.ArgumentList.Arguments.Single().Expression);
        Assert.True(constant.HasValue, $"The argument of {local} is not a constant: {create}");
        return Assert.IsType<float>(constant.Value);
    }

    /// <summary>The value the C# compiler gives <paramref name="literal"/> as a constant of <paramref name="type"/>.</summary>
    private static object CompileConstant(string type, string literal)
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText($"static class C {{ public const {type} Value = {literal}; }}", GeneratorHarness.ParseOptions);
        CSharpCompilation compilation = CSharpCompilation.Create("Literal", [tree], GeneratorHarness.References, GeneratorHarness.CompilationOptions);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var field = (IFieldSymbol)compilation.GetTypeByMetadataName("C")!.GetMembers("Value").Single();
        return field.ConstantValue!;
    }

    private static T InCulture<T>(CultureInfo culture, Func<T> action)
    {
        CultureInfo culture0 = CultureInfo.CurrentCulture;
        CultureInfo uiCulture0 = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            return action();
        }
        finally
        {
            CultureInfo.CurrentCulture = culture0;
            CultureInfo.CurrentUICulture = uiCulture0;
        }
    }

    private static long Bits(double value) => BitConverter.DoubleToInt64Bits(value);

    private static int Bits(float value) => BitConverter.SingleToInt32Bits(value);
}
