using System;
using OptGen.Generator.Ir;

namespace OptGen.Generator.Emit;

/// <summary>
/// How element operations are spelled in the update's one generic <c>Invoke</c>: values are <see cref="Lanes"/> (a
/// scalar, a vector or several vectors, chosen by the runtime), constants are locals of the same name, per-step scalars
/// are broadcast where used, and streams are the method's <see langword="ref"/> parameters of the same name (the gradient
/// is passed by value), so a read is the name and a store an assignment.
/// </summary>
internal static class LanesTarget
{
    /// <summary>The type parameter of <c>Invoke</c>.</summary>
    public const string Lanes = "TLanes";

    public static string Call(string function, params string[] operands) => $"{Lanes}.{function}({string.Join(", ", operands)})";
}

/// <summary>Renders element expressions with the fewest parentheses C# precedence allows.</summary>
internal static class Precedence
{
    public static string Render(Expr e, EmitContext c) => Render(e, c, out _);

    // 1 additive, 2 multiplicative, 3 unary, 4 primary.
    private static string Render(Expr e, EmitContext c, out int precedence)
    {
        precedence = 4;
        switch (e.Kind)
        {
            case ExprKind.Constant:
                return e.Name;
            case ExprKind.Input:
            case ExprKind.Local:
                // A name the body does not define is a per-step scalar: a field of the update, broadcast to the lanes.
                return e.Kind == ExprKind.Input || !c.IsBodyLocal(e.Name) ? LanesTarget.Call("Create", e.Name) : e.Name;
            case ExprKind.Load:
                return e.Name;
            case ExprKind.Negate:
                precedence = 3;
                return "-" + Operand(e[0], c, 4);
            case ExprKind.SquareRoot:
                return LanesTarget.Call("Sqrt", Render(e[0], c));
            case ExprKind.Maximum:
                return LanesTarget.Call("Max", Render(e[0], c), Render(e[1], c));
            case ExprKind.Minimum:
                return LanesTarget.Call("Min", Render(e[0], c), Render(e[1], c));
            case ExprKind.Absolute:
                return LanesTarget.Call("Abs", Render(e[0], c));
            case ExprKind.MultiplyAdd:
                return LanesTarget.Call("FusedMultiplyAdd", Render(e[0], c), Render(e[1], c), Render(e[2], c));
            case ExprKind.Add:
                precedence = 1;
                return $"{Operand(e[0], c, 1)} + {Operand(e[1], c, 2)}";
            case ExprKind.Subtract:
                precedence = 1;
                return $"{Operand(e[0], c, 1)} - {Operand(e[1], c, 2)}";
            case ExprKind.Multiply:
                precedence = 2;
                return $"{Operand(e[0], c, 2)} * {Operand(e[1], c, 3)}";
            case ExprKind.Divide:
                precedence = 2;
                return $"{Operand(e[0], c, 2)} / {Operand(e[1], c, 3)}";
            default:
                throw new InvalidOperationException($"{e.Kind} cannot appear in an element kernel.");
        }
    }

    private static string Operand(Expr e, EmitContext c, int minimumPrecedence)
    {
        string text = Render(e, c, out int precedence);
        return precedence < minimumPrecedence ? "(" + text + ")" : text;
    }
}
