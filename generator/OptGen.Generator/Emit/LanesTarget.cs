using OptGen.Generator.Ir;

namespace OptGen.Generator.Emit;

/// <summary>
/// How element operations are spelled in the update's one generic <c>Invoke</c>: values are <see cref="Lanes"/> (a
/// scalar, a vector or several vectors, chosen by the runtime), constants are locals of the same name, per-step scalars
/// are broadcast where used, and streams are the method's <see langword="ref"/> parameters of the same name (the gradient
/// is passed by value), so a read is the name and a store an assignment. Arithmetic uses the lanes' operators, every
/// other operation the <c>ILanes</c> method of the same meaning.
/// </summary>
internal sealed class LanesTarget(System.Func<string, bool> isBodyLocal) : ExprStyle
{
    /// <summary>The type parameter of <c>Invoke</c>.</summary>
    public const string Lanes = "TLanes";

    public static string Call(string function, params string[] operands) => $"{Lanes}.{function}({string.Join(", ", operands)})";

    public override string Leaf(Expr e, out int precedence)
    {
        precedence = ExprPrinter.Primary;

        // A name the body does not define is a per-step scalar: a field of the update, broadcast to the lanes.
        return (e.Kind == ExprKind.Input || (e.Kind == ExprKind.Local && !isBodyLocal(e.Name))) ? Call("Create", e.Name) : e.Name;
    }

    public override Form FormOf(ExprKind kind) => kind switch
    {
        ExprKind.SquareRoot => Form.Call(Lanes + ".Sqrt"),
        ExprKind.Exponential => Form.Call(Lanes + ".Exp"),
        ExprKind.Logarithm => Form.Call(Lanes + ".Log"),
        ExprKind.Maximum => Form.Call(Lanes + ".Max"),
        ExprKind.Minimum => Form.Call(Lanes + ".Min"),
        ExprKind.Absolute => Form.Call(Lanes + ".Abs"),
        ExprKind.MultiplyAdd => Form.Call(Lanes + ".FusedMultiplyAdd"),
        ExprKind.Sign => Form.Call(Lanes + ".Sign"),
        ExprKind.Clamp => Form.Call(Lanes + ".Clamp"),
        ExprKind.LessThan => Form.Call(Lanes + ".LessThan"),
        ExprKind.LessThanOrEqual => Form.Call(Lanes + ".LessThanOrEqual"),
        ExprKind.GreaterThan => Form.Call(Lanes + ".GreaterThan"),
        ExprKind.GreaterThanOrEqual => Form.Call(Lanes + ".GreaterThanOrEqual"),
        ExprKind.Equal => Form.Call(Lanes + ".Equal"),
        ExprKind.NotEqual => Form.Call(Lanes + ".NotEqual"),
        ExprKind.Select => Form.Call(Lanes + ".ConditionalSelect"),
        _ => CSharpOperator(kind),
    };
}
