using System;
using OptGen.Generator.Ir;

namespace OptGen.Generator.Emit;

/// <summary>How an operation is written in one <see cref="ExprStyle"/>.</summary>
internal enum FormKind
{
    /// <summary><c>a op b</c>, left to right: the right operand binds tighter, so the tree's shape (which decides the rounding) is kept.</summary>
    Infix,

    /// <summary><c>op a</c>; the operand is primary, so <c>-(-x)</c> never reads as the decrement <c>--x</c>.</summary>
    Prefix,

    /// <summary><c>name(a, b, …)</c>.</summary>
    Call,

    /// <summary><c>open a close</c> around one operand, e.g. <c>√(a)</c> or <c>|a|</c>.</summary>
    Wrap,

    /// <summary><c>c ? a : b</c>, the loosest binding; a conditional as the true operand is parenthesised for readability.</summary>
    Conditional,

    /// <summary><c>(c ? a : b)</c>, always bracketed, so that it never runs into a surrounding <c>=</c>.</summary>
    BracketedConditional,

    /// <summary><c>a^b</c> with primary operands.</summary>
    Power,

    /// <summary><c>a·b + c</c> (a fused multiply-add read as arithmetic).</summary>
    MultiplyAdd,
}

/// <summary>One operation's spelling: its <see cref="FormKind"/>, token or name (<see cref="Close"/> for <see cref="FormKind.Wrap"/>) and binding strength.</summary>
internal readonly record struct Form(FormKind Kind, string Token, int Precedence = ExprPrinter.Primary, string Close = "")
{
    public static Form Infix(string token, int precedence) => new(FormKind.Infix, token, precedence);

    public static Form Call(string name) => new(FormKind.Call, name);
}

/// <summary>A target's spelling of expressions: leaves (constants, inputs, locals, loads) and each operation's <see cref="Form"/>.</summary>
internal abstract class ExprStyle
{
    /// <summary>The text of a leaf and how tightly it binds (a negative literal is a unary expression).</summary>
    public abstract string Leaf(Expr e, out int precedence);

    public abstract Form FormOf(ExprKind kind);

    /// <summary>The C# binary operators shared by the C# targets.</summary>
    protected static Form CSharpOperator(ExprKind kind) => kind switch
    {
        ExprKind.Add => Form.Infix(" + ", ExprPrinter.Additive),
        ExprKind.Subtract => Form.Infix(" - ", ExprPrinter.Additive),
        ExprKind.Multiply => Form.Infix(" * ", ExprPrinter.Multiplicative),
        ExprKind.Divide => Form.Infix(" / ", ExprPrinter.Multiplicative),
        ExprKind.Negate => new Form(FormKind.Prefix, "-", ExprPrinter.Unary),
        _ => throw new InvalidOperationException($"{kind} is not a C# operator."),
    };
}

/// <summary>
/// Prints an expression in a <see cref="ExprStyle"/> with the fewest parentheses that keep its tree: every target
/// (readable formulas, per-step C# in double, lanes C#) shares this one precedence table and parenthesisation.
/// </summary>
internal static class ExprPrinter
{
    // Binding strength, loosest first, as in C#.
    public const int Conditional = 0;
    public const int Equality = 1;
    public const int Relational = 2;
    public const int Additive = 3;
    public const int Multiplicative = 4;
    public const int Unary = 5;
    public const int Primary = 6;

    public static string Print(Expr e, ExprStyle style) => Print(e, style, out _);

    private static string Print(Expr e, ExprStyle style, out int precedence)
    {
        if (e.Operands.Count == 0)
        {
            return style.Leaf(e, out precedence);
        }

        Form form = style.FormOf(e.Kind);
        precedence = form.Precedence;
        switch (form.Kind)
        {
            case FormKind.Infix:
                return Operand(e[0], style, form.Precedence) + form.Token + Operand(e[1], style, form.Precedence + 1);
            case FormKind.Prefix:
                return form.Token + Operand(e[0], style, Primary);
            case FormKind.Wrap:
                return form.Token + Print(e[0], style) + form.Close;
            case FormKind.Conditional:
                return $"{Operand(e[0], style, Conditional + 1)} ? {Operand(e[1], style, Conditional + 1)} : {Print(e[2], style)}";
            case FormKind.BracketedConditional:
                return $"({Operand(e[0], style, Conditional + 1)} ? {Print(e[1], style)} : {Print(e[2], style)})";
            case FormKind.Power:
                return Operand(e[0], style, Primary) + form.Token + Operand(e[1], style, Primary);
            case FormKind.MultiplyAdd:
                return $"{Operand(e[0], style, Multiplicative)}{form.Token}{Operand(e[1], style, Unary)} + {Operand(e[2], style, Multiplicative)}";
            default:
                var operands = new string[e.Operands.Count];
                for (int i = 0; i < operands.Length; i++)
                {
                    operands[i] = Print(e[i], style);
                }

                return form.Token + "(" + string.Join(", ", operands) + ")";
        }
    }

    private static string Operand(Expr e, ExprStyle style, int minimumPrecedence)
    {
        string text = Print(e, style, out int precedence);
        return precedence < minimumPrecedence ? "(" + text + ")" : text;
    }
}

/// <summary>Formulas for comments and docs: math symbols, the element type's constants, <c>x ← y</c> stores elsewhere.</summary>
internal sealed class ReadableStyle(bool single) : ExprStyle
{
    public static readonly ReadableStyle Double = new(single: false);

    public static readonly ReadableStyle Single = new(single: true);

    public override string Leaf(Expr e, out int precedence)
    {
        if (e.Kind != ExprKind.Constant)
        {
            precedence = ExprPrinter.Primary;
            return e.Name;
        }

        string text = Literal.Readable(e.Value, single);
        precedence = text.StartsWith("-", StringComparison.Ordinal) ? ExprPrinter.Unary : ExprPrinter.Primary;
        return text;
    }

    public override Form FormOf(ExprKind kind) => kind switch
    {
        ExprKind.Add => Form.Infix(" + ", ExprPrinter.Additive),
        ExprKind.Subtract => Form.Infix(" - ", ExprPrinter.Additive),
        ExprKind.Multiply => Form.Infix("·", ExprPrinter.Multiplicative),
        ExprKind.Divide => Form.Infix(" / ", ExprPrinter.Multiplicative),
        ExprKind.Negate => new Form(FormKind.Prefix, "-", ExprPrinter.Unary),
        ExprKind.SquareRoot => new Form(FormKind.Wrap, "√(", Close: ")"),
        ExprKind.Absolute => new Form(FormKind.Wrap, "|", Close: "|"),
        ExprKind.Power => new Form(FormKind.Power, "^"),
        ExprKind.RoundToSingle => Form.Call("float32"),
        ExprKind.Exponential => Form.Call("exp"),
        ExprKind.Logarithm => Form.Call("ln"),
        ExprKind.MultiplyAdd => new Form(FormKind.MultiplyAdd, "·", ExprPrinter.Additive),
        ExprKind.Maximum => Form.Call("max"),
        ExprKind.Minimum => Form.Call("min"),
        ExprKind.Sign => Form.Call("sign"),
        ExprKind.Clamp => Form.Call("clamp"),
        ExprKind.LessThan => Form.Infix(" < ", ExprPrinter.Relational),
        ExprKind.LessThanOrEqual => Form.Infix(" ≤ ", ExprPrinter.Relational),
        ExprKind.GreaterThan => Form.Infix(" > ", ExprPrinter.Relational),
        ExprKind.GreaterThanOrEqual => Form.Infix(" ≥ ", ExprPrinter.Relational),
        ExprKind.Equal => Form.Infix(" = ", ExprPrinter.Equality),
        ExprKind.NotEqual => Form.Infix(" ≠ ", ExprPrinter.Equality),
        ExprKind.Select => new Form(FormKind.BracketedConditional, string.Empty),
        _ => throw new InvalidOperationException($"{kind} has no readable form."),
    };
}

/// <summary>Per-step scalars as C# in double precision: <see cref="Math"/>'s functions, and the runtime's <c>StepMath</c> where <see cref="Math"/> differs from PyTorch.</summary>
internal sealed class DoubleStyle : ExprStyle
{
    public static readonly DoubleStyle Instance = new();

    private const string StepMath = "global::OptGen.StepMath.";

    public override string Leaf(Expr e, out int precedence)
    {
        if (e.Kind != ExprKind.Constant)
        {
            precedence = ExprPrinter.Primary;
            return e.Name;
        }

        string text = Literal.Double(e.Value);
        precedence = text.StartsWith("-", StringComparison.Ordinal) ? ExprPrinter.Unary : ExprPrinter.Primary;
        return text;
    }

    public override Form FormOf(ExprKind kind) => kind switch
    {
        ExprKind.SquareRoot => Form.Call("Math.Sqrt"),
        ExprKind.Power => Form.Call("Math.Pow"),
        ExprKind.RoundToSingle => Form.Call("(double)(float)"),
        ExprKind.Exponential => Form.Call("Math.Exp"),
        ExprKind.Logarithm => Form.Call("Math.Log"),

        // Math.Max and Math.Min propagate NaN and order −0 below +0, as the lanes do.
        ExprKind.Maximum => Form.Call("Math.Max"),
        ExprKind.Minimum => Form.Call("Math.Min"),
        ExprKind.Absolute => Form.Call("Math.Abs"),
        ExprKind.MultiplyAdd => Form.Call("Math.FusedMultiplyAdd"),

        // Math.Sign returns an int and throws on NaN; Math.Clamp throws when min > max.
        ExprKind.Sign => Form.Call(StepMath + "Sign"),
        ExprKind.Clamp => Form.Call(StepMath + "Clamp"),
        ExprKind.LessThan => Form.Infix(" < ", ExprPrinter.Relational),
        ExprKind.LessThanOrEqual => Form.Infix(" <= ", ExprPrinter.Relational),
        ExprKind.GreaterThan => Form.Infix(" > ", ExprPrinter.Relational),
        ExprKind.GreaterThanOrEqual => Form.Infix(" >= ", ExprPrinter.Relational),
        ExprKind.Equal => Form.Infix(" == ", ExprPrinter.Equality),
        ExprKind.NotEqual => Form.Infix(" != ", ExprPrinter.Equality),
        ExprKind.Select => new Form(FormKind.Conditional, string.Empty, ExprPrinter.Conditional),
        _ => CSharpOperator(kind),
    };
}
