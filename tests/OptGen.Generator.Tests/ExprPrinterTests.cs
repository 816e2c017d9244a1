using OptGen.Generator.Emit;
using OptGen.Generator.Ir;

namespace OptGen.Generator.Tests;

/// <summary>
/// The one expression printer in its three styles (readable formulas, per-step C# in double, lanes C#): parentheses
/// exactly where the tree needs them, since floating-point arithmetic is not associative and the printed shape is the
/// evaluated shape.
/// </summary>
public sealed class ExprPrinterTests
{
    private static readonly Expr A = Expr.Local("a");
    private static readonly Expr B = Expr.Local("b");
    private static readonly Expr C = Expr.Local("c");
    private static readonly Expr D = Expr.Local("d");

    // In the lanes style a, b, c, d are element locals and s a per-step scalar.
    private static readonly LanesTarget Lanes = new(name => name != "s");

    [Theory]
    [InlineData("a - (b - c)", "a - (b - c)", "a - (b - c)")]
    [InlineData("a - b - c", "a - b - c", "a - b - c")]
    [InlineData("a / (b·c)", "a / (b * c)", "a / (b * c)")]
    [InlineData("a / b·c", "a / b * c", "a / b * c")]
    [InlineData("a + (b + c)", "a + (b + c)", "a + (b + c)")]
    [InlineData("-(a + b)", "-(a + b)", "-(a + b)")]
    [InlineData("-(-a)", "-(-a)", "-(-a)")]
    [InlineData("a·b + c·d", "a * b + c * d", "a * b + c * d")]
    [InlineData("(a + b)·(c - d)", "(a + b) * (c - d)", "(a + b) * (c - d)")]
    public void Arithmetic_keeps_the_tree_with_the_fewest_parentheses(string readable, string csharp, string lanes)
    {
        Expr e = readable switch
        {
            "a - (b - c)" => A - (B - C),
            "a - b - c" => (A - B) - C,
            "a / (b·c)" => A / (B * C),
            "a / b·c" => (A / B) * C,
            "a + (b + c)" => A + (B + C),
            "-(a + b)" => -(A + B),
            "-(-a)" => -(-A),
            "a·b + c·d" => (A * B) + (C * D),
            _ => (A + B) * (C - D),
        };
        Assert.Equal(readable, ExprPrinter.Print(e, ReadableStyle.Double));
        Assert.Equal(csharp, ExprPrinter.Print(e, DoubleStyle.Instance));
        Assert.Equal(lanes, ExprPrinter.Print(e, Lanes));
    }

    [Fact]
    public void Negative_constants_are_unary()
    {
        Expr half = Expr.Constant("minusHalf", -0.5);
        Assert.Equal("-(-0.5)", ExprPrinter.Print(-half, DoubleStyle.Instance));
        Assert.Equal("a - -0.5", ExprPrinter.Print(A - half, DoubleStyle.Instance));
        Assert.Equal("a * -0.5", ExprPrinter.Print(A * half, DoubleStyle.Instance));
        Assert.Equal("-0.5·a", ExprPrinter.Print(half * A, ReadableStyle.Double));
        Assert.Equal("(-0.5)^a", ExprPrinter.Print(Expr.Power(half, A), ReadableStyle.Double));

        // Lanes name their constants.
        Assert.Equal("-minusHalf", ExprPrinter.Print(-half, Lanes));
    }

    [Fact]
    public void Nested_selects_and_comparisons()
    {
        Expr e = Expr.Select(Expr.LessThan(A + B, C), Expr.Select(Expr.Equal(A, B), C, D), Expr.Select(Expr.GreaterThanOrEqual(A, D), A, B));
        Assert.Equal("a + b < c ? (a == b ? c : d) : a >= d ? a : b", ExprPrinter.Print(e, DoubleStyle.Instance));
        Assert.Equal("(a + b < c ? (a = b ? c : d) : (a ≥ d ? a : b))", ExprPrinter.Print(e, ReadableStyle.Double));
        Assert.Equal(
            "TLanes.ConditionalSelect(TLanes.LessThan(a + b, c), TLanes.ConditionalSelect(TLanes.Equal(a, b), c, d), TLanes.ConditionalSelect(TLanes.GreaterThanOrEqual(a, d), a, b))",
            ExprPrinter.Print(e, Lanes));

        // A conditional inside arithmetic is bracketed; a comparison's operand binds tighter than it.
        Expr sum = Expr.Select(Expr.NotEqual(A, B), A, B) + C;
        Assert.Equal("(a != b ? a : b) + c", ExprPrinter.Print(sum, DoubleStyle.Instance));
        Assert.Equal("(a ≠ b ? a : b) + c", ExprPrinter.Print(sum, ReadableStyle.Double));
        Assert.Equal("(a <= b ? a : b) * c", ExprPrinter.Print(Expr.Select(Expr.LessThanOrEqual(A, B), A, B) * C, DoubleStyle.Instance));
    }

    [Fact]
    public void Functions_and_per_step_scalars()
    {
        Expr s = Expr.Local("s");
        Expr e = Expr.MultiplyAdd(A, s, Expr.Clamp(Expr.Sign(B), -s, Expr.SquareRoot(C + D)));
        Assert.Equal("a·s + clamp(sign(b), -s, √(c + d))", ExprPrinter.Print(e, ReadableStyle.Double));
        Assert.Equal("Math.FusedMultiplyAdd(a, s, global::OptGen.StepMath.Clamp(global::OptGen.StepMath.Sign(b), -s, Math.Sqrt(c + d)))", ExprPrinter.Print(e, DoubleStyle.Instance));
        Assert.Equal("TLanes.FusedMultiplyAdd(a, TLanes.Create(s), TLanes.Clamp(TLanes.Sign(b), -TLanes.Create(s), TLanes.Sqrt(c + d)))", ExprPrinter.Print(e, Lanes));

        // A fused multiply-add reads as arithmetic in formulas; its addend keeps its own brackets.
        Assert.Equal("a·b + (c + d)", ExprPrinter.Print(Expr.MultiplyAdd(A, B, C + D), ReadableStyle.Double));
        Assert.Equal("(a + b)·c + d", ExprPrinter.Print(Expr.MultiplyAdd(A + B, C, D), ReadableStyle.Double));
        Assert.Equal("|a - b| / max(c, d)", ExprPrinter.Print(Expr.Absolute(A - B) / Expr.Maximum(C, D), ReadableStyle.Double));
        Assert.Equal("Math.Pow(a, t)", ExprPrinter.Print(Expr.Power(A, Expr.Input("t")), DoubleStyle.Instance));
        Assert.Equal("(double)(float)(a * b)", ExprPrinter.Print(Expr.RoundToSingle(A * B), DoubleStyle.Instance));
        Assert.Equal("float32(a·b)", ExprPrinter.Print(Expr.RoundToSingle(A * B), ReadableStyle.Double));
        Assert.Equal("(t = 1 ? a : b)", ExprPrinter.Print(Expr.FirstStepSelect(A, B), ReadableStyle.Double));
        Assert.Equal("t == 1.0 ? a : b", ExprPrinter.Print(Expr.FirstStepSelect(A, B), DoubleStyle.Instance));
    }
}
