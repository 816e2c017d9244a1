using System;
using System.Collections.Generic;
using System.Linq;

namespace OptGen.Generator.Ir;

/// <summary>
/// Which state buffers a rule keeps ≥ 0 (second moments, accumulators): 8-bit storage quantizes those with the unsigned
/// map, which spends all 256 codes on non-negative values, as bitsandbytes does for its second states.
/// </summary>
/// <remarks>
/// A state is non-negative if its initial value is and every value the rule stores into it is, given that the states
/// it reads are (the largest such set, found by removing counterexamples until none is left). The proof is by operand
/// signs only, so it misses some facts, never invents one: a state it cannot prove uses the signed map, which holds
/// either sign.
/// </remarks>
internal static class SignAnalysis
{
    public static bool[] NonNegativeStates(RuleProgram program)
    {
        List<StreamDecl> states = program.States().ToList();
        var candidates = new HashSet<string>(states.Where(s => s.InitialValue >= 0).Select(s => s.Name), StringComparer.Ordinal);
        HashSet<string> scalars = NonNegativeScalars(program);

        List<BodyVariant> variants = program.Variants();
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (BodyVariant variant in variants)
            {
                var locals = new HashSet<string>(scalars, StringComparer.Ordinal);
                foreach (Statement statement in variant.Statements)
                {
                    bool nonNegative = IsNonNegative(statement.Value, locals, candidates);
                    if (statement.Kind == StatementKind.Let && nonNegative)
                    {
                        locals.Add(statement.Target);
                    }
                    else if (statement.Kind == StatementKind.Store && !nonNegative && candidates.Remove(statement.Target))
                    {
                        changed = true;
                    }
                }
            }
        }

        return states.Select(s => candidates.Contains(s.Name)).ToArray();
    }

    /// <summary>The per-step scalars proven ≥ 0 (they read no state): what every proof about the element body starts from.</summary>
    public static HashSet<string> NonNegativeScalars(RuleProgram program)
    {
        var scalars = new HashSet<string>(StringComparer.Ordinal);
        foreach (Statement scalar in program.Scalars)
        {
            if (scalar.Kind == StatementKind.Let && IsNonNegative(scalar.Value, scalars, new HashSet<string>()))
            {
                scalars.Add(scalar.Target);
            }
        }

        return scalars;
    }

    /// <summary>Whether a·b ≥ 0: both factors are, or they are the same value up to non-negative factors (g·g, (0.001·g)·g).</summary>
    private static bool SameSign(Expr a, Expr b, HashSet<string> locals, HashSet<string> states) =>
        (IsNonNegative(a, locals, states) && IsNonNegative(b, locals, states)) || Core(a, locals, states) == Core(b, locals, states);

    private static Expr Core(Expr e, HashSet<string> locals, HashSet<string> states)
    {
        while (e.Kind == ExprKind.Multiply)
        {
            if (IsNonNegative(e.Operands[0], locals, states))
            {
                e = e.Operands[1];
            }
            else if (IsNonNegative(e.Operands[1], locals, states))
            {
                e = e.Operands[0];
            }
            else
            {
                break;
            }
        }

        return e;
    }

    /// <summary>Whether <paramref name="e"/> is ≥ 0 (or NaN) given the non-negative <paramref name="locals"/> and <paramref name="states"/>.</summary>
    internal static bool IsNonNegative(Expr e, HashSet<string> locals, HashSet<string> states)
    {
        bool Operand(int i) => IsNonNegative(e.Operands[i], locals, states);
        return e.Kind switch
        {
            ExprKind.Constant => e.Value >= 0,

            // The step number, the rates, the clipping coefficient, the norms and the pass are never negative.
            ExprKind.Input => true,
            ExprKind.Local => locals.Contains(e.Name),
            ExprKind.Load => states.Contains(e.Name),
            ExprKind.SquareRoot or ExprKind.Absolute or ExprKind.Exponential => true,
            ExprKind.Add or ExprKind.Divide or ExprKind.Minimum => Operand(0) && Operand(1),
            ExprKind.Multiply => SameSign(e.Operands[0], e.Operands[1], locals, states),
            ExprKind.MultiplyAdd => SameSign(e.Operands[0], e.Operands[1], locals, states) && Operand(2),
            ExprKind.Maximum => Operand(0) || Operand(1),
            ExprKind.Clamp => Operand(1),
            ExprKind.Select => Operand(1) && Operand(2),
            ExprKind.Power or ExprKind.RoundToSingle => Operand(0),
            _ => false,
        };
    }
}
