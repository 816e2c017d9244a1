using System;
using System.Collections.Generic;
using System.Linq;

namespace OptGen.Generator.Ir;

/// <summary>
/// Executes a <see cref="RuleProgram"/> one element at a time. In single precision every element operation rounds to
/// float exactly as the emitted kernels do (fused multiply-add included), so the two agree bit for bit.
/// </summary>
internal static class Interpreter
{
    /// <summary>
    /// Evaluates the per-step scalars of step <paramref name="step"/> (1-based) in double precision, the persistent
    /// ones at their values in <paramref name="scalarState"/> (keyed by name); returns them with the persistent scalars'
    /// values after the step in <paramref name="stored"/>.
    /// </summary>
    public static Dictionary<string, double> EvaluateScalars(
        RuleProgram program, long step, double learningRate, IReadOnlyDictionary<string, double>? scalarState, out Dictionary<string, double> stored)
    {
        var scalars = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [Expr.StepInput] = step,
            [Expr.LearningRateInput] = learningRate,

            // A plain step: nothing clipped, weight decay everywhere.
            [Expr.GradientScaleInput] = 1,
            [Expr.WeightDecayInput] = 1,
            [Expr.PhaseInput] = 0,
            [Expr.ParameterNormInput] = 0,
            [Expr.UpdateNormInput] = 0,
        };
        foreach (ScalarStateDecl state in program.ScalarStates)
        {
            scalars[state.Name] = scalarState is not null ? scalarState[state.Name] : throw new ArgumentNullException(nameof(scalarState), "The program keeps persistent per-step scalars.");
        }

        // Stores take effect after the step: every read sees the value before it.
        stored = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Statement statement in program.Scalars)
        {
            double value = EvaluateScalar(statement.Value, scalars, step);
            if (statement.Kind == StatementKind.Store)
            {
                stored[statement.Target] = value;
            }
            else
            {
                scalars[statement.Target] = value;
            }
        }

        return scalars;
    }

    /// <summary>
    /// Applies one step to every element of <paramref name="streams"/> (keyed by stream name), in place, then advances
    /// the persistent per-step scalars in <paramref name="scalarState"/> (keyed by name; required if there are any).
    /// </summary>
    public static void Step(
        RuleProgram program, long step, double learningRate, IReadOnlyDictionary<string, double[]> streams, bool singlePrecision, Dictionary<string, double>? scalarState = null)
    {
        Dictionary<string, double> scalars = EvaluateScalars(program, step, learningRate, scalarState, out Dictionary<string, double> stored);
        foreach (KeyValuePair<string, double> value in stored)
        {
            scalarState![value.Key] = value.Value;
        }

        // Branches are chosen once per step, from the per-step scalars.
        BodyVariant body = program.Variants().First(v => v.Path.All(c => (EvaluateScalar(c.Condition, scalars, step) != 0) == c.Holds));
        int length = streams[RuleProgram.ParametersStream].Length;
        var original = new Dictionary<string, double>(StringComparer.Ordinal);
        var locals = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < length; i++)
        {
            original.Clear();
            locals.Clear();
            foreach (KeyValuePair<string, double[]> stream in streams)
            {
                original[stream.Key] = stream.Value[i];
            }

            foreach (Statement statement in body.Statements)
            {
                double value = EvaluateElement(statement.Value, original, locals, scalars, singlePrecision);
                if (statement.Kind == StatementKind.Let)
                {
                    locals[statement.Target] = value;
                }
                else
                {
                    streams[statement.Target][i] = value;
                }
            }
        }
    }

    private static double EvaluateScalar(Expr e, Dictionary<string, double> scalars, long step) => e.Kind switch
    {
        ExprKind.Constant => e.Value,
        ExprKind.Input or ExprKind.Local => scalars[e.Name],
        ExprKind.Negate => -EvaluateScalar(e[0], scalars, step),
        ExprKind.SquareRoot => Math.Sqrt(EvaluateScalar(e[0], scalars, step)),
        ExprKind.Add => EvaluateScalar(e[0], scalars, step) + EvaluateScalar(e[1], scalars, step),
        ExprKind.Subtract => EvaluateScalar(e[0], scalars, step) - EvaluateScalar(e[1], scalars, step),
        ExprKind.Multiply => EvaluateScalar(e[0], scalars, step) * EvaluateScalar(e[1], scalars, step),
        ExprKind.Divide => EvaluateScalar(e[0], scalars, step) / EvaluateScalar(e[1], scalars, step),
        ExprKind.Maximum => Maximum(EvaluateScalar(e[0], scalars, step), EvaluateScalar(e[1], scalars, step)),
        ExprKind.Minimum => Minimum(EvaluateScalar(e[0], scalars, step), EvaluateScalar(e[1], scalars, step)),
        ExprKind.Absolute => Math.Abs(EvaluateScalar(e[0], scalars, step)),
        ExprKind.Power => Math.Pow(EvaluateScalar(e[0], scalars, step), EvaluateScalar(e[1], scalars, step)),
        ExprKind.RoundToSingle => (double)(float)EvaluateScalar(e[0], scalars, step),
        ExprKind.Exponential => Math.Exp(EvaluateScalar(e[0], scalars, step)),
        ExprKind.Logarithm => Math.Log(EvaluateScalar(e[0], scalars, step)),
        ExprKind.MultiplyAdd => FusedMultiplyAdd(EvaluateScalar(e[0], scalars, step), EvaluateScalar(e[1], scalars, step), EvaluateScalar(e[2], scalars, step)),
        ExprKind.Sign => Sign(EvaluateScalar(e[0], scalars, step)),
        ExprKind.Clamp => Clamp(EvaluateScalar(e[0], scalars, step), EvaluateScalar(e[1], scalars, step), EvaluateScalar(e[2], scalars, step)),
        ExprKind.Select => EvaluateScalar(e[0], scalars, step) != 0 ? EvaluateScalar(e[1], scalars, step) : EvaluateScalar(e[2], scalars, step),
        _ when Expr.IsComparison(e.Kind) => Compare(e.Kind, EvaluateScalar(e[0], scalars, step), EvaluateScalar(e[1], scalars, step)),
        _ => throw new InvalidOperationException($"{e.Kind} is not a per-step scalar operation."),
    };

    private static double EvaluateElement(
        Expr e,
        Dictionary<string, double> original,
        Dictionary<string, double> locals,
        Dictionary<string, double> scalars,
        bool single)
    {
        double Operand(int index) => EvaluateElement(e[index], original, locals, scalars, single);

        double Round(double x) => single ? (float)x : x;

        return e.Kind switch
        {
            ExprKind.Constant => Round(e.Value),
            ExprKind.Input => Round(scalars[e.Name]),
            ExprKind.Local => locals.TryGetValue(e.Name, out double local) ? local : Round(scalars[e.Name]),
            ExprKind.Load => Round(original[e.Name]),
            ExprKind.Negate => -Operand(0),
            ExprKind.SquareRoot => Round(Math.Sqrt(Operand(0))),
            // In float, Math's rounded to float: within 1 ulp of MathF's, not always equal (no preset uses them).
            ExprKind.Exponential => Round(Math.Exp(Operand(0))),
            ExprKind.Logarithm => Round(Math.Log(Operand(0))),
            ExprKind.Add => Round(Operand(0) + Operand(1)),
            ExprKind.Subtract => Round(Operand(0) - Operand(1)),
            ExprKind.Multiply => Round(Operand(0) * Operand(1)),
            ExprKind.Divide => Round(Operand(0) / Operand(1)),
            ExprKind.Maximum => Maximum(Operand(0), Operand(1)),
            ExprKind.Minimum => Minimum(Operand(0), Operand(1)),
            ExprKind.Absolute => Math.Abs(Operand(0)),
            ExprKind.MultiplyAdd => single
                ? FusedMultiplyAdd((float)Operand(0), (float)Operand(1), (float)Operand(2))
                : FusedMultiplyAdd(Operand(0), Operand(1), Operand(2)),

            // Exact in either precision: a sign, one of the (already rounded) operands, or NaN.
            ExprKind.Sign => Sign(Operand(0)),
            ExprKind.Clamp => Clamp(Operand(0), Operand(1), Operand(2)),
            ExprKind.Select => Operand(0) != 0 ? Operand(1) : Operand(2),
            _ when Expr.IsComparison(e.Kind) => Compare(e.Kind, Operand(0), Operand(1)),
            _ => throw new InvalidOperationException($"{e.Kind} is not an element operation."),
        };
    }

    private static double Maximum(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b);

    private static double Minimum(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b);

    // torch.sign: (0 < x) − (x < 0), so NaN and ±0 give +0.
    private static double Sign(double x) => (x > 0 ? 1.0 : 0.0) - (x < 0 ? 1.0 : 0.0);

    // torch.clamp with scalar bounds: min(max(x, lo), hi) in std::min/std::max's sense (the value is kept unless strictly
    // outside), NaN for a NaN bound. A float NaN converts to the positive quiet float NaN.
    private static double Clamp(double x, double min, double max)
    {
        if (double.IsNaN(min) || double.IsNaN(max))
        {
            return BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000);
        }

        double raised = x < min ? min : x;
        return max < raised ? max : raised;
    }

    // A mask is 1 (true) or 0 (false) here; only Select reads it.
    private static double Compare(ExprKind kind, double a, double b) => kind switch
    {
        ExprKind.LessThan => a < b,
        ExprKind.LessThanOrEqual => a <= b,
        ExprKind.GreaterThan => a > b,
        ExprKind.GreaterThanOrEqual => a >= b,
        ExprKind.Equal => a == b,
        _ => a != b,
    } ? 1.0 : 0.0;

    private static double FusedMultiplyAdd(double a, double b, double c) => FusedMath.MultiplyAdd(a, b, c);

    private static float FusedMultiplyAdd(float a, float b, float c) => FusedMath.MultiplyAdd(a, b, c);
}
