using System;
using OptGen.Generator.Ir;

namespace OptGen.Generator.Emit;

/// <summary>How element operations are spelled for one kind of kernel.</summary>
internal interface ITarget
{
    /// <summary>Type of an element local.</summary>
    string Type { get; }

    string Render(Expr e, Emitter.Lane lane, EmitContext context);

    string Store(string stream, string local, string offset);
}

/// <summary>Vector128/256/512 code: constants and per-step scalars are broadcast locals of the same name.</summary>
internal sealed class VectorTarget(int bits, string elementType) : ITarget
{
    private readonly string _vector = "Vector" + Literal.Integer(bits);

    public string Type => $"{_vector}<{elementType}>";

    public string Render(Expr e, Emitter.Lane lane, EmitContext context) => Precedence.Render(e, lane, context, this);

    public string Store(string stream, string local, string offset) => $"{local}.StoreUnsafe(ref {stream}, {offset})";

    public string Load(string stream, string offset) => $"{_vector}.LoadUnsafe(in {stream}, {offset})";

    public string Call(string function, params string[] operands) => $"{_vector}.{function}({string.Join(", ", operands)})";

    public string Constant(Expr e) => e.Name;
}

/// <summary>Scalar code: constants are literals.</summary>
internal sealed class ScalarTarget(string elementType) : ITarget
{
    private readonly string _math = elementType == "float" ? "MathF" : "Math";

    public string Type => elementType;

    public string Render(Expr e, Emitter.Lane lane, EmitContext context) => Precedence.Render(e, lane, context, this);

    public string Store(string stream, string local, string offset) => $"Unsafe.Add(ref {stream}, {offset}) = {local}";

    public string Load(string stream, string offset, bool readOnly) =>
        readOnly ? $"Unsafe.Add(ref Unsafe.AsRef(in {stream}), {offset})" : $"Unsafe.Add(ref {stream}, {offset})";

    public string Call(string function, params string[] operands) => $"{_math}.{function}({string.Join(", ", operands)})";
}

/// <summary>Renders element expressions with the fewest parentheses C# precedence allows.</summary>
internal static class Precedence
{
    public static string Render(Expr e, Emitter.Lane lane, EmitContext c, ITarget target) => Render(e, lane, c, target, out _);

    // 1 additive, 2 multiplicative, 3 unary, 4 primary.
    private static string Render(Expr e, Emitter.Lane lane, EmitContext c, ITarget target, out int precedence)
    {
        var vector = target as VectorTarget;
        var scalar = target as ScalarTarget;
        precedence = 4;
        switch (e.Kind)
        {
            case ExprKind.Constant:
                if (vector is not null)
                {
                    return vector.Constant(e);
                }

                string literal = c.Literal(e.Value);
                precedence = e.Value < 0 || BitConverter.DoubleToInt64Bits(e.Value) < 0 ? 3 : 4;
                return literal;
            case ExprKind.Input:
                return e.Name;
            case ExprKind.Local:
                return c.IsBodyLocal(e.Name) ? e.Name + lane.Suffix : e.Name;
            case ExprKind.Load:
                bool readOnly = e.Name == RuleProgram.GradientsStream;
                return vector?.Load(e.Name, lane.Offset) ?? scalar!.Load(e.Name, lane.Offset, readOnly);
            case ExprKind.Negate:
                precedence = 3;
                return "-" + Operand(e[0], lane, c, target, 4);
            case ExprKind.SquareRoot:
                return Call(target, "Sqrt", Render(e[0], lane, c, target));
            case ExprKind.Maximum:
                return Call(target, "Max", Render(e[0], lane, c, target), Render(e[1], lane, c, target));
            case ExprKind.Minimum:
                return Call(target, "Min", Render(e[0], lane, c, target), Render(e[1], lane, c, target));
            case ExprKind.Absolute:
                return Call(target, "Abs", Render(e[0], lane, c, target));
            case ExprKind.MultiplyAdd:
                return Call(target, "FusedMultiplyAdd", Render(e[0], lane, c, target), Render(e[1], lane, c, target), Render(e[2], lane, c, target));
            case ExprKind.Add:
                precedence = 1;
                return $"{Operand(e[0], lane, c, target, 1)} + {Operand(e[1], lane, c, target, 2)}";
            case ExprKind.Subtract:
                precedence = 1;
                return $"{Operand(e[0], lane, c, target, 1)} - {Operand(e[1], lane, c, target, 2)}";
            case ExprKind.Multiply:
                precedence = 2;
                return $"{Operand(e[0], lane, c, target, 2)} * {Operand(e[1], lane, c, target, 3)}";
            case ExprKind.Divide:
                precedence = 2;
                return $"{Operand(e[0], lane, c, target, 2)} / {Operand(e[1], lane, c, target, 3)}";
            default:
                throw new InvalidOperationException($"{e.Kind} cannot appear in an element kernel.");
        }
    }

    private static string Call(ITarget target, string function, params string[] operands) =>
        target is VectorTarget vector ? vector.Call(function, operands) : ((ScalarTarget)target).Call(function, operands);

    private static string Operand(Expr e, Emitter.Lane lane, EmitContext c, ITarget target, int minimumPrecedence)
    {
        string text = Render(e, lane, c, target, out int precedence);
        return precedence < minimumPrecedence ? "(" + text + ")" : text;
    }
}
