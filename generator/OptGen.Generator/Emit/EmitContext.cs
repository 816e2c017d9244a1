using System;
using System.Collections.Generic;
using System.Linq;
using OptGen.Generator.Ir;
using OptGen.Generator.Model;

namespace OptGen.Generator.Emit;

/// <summary>Facts about a program that every part of the emitted class needs: streams, live scalars, constants.</summary>
internal sealed class EmitContext
{
    // Per-step scalars that are conditions (bool in C#).
    private readonly HashSet<string> _scalarMasks = new(StringComparer.Ordinal);

    public EmitContext(OptimizerSpec spec, RuleProgram program, KernelOptions options)
    {
        Spec = spec;
        Options = options;
        Program = program;
        T = spec.Element == ElementKind.Single ? "float" : "double";
        P = spec.Mixed?.ParameterType ?? T;
        Streams = program.Streams.ToList();
        States = program.States().ToList();

        // One update per straight-line body; the first keeps the plain name, so a rule without branches reads as before.
        List<BodyVariant> variants = program.Variants();
        string name = spec.ClassName.TrimStart('@') + "Update";
        Variants = variants.Select((v, i) => new VariantContext(v, i == 0 ? name : name + Emit.Literal.Integer(i))).ToList();

        // Per-step values the kernels or the choice among them read.
        var kernelScalars = new List<string>(Variants.SelectMany(v => v.KernelScalars));
        kernelScalars.AddRange(variants.SelectMany(v => v.Path).SelectMany(c => Walk(c.Condition)).Where(e => e.Kind is ExprKind.Local or ExprKind.Input).Select(e => e.Name));

        // Scalars that feed the kernels, directly or through other scalars; the rest are dropped.
        HashSet<string> live = Live(program, kernelScalars);
        Scalars = program.Scalars.Where(s => s.Kind == StatementKind.Let && live.Contains(s.Target)).ToList();
        UsesStep = live.Contains(Expr.StepInput);
        ScalarStates = program.ScalarStates.ToList();
        LiveScalarStates = ScalarStates.Where(state => live.Contains(state.Name)).ToList();

        // The persistent scalars' stores, and the scalars they need.
        ScalarStores = program.Scalars.Where(s => s.Kind == StatementKind.Store).ToList();
        HashSet<string> stored = Live(program, ScalarStores.SelectMany(s => Walk(s.Value)).Where(e => e.Kind is ExprKind.Local or ExprKind.Input).Select(e => e.Name));
        AdvanceScalars = program.Scalars.Where(s => s.Kind == StatementKind.Let && stored.Contains(s.Target)).ToList();
        AdvanceUsesStep = stored.Contains(Expr.StepInput);
        AdvanceScalarStates = ScalarStates.Where(state => stored.Contains(state.Name)).ToList();
        foreach (Statement scalar in program.Scalars)
        {
            if (ProgramChecker.IsMask(scalar.Value, _scalarMasks.Contains))
            {
                _scalarMasks.Add(scalar.Target);
            }
        }

        UsesStep = live.Contains(Expr.StepInput);
        UsesGradientScale = live.Contains(Expr.GradientScaleInput);
        UsesWeightDecayInput = live.Contains(Expr.WeightDecayInput);
        UsesPhase = live.Contains(Expr.PhaseInput);
        UsesNorms = live.Contains(Expr.ParameterNormInput) || live.Contains(Expr.UpdateNormInput);
    }

    /// <summary><paramref name="roots"/> and every per-step name they are computed from.</summary>
    private static HashSet<string> Live(RuleProgram program, IEnumerable<string> roots)
    {
        var live = new HashSet<string>(roots, StringComparer.Ordinal);
        for (int i = program.Scalars.Count - 1; i >= 0; i--)
        {
            Statement scalar = program.Scalars[i];
            if (scalar.Kind == StatementKind.Let && live.Contains(scalar.Target))
            {
                foreach (Expr e in Walk(scalar.Value).Where(e => e.Kind is ExprKind.Local or ExprKind.Input))
                {
                    live.Add(e.Name);
                }
            }
        }

        return live;
    }

    public OptimizerSpec Spec { get; }

    /// <summary>The parameters' type: <see cref="T"/>, or Half or BFloat16 for a mixed-precision optimizer (whose update computes in float).</summary>
    public string P { get; }

    public KernelOptions Options { get; }

    public RuleProgram Program { get; }

    /// <summary>The element type's C# keyword.</summary>
    public string T { get; }

    public List<StreamDecl> Streams { get; }

    public List<StreamDecl> States { get; }

    /// <summary>One update per straight-line element body (one unless the body branches on per-step conditions).</summary>
    public List<VariantContext> Variants { get; }

    /// <summary>Name of the file-local struct holding the update of the first body, and <c>Step</c>.</summary>
    public string UpdateStruct => Variants[0].StructName;

    /// <summary>Per-step scalar definitions that are live.</summary>
    public List<Statement> Scalars { get; }

    public bool UsesStep { get; }

    /// <summary>Whether the kernels read the gradient scale (<c>[ClipGradientNorm]</c>).</summary>
    public bool UsesGradientScale { get; }

    /// <summary>Whether the kernels read whether their part of the step applies weight decay (<c>[WeightDecay(Exclude = …)]</c>).</summary>
    public bool UsesWeightDecayInput { get; }

    /// <summary>Whether the step has two passes (LAMB): the update chooses its body by the pass.</summary>
    public bool UsesPhase { get; }

    /// <summary>Whether the second pass reads its tensor's norms (LAMB, LARS).</summary>
    public bool UsesNorms { get; }

    /// <summary>The persistent per-step scalars, in order (their index in the runtime's scalar state).</summary>
    public List<ScalarStateDecl> ScalarStates { get; }

    /// <summary>The persistent per-step scalars the kernels' scalars read.</summary>
    public List<ScalarStateDecl> LiveScalarStates { get; }

    /// <summary>The stores to persistent per-step scalars.</summary>
    public List<Statement> ScalarStores { get; }

    /// <summary>Per-step scalar definitions the stores need.</summary>
    public List<Statement> AdvanceScalars { get; }

    public bool AdvanceUsesStep { get; }

    /// <summary>The persistent per-step scalars the stores read.</summary>
    public List<ScalarStateDecl> AdvanceScalarStates { get; }

    /// <summary>A literal of the element type.</summary>
    public string Literal(double value) => Spec.Element == ElementKind.Single ? Emit.Literal.Single((float)value) : Emit.Literal.Double(value);

    /// <summary>The C# type of per-step scalar <paramref name="name"/>: a condition or a number.</summary>
    public string ScalarType(string name) => _scalarMasks.Contains(name) ? "bool" : "double";

    public static IEnumerable<Expr> Walk(Expr e)
    {
        yield return e;
        foreach (Expr operand in e.Operands)
        {
            foreach (Expr inner in Walk(operand))
            {
                yield return inner;
            }
        }
    }
}

/// <summary>One straight-line element body: its update struct's name, fields and constants.</summary>
internal sealed class VariantContext
{
    // Names the body defines; every other local it reads is a per-step scalar.
    private readonly HashSet<string> _bodyLocals;

    public VariantContext(BodyVariant variant, string structName)
    {
        Variant = variant;
        StructName = structName;
        _bodyLocals = new HashSet<string>(variant.Statements.Where(s => s.Kind == StatementKind.Let).Select(s => s.Target), StringComparer.Ordinal);

        // Per-step values the update reads: scalars (and inputs) referenced from the body, in first-use order.
        var kernelScalars = new List<string>();
        var constants = new Dictionary<string, Expr>(StringComparer.Ordinal);
        foreach (Statement statement in variant.Statements)
        {
            foreach (Expr e in EmitContext.Walk(statement.Value))
            {
                if (e.Kind is ExprKind.Input || (e.Kind == ExprKind.Local && !_bodyLocals.Contains(e.Name)))
                {
                    if (!kernelScalars.Contains(e.Name))
                    {
                        kernelScalars.Add(e.Name);
                    }
                }
                else if (e.Kind == ExprKind.Constant)
                {
                    if (constants.TryGetValue(e.Name, out Expr? existing) && !existing.Equals(e))
                    {
                        throw new InvalidOperationException($"Constant '{e.Name}' has two values.");
                    }

                    constants[e.Name] = e;
                }
            }
        }

        KernelScalars = kernelScalars;
        ElementConstants = constants.Values.ToList();
    }

    public BodyVariant Variant { get; }

    public string StructName { get; }

    /// <summary>Per-step scalars the update reads: its fields (converted to the element type).</summary>
    public List<string> KernelScalars { get; }

    /// <summary>Constants the body uses: named lanes constants.</summary>
    public List<Expr> ElementConstants { get; }

    public bool IsBodyLocal(string name) => _bodyLocals.Contains(name);
}
