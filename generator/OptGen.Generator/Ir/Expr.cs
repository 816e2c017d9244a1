using System;
using System.Linq;
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

    /// <summary>Per-step scalars only: <c>Math.Exp</c> of the operand.</summary>
    Exponential,

    /// <summary>Per-step scalars only: <c>Math.Log</c> (natural logarithm) of the operand.</summary>
    Logarithm,

    /// <summary>
    /// Per-step scalars only: the operand rounded to float32 (and kept as a double), for values PyTorch keeps in 0-d
    /// float32 tensors whatever the parameters' type (ASGD's η and μ, NAdam's μ-product, the step count).
    /// </summary>
    RoundToSingle,

    /// <summary>Fused <c>a·b + c</c> with one rounding.</summary>
    MultiplyAdd,

    /// <summary>
    /// <c>torch.sign</c>: 1 above zero, −1 below, +0 otherwise. PyTorch 1.13 computes <c>(0 &lt; x) − (x &lt; 0)</c>, so
    /// NaN and −0 both give +0 (checked against its float and double kernels, scalar and vectorised).
    /// </summary>
    Sign,

    /// <summary>
    /// <c>torch.clamp(x, min, max)</c> with scalar bounds: <c>min</c> where x &lt; min, then <c>max</c> where that is
    /// above max (max wins when min &gt; max), else x itself, so −0 stays −0 against a bound of +0 and a NaN x stays
    /// that NaN; a NaN bound gives NaN (PyTorch fills the result with NaN).
    /// </summary>
    Clamp,

    /// <summary>A mask: operand 0 &lt; operand 1 (false if either is NaN). Masks are only conditions of <see cref="Select"/>.</summary>
    LessThan,

    /// <summary>A mask: operand 0 ≤ operand 1 (false if either is NaN).</summary>
    LessThanOrEqual,

    /// <summary>A mask: operand 0 &gt; operand 1 (false if either is NaN).</summary>
    GreaterThan,

    /// <summary>A mask: operand 0 ≥ operand 1 (false if either is NaN).</summary>
    GreaterThanOrEqual,

    /// <summary>A mask: operand 0 = operand 1 (−0 equals +0; NaN equals nothing).</summary>
    Equal,

    /// <summary>A mask: operand 0 ≠ operand 1 (true if either is NaN).</summary>
    NotEqual,

    /// <summary>
    /// Operand 1 where the mask operand 0 holds, else operand 2: a per-lane blend in the element body (both operands are
    /// computed), a conditional expression in per-step scalars.
    /// </summary>
    Select,
}

/// <summary>A node of an elementwise expression graph. Value-equatable, so programs built from it cache in the pipeline.</summary>
internal sealed record Expr(ExprKind Kind, double Value, string Name, EquatableArray<Expr> Operands)
{
    public const string StepInput = "t";
    public const string LearningRateInput = "learningRate";

    /// <summary>The factor every gradient is multiplied by as the step reads it: <c>[ClipGradientNorm]</c>'s coefficient.</summary>
    public const string GradientScaleInput = "clipCoefficient";

    /// <summary>1 where the part of the step applies weight decay, 0 where its tensors are excluded (<c>[WeightDecay(Exclude = …)]</c>).</summary>
    public const string WeightDecayInput = "weightDecayOn";

    /// <summary>The pass of a two-pass rule (LAMB): 0 computes and stores the update, 1 applies it.</summary>
    public const string PhaseInput = "pass";

    /// <summary>‖p‖ of the tensor the second pass of a two-pass rule runs over, before the step (LAMB, LARS).</summary>
    public const string ParameterNormInput = "parameterNorm";

    /// <summary>The norm of the update the first pass wrote for that tensor.</summary>
    public const string UpdateNormInput = "updateNorm";

    public static Expr Constant(string name, double value) => new(ExprKind.Constant, value, name, default);

    public static Expr Input(string name) => new(ExprKind.Input, 0, name, default);

    public static Expr Local(string name) => new(ExprKind.Local, 0, name, default);

    public static Expr Load(string stream) => new(ExprKind.Load, 0, stream, default);

    public static Expr SquareRoot(Expr x) => Op(ExprKind.SquareRoot, x);

    public static Expr Maximum(Expr a, Expr b) => Op(ExprKind.Maximum, a, b);

    public static Expr Minimum(Expr a, Expr b) => Op(ExprKind.Minimum, a, b);

    public static Expr Absolute(Expr x) => Op(ExprKind.Absolute, x);

    public static Expr Power(Expr a, Expr b) => Op(ExprKind.Power, a, b);

    public static Expr RoundToSingle(Expr x) => Op(ExprKind.RoundToSingle, x);

    public static Expr Exponential(Expr x) => Op(ExprKind.Exponential, x);

    public static Expr Logarithm(Expr x) => Op(ExprKind.Logarithm, x);

    public static Expr MultiplyAdd(Expr a, Expr b, Expr c) => Op(ExprKind.MultiplyAdd, a, b, c);

    /// <summary><paramref name="onFirstStep"/> on step t = 1, <paramref name="later"/> on later steps.</summary>
    public static Expr FirstStepSelect(Expr onFirstStep, Expr later) => Select(Equal(Input(StepInput), Constant("one", 1)), onFirstStep, later);

    public static Expr Sign(Expr x) => Op(ExprKind.Sign, x);

    public static Expr Clamp(Expr x, Expr min, Expr max) => Op(ExprKind.Clamp, x, min, max);

    public static Expr LessThan(Expr a, Expr b) => Op(ExprKind.LessThan, a, b);

    public static Expr LessThanOrEqual(Expr a, Expr b) => Op(ExprKind.LessThanOrEqual, a, b);

    public static Expr GreaterThan(Expr a, Expr b) => Op(ExprKind.GreaterThan, a, b);

    public static Expr GreaterThanOrEqual(Expr a, Expr b) => Op(ExprKind.GreaterThanOrEqual, a, b);

    public static Expr Equal(Expr a, Expr b) => Op(ExprKind.Equal, a, b);

    public static Expr NotEqual(Expr a, Expr b) => Op(ExprKind.NotEqual, a, b);

    public static Expr Select(Expr condition, Expr whenTrue, Expr whenFalse) => Op(ExprKind.Select, condition, whenTrue, whenFalse);

    /// <summary>Whether <paramref name="kind"/> yields a mask (a condition) rather than a number.</summary>
    public static bool IsComparison(ExprKind kind) => kind is >= ExprKind.LessThan and <= ExprKind.NotEqual;

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

    /// <summary>
    /// Element body only: <see cref="Statement.Then"/> on steps where the per-step condition <see cref="Statement.Value"/>
    /// holds, else <see cref="Statement.Else"/>. Chosen once per step, outside the element loop.
    /// </summary>
    Branch,
}

/// <summary>
/// <c>Target = Value</c>: a local (re)definition, or a store to stream <see cref="Target"/> at the current index (in the
/// element body) or to persistent per-step scalar <see cref="Target"/> (among the per-step scalars).
/// </summary>
internal sealed record Statement(StatementKind Kind, string Target, Expr Value, EquatableArray<Statement> Then = default, EquatableArray<Statement> Else = default);

/// <summary>One straight-line element body: the statements of the steps on which every condition of <see cref="Path"/> is as given.</summary>
internal sealed record BodyVariant(EquatableArray<(Expr Condition, bool Holds)> Path, EquatableArray<Statement> Statements);

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
/// <param name="TensorNorm">Whether the runtime takes this state's per-tensor norm between a two-pass rule's passes.</param>
internal sealed record StreamDecl(string Name, StreamRole Role, string TorchName, double InitialValue, string Description, bool TensorNorm = false);

/// <summary>
/// A per-step scalar that lives across steps (NAdam's product of momentum factors, Schedule-Free's weight sum): read as
/// a per-step local holding its value before the step, written by a per-step store; the optimizer advances it once per
/// applied step, checkpoints and resets it.
/// </summary>
/// <param name="Name">Identifier used in generated code (camelCase), e.g. <c>muProduct</c>.</param>
/// <param name="CheckpointName">Its name in checkpoints, e.g. <c>mu_product</c>.</param>
/// <param name="InitialValue">Its value after construction and <c>Reset</c>.</param>
/// <param name="Description">One-line description for documentation.</param>
internal sealed record ScalarStateDecl(string Name, string CheckpointName, double InitialValue, string Description);

/// <summary>
/// An update rule as data: per-step scalar definitions (double precision, evaluated once per step from the inputs
/// <c>t</c> and <c>learningRate</c>) and an elementwise body over the streams. Every preset is one of these; one emitter
/// lowers any of them to SIMD code.
/// </summary>
internal sealed record RuleProgram(
    string Title,
    EquatableArray<StreamDecl> Streams,
    EquatableArray<Statement> Scalars,
    EquatableArray<Statement> Body,
    EquatableArray<ScalarStateDecl> ScalarStates = default)
{
    public const string ParametersStream = "parameters";
    public const string GradientsStream = "gradients";

    /// <summary>The state stream a two-pass rule's first pass writes its update to, and its second pass reads.</summary>
    public const string TrustRatioUpdateStream = "update";

    /// <summary>
    /// The program with every read of the gradients multiplied by the per-step input <see cref="Expr.GradientScaleInput"/>
    /// (<c>[ClipGradientNorm]</c>): the gradient as PyTorch's <c>clip_grad_norm_</c> leaves it, rounded to the element type,
    /// before the rule sees it.
    /// </summary>
    public RuleProgram WithScaledGradients() => this with { Body = Body.Select(ScaleGradients).ToEquatableArray() };

    private static Statement ScaleGradients(Statement statement) => statement with
    {
        Value = ScaleGradients(statement.Value),
        Then = statement.Then.Select(ScaleGradients).ToEquatableArray(),
        Else = statement.Else.Select(ScaleGradients).ToEquatableArray(),
    };

    private static Expr ScaleGradients(Expr e) => e.Kind == ExprKind.Load && e.Name == GradientsStream
        ? e * Expr.Input(Expr.GradientScaleInput)
        : e.Operands.Count == 0 ? e : e with { Operands = e.Operands.Select(ScaleGradients).ToEquatableArray() };

    /// <summary>
    /// The element body once per combination of per-step conditions, each straight-line: one without branches. The
    /// emitter writes one update per variant and chooses among them once per step.
    /// </summary>
    public System.Collections.Generic.List<BodyVariant> Variants() => Flatten(Body, new System.Collections.Generic.List<(Expr, bool)>());

    private static System.Collections.Generic.List<BodyVariant> Flatten(System.Collections.Generic.IReadOnlyList<Statement> statements, System.Collections.Generic.List<(Expr, bool)> path)
    {
        for (int i = 0; i < statements.Count; i++)
        {
            if (statements[i].Kind != StatementKind.Branch)
            {
                continue;
            }

            // Each arm, followed by what comes after the branch.
            var variants = new System.Collections.Generic.List<BodyVariant>();
            Statement branch = statements[i];
            foreach ((bool holds, EquatableArray<Statement> arm) in new[] { (true, branch.Then), (false, branch.Else) })
            {
                var rest = new System.Collections.Generic.List<Statement>();
                for (int k = 0; k < i; k++)
                {
                    rest.Add(statements[k]);
                }

                rest.AddRange(arm);
                for (int k = i + 1; k < statements.Count; k++)
                {
                    rest.Add(statements[k]);
                }

                variants.AddRange(Flatten(rest, new System.Collections.Generic.List<(Expr, bool)>(path) { (branch.Value, holds) }));
            }

            return variants;
        }

        return [new BodyVariant(path.ToEquatableArray(), statements.ToEquatableArray())];
    }

    /// <summary>The state buffers, in declaration order (the order of <c>GetStateBuffer</c> and of checkpoints).</summary>
    /// <remarks>A method, not a property: pipeline models expose only their stored values.</remarks>
    public System.Collections.Generic.IEnumerable<StreamDecl> States() => System.Linq.Enumerable.Where(Streams, s => s.Role == StreamRole.State);
}
