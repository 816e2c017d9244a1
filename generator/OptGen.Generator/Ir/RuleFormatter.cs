using System.Collections.Generic;
using System.Linq;
using OptGen.Generator.Emit;
using OptGen.Generator.Model;

namespace OptGen.Generator.Ir;

/// <summary>Renders a <see cref="RuleProgram"/> as equations with its actual constants, for comments and XML docs.</summary>
internal static class RuleFormatter
{
    /// <summary>One line per per-step scalar definition.</summary>
    public static IEnumerable<string> ScalarLines(RuleProgram program) =>
        program.Scalars.Select(s => $"{s.Target} = {Format(s.Value, ElementKind.Double)}");

    /// <summary>One line per element statement; stores are written <c>stream ← value</c>.</summary>
    public static IEnumerable<string> BodyLines(RuleProgram program, ElementKind element) =>
        program.Body.Select(s => s.Kind == StatementKind.Let
            ? $"{s.Target} = {Format(s.Value, element)}"
            : $"{s.Target} ← {Format(s.Value, element)}");

    public static string Format(Expr e, ElementKind element) => Format(e, element, out _);

    // Precedence: 1 additive, 2 multiplicative, 3 unary, 4 atom.
    private static string Format(Expr e, ElementKind element, out int precedence)
    {
        switch (e.Kind)
        {
            case ExprKind.Constant:
                precedence = e.Value < 0 ? 3 : 4;
                return ConstantText(e.Value, element);
            case ExprKind.Input:
            case ExprKind.Local:
            case ExprKind.Load:
                precedence = 4;
                return e.Name;
            case ExprKind.Negate:
                precedence = 3;
                return "-" + Operand(e[0], element, 3);
            case ExprKind.SquareRoot:
                precedence = 4;
                return "√(" + Format(e[0], element) + ")";
            case ExprKind.Maximum:
                precedence = 4;
                return $"max({Format(e[0], element)}, {Format(e[1], element)})";
            case ExprKind.Minimum:
                precedence = 4;
                return $"min({Format(e[0], element)}, {Format(e[1], element)})";
            case ExprKind.Absolute:
                precedence = 4;
                return $"|{Format(e[0], element)}|";
            case ExprKind.Power:
                precedence = 4;
                return $"{Operand(e[0], element, 4)}^{Operand(e[1], element, 4)}";
            case ExprKind.FirstStepSelect:
                precedence = 4;
                return $"(t = 1 ? {Format(e[0], element)} : {Format(e[1], element)})";
            case ExprKind.Add:
                precedence = 1;
                return $"{Operand(e[0], element, 1)} + {Operand(e[1], element, 2)}";
            case ExprKind.Subtract:
                precedence = 1;
                return $"{Operand(e[0], element, 1)} - {Operand(e[1], element, 2)}";
            case ExprKind.Multiply:
                precedence = 2;
                return $"{Operand(e[0], element, 2)}·{Operand(e[1], element, 3)}";
            case ExprKind.Divide:
                precedence = 2;
                return $"{Operand(e[0], element, 2)} / {Operand(e[1], element, 3)}";
            default:
                precedence = 1;
                return $"{Operand(e[0], element, 2)}·{Operand(e[1], element, 3)} + {Operand(e[2], element, 2)}";
        }
    }

    private static string Operand(Expr e, ElementKind element, int minimumPrecedence)
    {
        string text = Format(e, element, out int precedence);
        return precedence < minimumPrecedence ? "(" + text + ")" : text;
    }

    private static string ConstantText(double value, ElementKind element) => Literal.Readable(value, element == ElementKind.Single);
}
