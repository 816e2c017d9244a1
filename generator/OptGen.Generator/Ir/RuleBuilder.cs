using System;
using System.Collections.Generic;
using System.Linq;
using OptGen.Generator.Model;

namespace OptGen.Generator.Ir;

/// <summary>Collects the streams, per-step scalars and element statements of a <see cref="RuleProgram"/>.</summary>
internal sealed class RuleBuilder
{
    private readonly List<StreamDecl> _streams = new();
    private readonly List<Statement> _scalars = new();
    private readonly List<Statement> _body = new();
    private readonly List<ScalarStateDecl> _scalarStates = new();
    private readonly HashSet<string> _elementLocals = new(StringComparer.Ordinal);

    // Where element statements go: the body, or an arm of the branch being written.
    private List<Statement> _current;

    public RuleBuilder()
    {
        _current = _body;
        _streams.Add(new StreamDecl(RuleProgram.ParametersStream, StreamRole.Parameters, "params", 0, "Parameters, updated in place."));
        _streams.Add(new StreamDecl(RuleProgram.GradientsStream, StreamRole.Gradients, "grad", 0, "Gradients of the objective."));
    }

    public static Expr Step => Expr.Input(Expr.StepInput);

    public static Expr LearningRate => Expr.Input(Expr.LearningRateInput);

    public static Expr Constant(string name, double value) => Expr.Constant(name, value);

    /// <summary>Declares a state buffer; returns the load of its value before this step.</summary>
    public Expr State(string name, string torchName, string description, double initialValue = 0, bool tensorNorm = false)
    {
        _streams.Add(new StreamDecl(name, StreamRole.State, torchName, initialValue, description, tensorNorm));
        return Expr.Load(name);
    }

    /// <summary>Declares a persistent per-step scalar; returns its value before this step (a per-step scalar).</summary>
    public Expr ScalarState(string name, string checkpointName, string description, double initialValue)
    {
        _scalarStates.Add(new ScalarStateDecl(name, checkpointName, initialValue, description));
        return Expr.Local(name);
    }

    /// <summary>Sets persistent per-step scalar <paramref name="name"/>'s value after this step (reads still see the value before it).</summary>
    public void StoreScalarState(string name, Expr value) => _scalars.Add(new Statement(StatementKind.Store, name, value));

    /// <summary>Defines a per-step scalar (double precision, once per step).</summary>
    public Expr Scalar(string name, Expr value)
    {
        _scalars.Add(new Statement(StatementKind.Let, name, value));
        return Expr.Local(name);
    }

    /// <summary>Defines (or redefines) an element local.</summary>
    public Expr Let(string name, Expr value)
    {
        _current.Add(new Statement(StatementKind.Let, name, value));
        _elementLocals.Add(name);
        return Expr.Local(name);
    }

    /// <summary>
    /// Element statements that differ by step: <paramref name="then"/>'s on steps where the per-step condition
    /// <paramref name="condition"/> holds, <paramref name="otherwise"/>'s on the others (RAdam's rectified and
    /// un-rectified updates). The choice is made once per step; a local used after the branch must be defined in both arms.
    /// </summary>
    public void If(Expr condition, Action then, Action otherwise)
    {
        List<Statement> outer = _current;
        var thenArm = new List<Statement>();
        var elseArm = new List<Statement>();
        _current = thenArm;
        then();
        _current = elseArm;
        otherwise();
        _current = outer;
        outer.Add(new Statement(StatementKind.Branch, string.Empty, condition, thenArm.ToEquatableArray(), elseArm.ToEquatableArray()));
    }

    /// <summary>Writes the element local <paramref name="value"/> to the element of <paramref name="stream"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not an element local: kernels store locals, so a program is checked when built.</exception>
    public void Store(string stream, Expr value)
    {
        if (value.Kind != ExprKind.Local || !_elementLocals.Contains(value.Name))
        {
            throw new ArgumentException($"The value stored to '{stream}' must be an element local defined before it (Let), not {value.Kind}.", nameof(value));
        }

        _current.Add(new Statement(StatementKind.Store, stream, value));
    }

    /// <summary>The most state buffers a program may declare: the runtime's <c>ElementLoop.MaxStateCount</c>, so every <c>Invoke</c> takes that many state references.</summary>
    public const int MaxStates = 4;

    /// <exception cref="InvalidOperationException">The program breaks a rule that kernels rely on; the message names it.</exception>
    public RuleProgram Build(string title)
    {
        int states = _streams.Count(s => s.Role == StreamRole.State);
        if (states > MaxStates)
        {
            throw new InvalidOperationException($"The program declares {states} state buffers; at most {MaxStates} are supported.");
        }

        ProgramChecker.Check(_streams, _scalarStates, _scalars, _body);
        return new(title, _streams.ToEquatableArray(), _scalars.ToEquatableArray(), _body.ToEquatableArray(), _scalarStates.ToEquatableArray());
    }
}
