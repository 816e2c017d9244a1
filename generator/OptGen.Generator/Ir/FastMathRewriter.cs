using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OptGen.Generator.Model;

namespace OptGen.Generator.Ir;

/// <summary>
/// <c>[FastMath]</c>: rewrites a rule's element body for speed at the cost of its exact rounding. Per-step scalars are
/// left alone (they run once per step, in double), and so is every condition of a <see cref="ExprKind.Select"/>, so
/// that a rewrite changes a value by a few units in the last place and never which branch an element takes by itself.
/// </summary>
/// <remarks>
/// The rewrites, bottom-up:
/// <list type="bullet">
/// <item><c>x / s</c> with <c>s</c> per-step → <c>x · (1/s)</c>, the reciprocal a new per-step scalar (or a folded constant).</item>
/// <item><c>(s · x) / y</c> with <c>s</c> per-step → <c>s · (x / y)</c>, which the next rewrite fuses with an addition.</item>
/// <item><c>a + b·c</c> → one fused multiply-add where no cancellation can make the difference large: both addends are
/// provably ≥ 0, or <c>a</c> is the value the statement redefines (<c>p = p ± b·c</c>, the one update of a value).</item>
/// </list>
/// Each rewrite changes its own result by a rounding, relative to its own magnitude, and no rewritten sum can cancel
/// by more than the value it updates moves; that is what keeps the per-element bound of <c>FastMathAttribute</c>.
/// </remarks>
internal static class FastMathRewriter
{
    public static RuleProgram Rewrite(RuleProgram program)
    {
        var rewriter = new Rewriter(program);
        HashSet<string> nonNegative = SignAnalysis.NonNegativeScalars(program);
        var body = program.Body.Select(statement => rewriter.Statement(statement, nonNegative)).ToEquatableArray();
        return program with
        {
            Scalars = program.Scalars.Concat(rewriter.Reciprocals).ToEquatableArray(),
            Body = body,
        };
    }

    private sealed class Rewriter
    {
        // Names that hold one value per step: per-step lets and scalar states. A name the element body also defines is
        // treated as per-element.
        private readonly HashSet<string> _perStep;
        private readonly HashSet<string> _taken;
        private readonly Dictionary<Expr, string> _reciprocalNames = new();
        private readonly HashSet<string> _nonNegativeStates;
        private readonly HashSet<string> _streamLocals = new(StringComparer.Ordinal);

        public Rewriter(RuleProgram program)
        {
            var elementLocals = new HashSet<string>(StringComparer.Ordinal);
            CollectLets(program.Body, elementLocals);
            _perStep = new HashSet<string>(
                program.Scalars.Where(s => s.Kind == StatementKind.Let).Select(s => s.Target)
                    .Concat(program.ScalarStates.Select(s => s.Name))
                    .Where(name => !elementLocals.Contains(name)),
                StringComparer.Ordinal);
            _taken = new HashSet<string>(elementLocals.Concat(_perStep).Concat(program.Streams.Select(s => s.Name)), StringComparer.Ordinal);
            bool[] states = SignAnalysis.NonNegativeStates(program);
            _nonNegativeStates = new HashSet<string>(program.States().Where((_, i) => states[i]).Select(s => s.Name), StringComparer.Ordinal);
            CollectStreamLocals(program.Body, new Dictionary<string, string>(StringComparer.Ordinal));
        }

        // Locals defined as a stream's value and stored back to that stream.
        private void CollectStreamLocals(IEnumerable<Statement> statements, Dictionary<string, string> readFrom)
        {
            foreach (Statement statement in statements)
            {
                if (statement.Kind == StatementKind.Let && statement.Value.Kind == ExprKind.Load)
                {
                    readFrom[statement.Target] = statement.Value.Name;
                }
                else if (statement.Kind == StatementKind.Store && statement.Value.Kind == ExprKind.Local
                    && readFrom.TryGetValue(statement.Value.Name, out string? stream) && stream == statement.Target)
                {
                    _streamLocals.Add(statement.Value.Name);
                }

                CollectStreamLocals(statement.Then, new Dictionary<string, string>(readFrom, StringComparer.Ordinal));
                CollectStreamLocals(statement.Else, new Dictionary<string, string>(readFrom, StringComparer.Ordinal));
            }
        }

        public List<Statement> Reciprocals { get; } = [];

        /// <summary>Rewrites one statement; <paramref name="nonNegative"/> holds the locals proven ≥ 0 so far, and grows.</summary>
        public Statement Statement(Statement statement, HashSet<string> nonNegative)
        {
            if (statement.Kind == StatementKind.Branch)
            {
                return statement with
                {
                    Then = Arm(statement.Then, nonNegative),
                    Else = Arm(statement.Else, nonNegative),
                };
            }

            Expr value = Rewrite(statement.Value, statement.Target, nonNegative);
            if (statement.Kind == StatementKind.Let)
            {
                if (SignAnalysis.IsNonNegative(value, nonNegative, _nonNegativeStates))
                {
                    nonNegative.Add(statement.Target);
                }
                else
                {
                    nonNegative.Remove(statement.Target);
                }
            }

            return statement with { Value = value };
        }

        private EquatableArray<Statement> Arm(EquatableArray<Statement> statements, HashSet<string> nonNegative)
        {
            var own = new HashSet<string>(nonNegative, StringComparer.Ordinal);
            return statements.Select(statement => Statement(statement, own)).ToEquatableArray();
        }

        /// <param name="target">The local or stream the statement defines, for its outermost operation; null below it.</param>
        private Expr Rewrite(Expr e, string? target, HashSet<string> nonNegative)
        {
            if (e.Operands.Count == 0 || IsPerStep(e))
            {
                return e;
            }

            if (e.Kind == ExprKind.Select)
            {
                // The condition as written: a rewritten comparison could flip an element's branch.
                return e with { Operands = new[] { e[0], Rewrite(e[1], null, nonNegative), Rewrite(e[2], null, nonNegative) }.ToEquatableArray() };
            }

            if (Expr.IsComparison(e.Kind))
            {
                return e;
            }

            e = e with { Operands = e.Operands.Select(operand => Rewrite(operand, null, nonNegative)).ToEquatableArray() };
            switch (e.Kind)
            {
                case ExprKind.Divide when IsPerStep(e[1]):
                    return e[0] * Reciprocal(e[1], nonNegative);
                case ExprKind.Divide when e[0].Kind == ExprKind.Multiply && IsPerStep(e[0][0]):
                    return e[0][0] * (e[0][1] / e[1]);
                case ExprKind.Divide when e[0].Kind == ExprKind.Multiply && IsPerStep(e[0][1]):
                    return e[0][1] * (e[0][0] / e[1]);
                case ExprKind.Add when e[1].Kind == ExprKind.Multiply && Fusable(e[0], e[1], target, nonNegative):
                    return Expr.MultiplyAdd(e[1][0], e[1][1], e[0]);
                case ExprKind.Add when e[0].Kind == ExprKind.Multiply && Fusable(e[1], e[0], target, nonNegative):
                    return Expr.MultiplyAdd(e[0][0], e[0][1], e[1]);
                case ExprKind.Subtract when e[1].Kind == ExprKind.Multiply && IsTarget(e[0], target):
                    return Expr.MultiplyAdd(Negated(e[1][0]), e[1][1], e[0]);
                default:
                    return e;
            }
        }

        // a + product, fused: a is the value being updated, or neither can be negative (no cancellation).
        private bool Fusable(Expr addend, Expr product, string? target, HashSet<string> nonNegative) =>
            IsTarget(addend, target)
            || (SignAnalysis.IsNonNegative(addend, nonNegative, _nonNegativeStates) && SignAnalysis.IsNonNegative(product, nonNegative, _nonNegativeStates));

        // The value a statement updates, where that value is a stream's: the stream itself, or a local read from a stream
        // and stored back to it (p = parameters; … p = p − u …; parameters = p). Other locals (a gradient with weight
        // decay added) are intermediate values whose cancellation the bound's scale does not see.
        private bool IsTarget(Expr e, string? target) => target is not null && e.Kind is ExprKind.Local or ExprKind.Load && e.Name == target
            && (e.Kind == ExprKind.Load || _streamLocals.Contains(target));

        // Negation is exact, so only the fusion changes the rounding; a constant is negated as it is written.
        private static Expr Negated(Expr e) => e.Kind == ExprKind.Constant
            ? Expr.Constant(Prefixed("negative", e.Name), -e.Value)
            : e.Kind == ExprKind.Negate ? e[0] : -e;

        private static string Prefixed(string prefix, string name) => prefix + char.ToUpperInvariant(name[0]) + name.Substring(1);

        /// <summary>1/<paramref name="divisor"/>: a constant folded, else a per-step scalar defined once per divisor (and known ≥ 0 where the divisor is).</summary>
        private Expr Reciprocal(Expr divisor, HashSet<string> nonNegative)
        {
            if (divisor.Kind == ExprKind.Constant)
            {
                return Expr.Constant(Prefixed("inverse", divisor.Name), 1 / divisor.Value);
            }

            if (!_reciprocalNames.TryGetValue(divisor, out string? name))
            {
                string stem = divisor.Kind is ExprKind.Local or ExprKind.Input ? Prefixed("inverse", divisor.Name) : "reciprocal";
                name = stem;
                for (int k = 2; !_taken.Add(name); k++)
                {
                    name = stem + k.ToString(CultureInfo.InvariantCulture);
                }

                _reciprocalNames[divisor] = name;
                _perStep.Add(name);
                Reciprocals.Add(new Statement(StatementKind.Let, name, Expr.Constant("one", 1) / divisor));
            }

            if (SignAnalysis.IsNonNegative(divisor, nonNegative, _nonNegativeStates))
            {
                nonNegative.Add(name);
            }

            return Expr.Local(name);
        }

        /// <summary>Whether <paramref name="e"/> has one value per step: constants, inputs and per-step names only.</summary>
        private bool IsPerStep(Expr e) => e.Kind switch
        {
            ExprKind.Constant or ExprKind.Input => true,
            ExprKind.Local => _perStep.Contains(e.Name),
            ExprKind.Load => false,
            _ => e.Operands.All(IsPerStep),
        };

        private static void CollectLets(IEnumerable<Statement> statements, HashSet<string> names)
        {
            foreach (Statement statement in statements)
            {
                if (statement.Kind == StatementKind.Let)
                {
                    names.Add(statement.Target);
                }

                CollectLets(statement.Then, names);
                CollectLets(statement.Else, names);
            }
        }
    }
}
