using System;
using OptGen.Generator.Model;

namespace OptGen.Generator.Ir;

/// <summary>The operations of the update-rule IR.</summary>
internal enum ExprKind
{
    /// <summary>A compile-time constant (<see cref="Expr.Value"/>), named for readable output (<see cref="Expr.Name"/>).</summary>
    Constant,

    /// <summary>A per-step input: <c>t</c> (the 1-based step number) or <c>learningRate</c>.</summary>
    Input,

    /// <summary>A value defined by an earlier statement of the same program (per-step scalar or element local).</summary>
    Local,

    /// <summary>Element domain only: the element of stream <see cref="Expr.Name"/> at the current index, as it was before this step.</summary>
    Load,

    Negate,
    SquareRoot,
    Add,
    Subtract,
    Multiply,
    Divide,

    /// <summary>Larger operand; NaN propagates (as <c>torch.maximum</c>); +0 is larger than −0.</summary>
    Maximum,

    /// <summary>Smaller operand; NaN propagates (as <c>torch.minimum</c>); −0 is smaller than +0.</summary>
    Minimum,

    /// <summary>Magnitude: the operand with its sign bit cleared (NaN stays NaN).</summary>
    Absolute,

    /// <summary>Per-step scalars only: first operand raised to the second.</summary>
    Power,

    /// <summary>Fused <c>a·b + c</c> with one rounding.</summary>
    MultiplyAdd,

    /// <summary>Per-step scalars only: the first operand on step t = 1, the second on later steps.</summary>
    FirstStepSelect,
}

/// <summary>A node of an elementwise expression graph. Value-equatable, so programs built from it cache in the pipeline.</summary>
internal sealed record Expr(ExprKind Kind, double Value, string Name, EquatableArray<Expr> Operands)
{
    public const string StepInput = "t";
    public const string LearningRateInput = "learningRate";

    public static Expr Constant(string name, double value) => new(ExprKind.Constant, value, name, default);

    public static Expr Input(string name) => new(ExprKind.Input, 0, name, default);

    public static Expr Local(string name) => new(ExprKind.Local, 0, name, default);

    public static Expr Load(string stream) => new(ExprKind.Load, 0, stream, default);

    public static Expr SquareRoot(Expr x) => Op(ExprKind.SquareRoot, x);

    public static Expr Maximum(Expr a, Expr b) => Op(ExprKind.Maximum, a, b);

    public static Expr Minimum(Expr a, Expr b) => Op(ExprKind.Minimum, a, b);

    public static Expr Absolute(Expr x) => Op(ExprKind.Absolute, x);

    public static Expr Power(Expr a, Expr b) => Op(ExprKind.Power, a, b);

    public static Expr MultiplyAdd(Expr a, Expr b, Expr c) => Op(ExprKind.MultiplyAdd, a, b, c);

    public static Expr FirstStepSelect(Expr onFirstStep, Expr later) => Op(ExprKind.FirstStepSelect, onFirstStep, later);

    public static Expr operator -(Expr x) => Op(ExprKind.Negate, x);

    public static Expr operator +(Expr a, Expr b) => Op(ExprKind.Add, a, b);

    public static Expr operator -(Expr a, Expr b) => Op(ExprKind.Subtract, a, b);

    public static Expr operator *(Expr a, Expr b) => Op(ExprKind.Multiply, a, b);

    public static Expr operator /(Expr a, Expr b) => Op(ExprKind.Divide, a, b);

    public Expr this[int index] => Operands[index];

    private static Expr Op(ExprKind kind, params Expr[] operands) => new(kind, 0, string.Empty, operands.ToEquatableArray());
}

/// <summary>Whether a statement defines a local or writes a stream element.</summary>
internal enum StatementKind
{
    Let,
    Store,
}

/// <summary><c>Target = Value</c>: a local (re)definition, or a store to stream <see cref="Target"/> at the current index.</summary>
internal sealed record Statement(StatementKind Kind, string Target, Expr Value);

/// <summary>What a stream holds.</summary>
internal enum StreamRole
{
    Parameters,
    Gradients,
    State,
}

/// <summary>An elementwise stream the kernel walks: parameters, gradients or one state buffer.</summary>
/// <param name="Name">Identifier used in generated code (camelCase), e.g. <c>expAvg</c>.</param>
/// <param name="TorchName">PyTorch's key for the same state, e.g. <c>exp_avg</c>.</param>
/// <param name="InitialValue">Value of every element after construction and <c>Reset</c>.</param>
/// <param name="Description">One-line description for documentation.</param>
internal sealed record StreamDecl(string Name, StreamRole Role, string TorchName, double InitialValue, string Description);

/// <summary>
/// An update rule as data: per-step scalar definitions (double precision, evaluated once per step from the inputs
/// <c>t</c> and <c>learningRate</c>) and an elementwise body over the streams. Every preset is one of these; one emitter
/// lowers any of them to SIMD code.
/// </summary>
internal sealed record RuleProgram(
    string Title,
    EquatableArray<StreamDecl> Streams,
    EquatableArray<Statement> Scalars,
    EquatableArray<Statement> Body)
{
    public const string ParametersStream = "parameters";
    public const string GradientsStream = "gradients";

    /// <summary>The state buffers, in declaration order (the order of <c>GetStateBuffer</c> and of checkpoints).</summary>
    /// <remarks>A method, not a property: pipeline models expose only their stored values.</remarks>
    public System.Collections.Generic.IEnumerable<StreamDecl> States() => System.Linq.Enumerable.Where(Streams, s => s.Role == StreamRole.State);
}
