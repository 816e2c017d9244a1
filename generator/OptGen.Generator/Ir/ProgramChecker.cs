using System;
using System.Collections.Generic;
using System.Linq;
using OptGen.Generator.Model;

namespace OptGen.Generator.Ir;

/// <summary>
/// The rules a <see cref="RuleProgram"/> must keep for every target to lower it, checked when it is built: each name
/// means one thing; per-step scalars use only inputs, constants and earlier scalars (no stream, no element local), and
/// per-step conditions stay out of the element body; scalar-only operations stay out of the element body; masks
/// (comparisons) are only conditions of <see cref="ExprKind.Select"/>; streams are read before they are written and
/// written once.
/// </summary>
internal sealed class ProgramChecker
{
    private readonly IReadOnlyList<StreamDecl> _streams;

    // Per-step names (inputs and scalars) and whether each is a mask.
    private readonly Dictionary<string, bool> _scalars = new(StringComparer.Ordinal)
    {
        [Expr.StepInput] = false,
        [Expr.LearningRateInput] = false,
        [Expr.GradientScaleInput] = false,
        [Expr.WeightDecayInput] = false,
        [Expr.PhaseInput] = false,
        [Expr.ParameterNormInput] = false,
        [Expr.UpdateNormInput] = false,
    };

    // The body's local names, so that a per-step scalar that reads one is told so.
    private readonly HashSet<string> _bodyLocals;

    private ProgramChecker(IReadOnlyList<StreamDecl> streams, IReadOnlyList<Statement> body)
    {
        _streams = streams;
        _bodyLocals = new HashSet<string>(AllStatements(body).Where(s => s.Kind == StatementKind.Let).Select(s => s.Target), StringComparer.Ordinal);
    }

    /// <exception cref="InvalidOperationException">The program breaks a rule; the message names it.</exception>
    public static void Check(IReadOnlyList<StreamDecl> streams, IReadOnlyList<ScalarStateDecl> scalarStates, IReadOnlyList<Statement> scalars, IReadOnlyList<Statement> body)
    {
        var checker = new ProgramChecker(streams, body);
        checker.CheckStreams();
        checker.CheckScalarStates(scalarStates);
        var storedStates = new HashSet<string>(StringComparer.Ordinal);
        foreach (Statement scalar in scalars)
        {
            if (scalar.Kind == StatementKind.Store)
            {
                checker.CheckScalarStore(scalar, scalarStates, storedStates);
            }
            else
            {
                checker.CheckScalar(scalar);
            }
        }

        List<BodyVariant> variants = new RuleProgram(string.Empty, default, default, body.ToEquatableArray()).Variants();
        if (variants.Count > MaxBodyVariants)
        {
            throw new InvalidOperationException($"The element body has {variants.Count} variants (combinations of per-step conditions); at most {MaxBodyVariants} are supported.");
        }

        checker.CheckConditions(body);
        foreach (BodyVariant variant in variants)
        {
            checker.CheckBody(variant.Statements);
        }
    }

    /// <summary>The most straight-line bodies a program's branches may make: each is an update struct and a set of loops.</summary>
    public const int MaxBodyVariants = 4;

    /// <summary>Every branch condition is a per-step comparison: the choice is made once per step, outside the element loop.</summary>
    private void CheckConditions(IReadOnlyList<Statement> statements)
    {
        foreach (Statement statement in statements.Where(s => s.Kind == StatementKind.Branch))
        {
            if (!Type(statement.Value, "a branch condition", element: null))
            {
                throw new InvalidOperationException("A branch condition must be a per-step comparison, not a number.");
            }

            CheckConditions(statement.Then);
            CheckConditions(statement.Else);
        }
    }

    /// <summary>Whether <paramref name="e"/> is a mask, given which names are: for the emitter's declarations.</summary>
    public static bool IsMask(Expr e, Func<string, bool> isMaskName) => e.Kind == ExprKind.Local ? isMaskName(e.Name) : Expr.IsComparison(e.Kind);

    /// <summary>The statements of <paramref name="statements"/> and of every branch arm in them.</summary>
    public static IEnumerable<Statement> AllStatements(IEnumerable<Statement> statements) =>
        statements.SelectMany(s => s.Kind == StatementKind.Branch ? AllStatements(s.Then).Concat(AllStatements(s.Else)) : new[] { s });

    private static bool IsInput(string name) => name is Expr.StepInput or Expr.LearningRateInput or Expr.GradientScaleInput or Expr.WeightDecayInput or Expr.PhaseInput or Expr.ParameterNormInput or Expr.UpdateNormInput;

    private bool IsStream(string name) => _streams.Any(s => s.Name == name);

    private void CheckStreams()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (StreamDecl stream in _streams)
        {
            if (!names.Add(stream.Name))
            {
                throw new InvalidOperationException($"Stream '{stream.Name}' is declared twice.");
            }

            if (IsInput(stream.Name))
            {
                throw new InvalidOperationException($"Stream '{stream.Name}' has the name of an input.");
            }
        }
    }

    private void CheckScalarStates(IReadOnlyList<ScalarStateDecl> states)
    {
        var checkpointNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (ScalarStateDecl state in states)
        {
            if (IsStream(state.Name))
            {
                throw new InvalidOperationException($"Persistent per-step scalar '{state.Name}' has the name of a stream.");
            }

            if (_scalars.ContainsKey(state.Name))
            {
                throw new InvalidOperationException(IsInput(state.Name)
                    ? $"Persistent per-step scalar '{state.Name}' has the name of an input."
                    : $"Persistent per-step scalar '{state.Name}' is declared twice.");
            }

            if (!checkpointNames.Add(state.CheckpointName))
            {
                throw new InvalidOperationException($"Two persistent per-step scalars have the checkpoint name '{state.CheckpointName}'.");
            }

            _scalars[state.Name] = false;
        }
    }

    private void CheckScalarStore(Statement statement, IReadOnlyList<ScalarStateDecl> states, HashSet<string> stored)
    {
        if (!states.Any(s => s.Name == statement.Target))
        {
            throw new InvalidOperationException($"'{statement.Target}' is not a persistent per-step scalar, so it cannot be stored to.");
        }

        if (Type(statement.Value, $"the store to '{statement.Target}'", element: null))
        {
            throw new InvalidOperationException($"The value stored to '{statement.Target}' is a condition, not a number; select a number with it.");
        }

        if (!stored.Add(statement.Target))
        {
            throw new InvalidOperationException($"Persistent per-step scalar '{statement.Target}' is written twice.");
        }
    }

    private void CheckScalar(Statement statement)
    {
        // Kernels name their stream parameters after the streams and their fields after the per-step scalars, so a
        // name means one thing.
        if (IsStream(statement.Target))
        {
            throw new InvalidOperationException($"Local '{statement.Target}' has the name of a stream.");
        }

        if (_scalars.ContainsKey(statement.Target))
        {
            throw new InvalidOperationException(IsInput(statement.Target)
                ? $"Per-step scalar '{statement.Target}' has the name of an input."
                : $"Per-step scalar '{statement.Target}' is defined twice.");
        }

        _scalars[statement.Target] = Type(statement.Value, $"per-step scalar '{statement.Target}'", element: null);
    }

    private void CheckBody(IReadOnlyList<Statement> body)
    {
        // Element locals and whether each is a mask.
        var locals = new Dictionary<string, bool>(StringComparer.Ordinal);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        foreach (Statement statement in body)
        {
            string what = statement.Kind == StatementKind.Let ? $"element local '{statement.Target}'" : $"the store to '{statement.Target}'";
            bool mask = Type(statement.Value, what, locals);

            // Streams hold the values before the step: a stream read after it was written would see the new value in
            // one kernel and the old one in another.
            foreach (Expr e in Emit.EmitContext.Walk(statement.Value))
            {
                if (e.Kind == ExprKind.Load && stored.Contains(e.Name))
                {
                    throw new InvalidOperationException($"Stream '{e.Name}' is read after it is written.");
                }
            }

            if (statement.Kind == StatementKind.Let)
            {
                if (IsStream(statement.Target))
                {
                    throw new InvalidOperationException($"Local '{statement.Target}' has the name of a stream.");
                }

                if (_scalars.ContainsKey(statement.Target))
                {
                    throw new InvalidOperationException($"Element local '{statement.Target}' has the name of a per-step scalar.");
                }

                locals[statement.Target] = mask;
                continue;
            }

            if (!_streams.Any(s => s.Name == statement.Target && s.Role != StreamRole.Gradients))
            {
                throw new InvalidOperationException($"'{statement.Target}' is not a stream that can be written.");
            }

            if (mask)
            {
                throw new InvalidOperationException($"The value stored to '{statement.Target}' is a condition, not a number; select a number with it.");
            }

            if (!stored.Add(statement.Target))
            {
                throw new InvalidOperationException($"Stream '{statement.Target}' is written twice.");
            }
        }
    }

    /// <summary>
    /// Checks <paramref name="e"/> in the element body (<paramref name="element"/>: its locals so far) or, when null, in a
    /// per-step scalar; returns whether it is a mask.
    /// </summary>
    private bool Type(Expr e, string what, Dictionary<string, bool>? element)
    {
        switch (e.Kind)
        {
            case ExprKind.Constant:
                return false;
            case ExprKind.Input:
                return IsInput(e.Name) ? false : throw new InvalidOperationException($"In {what}: '{e.Name}' is not an input.");
            case ExprKind.Load:
                if (element is null)
                {
                    throw new InvalidOperationException($"In {what}: stream '{e.Name}' is read, but a per-step scalar is computed once per step, not per element.");
                }

                return IsStream(e.Name) ? false : throw new InvalidOperationException($"In {what}: '{e.Name}' is not a stream.");
            case ExprKind.Local:
                if (element is not null && element.TryGetValue(e.Name, out bool localMask))
                {
                    return localMask;
                }

                if (_scalars.TryGetValue(e.Name, out bool scalarMask))
                {
                    if (scalarMask && element is not null)
                    {
                        throw new InvalidOperationException($"In {what}: per-step condition '{e.Name}' is used in the element body; compare in the body, or choose per step with a per-step Select.");
                    }

                    return scalarMask;
                }

                throw new InvalidOperationException(element is null && _bodyLocals.Contains(e.Name)
                    ? $"In {what}: element local '{e.Name}' is read, but a per-step scalar is computed once per step, not per element."
                    : $"In {what}: '{e.Name}' is not defined before it is used.");
            case ExprKind.Power or ExprKind.RoundToSingle when element is not null:
                throw new InvalidOperationException($"In {what}: {e.Kind} is a per-step operation (lanes have none); compute it in a per-step scalar.");
        }

        bool[] masks = e.Operands.Select(operand => Type(operand, what, element)).ToArray();
        if (e.Kind == ExprKind.Select)
        {
            if (!masks[0])
            {
                throw new InvalidOperationException($"In {what}: the condition of a Select must be a comparison, not a number.");
            }

            if (masks[1] || masks[2])
            {
                throw new InvalidOperationException($"In {what}: a Select chooses between numbers, not conditions.");
            }

            return false;
        }

        if (masks.Any(mask => mask))
        {
            throw new InvalidOperationException($"In {what}: a condition is an operand of {e.Kind}; conditions only choose, in a Select.");
        }

        return Expr.IsComparison(e.Kind);
    }
}
