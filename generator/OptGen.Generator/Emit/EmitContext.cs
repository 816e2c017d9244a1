using System;
using System.Collections.Generic;
using System.Linq;
using OptGen.Generator.Ir;
using OptGen.Generator.Model;

namespace OptGen.Generator.Emit;

/// <summary>Facts about a program that every part of the emitted class needs: streams, live scalars, constants.</summary>
internal sealed class EmitContext
{
    // Names the element body defines; every other local it reads is a per-step scalar.
    private readonly HashSet<string> _bodyLocals;

    // Per-step scalars that are conditions (bool in C#).
    private readonly HashSet<string> _scalarMasks = new(StringComparer.Ordinal);

    public EmitContext(OptimizerSpec spec, RuleProgram program, KernelOptions options)
    {
        Spec = spec;
        Options = options;
        Program = program;
        T = spec.Element == ElementKind.Single ? "float" : "double";
        Streams = program.Streams.ToList();
        States = program.States().ToList();

        _bodyLocals = new HashSet<string>(program.Body.Where(s => s.Kind == StatementKind.Let).Select(s => s.Target), StringComparer.Ordinal);

        // Per-step values the kernels read: scalars (and inputs) referenced from the body, in first-use order.
        var kernelScalars = new List<string>();
        var constants = new Dictionary<string, Expr>(StringComparer.Ordinal);
        foreach (Statement statement in program.Body)
        {
            foreach (Expr e in Walk(statement.Value))
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

    public KernelOptions Options { get; }

    public RuleProgram Program { get; }

    /// <summary>The element type's C# keyword.</summary>
    public string T { get; }

    public List<StreamDecl> Streams { get; }

    public List<StreamDecl> States { get; }

    /// <summary>Per-step scalars the element update reads: its fields (converted to <see cref="T"/>).</summary>
    public List<string> KernelScalars { get; }

    /// <summary>Constants the element body uses: literals in scalar code, named vector constants in vector code.</summary>
    public List<Expr> ElementConstants { get; }

    /// <summary>Per-step scalar definitions that are live.</summary>
    public List<Statement> Scalars { get; }

    public bool UsesStep { get; }

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

    /// <summary>Name of the file-local struct holding the element update.</summary>
    public string UpdateStruct => Spec.ClassName.TrimStart('@') + "Update";

    /// <summary>A literal of the element type.</summary>
    public string Literal(double value) => Spec.Element == ElementKind.Single ? Emit.Literal.Single((float)value) : Emit.Literal.Double(value);

    public bool IsBodyLocal(string name) => _bodyLocals.Contains(name);

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
