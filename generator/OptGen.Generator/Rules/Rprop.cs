using System;
using OptGen.Generator.Contracts;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary>
/// <c>torch.optim.Rprop</c> (1.13's single-tensor path): per-element step sizes adapted by the sign of g·g_prev. The
/// learning rate is the initial step size: PyTorch reads it only when it creates the state, at the first step. 1.13's
/// Rprop has no weight decay, so <c>[WeightDecay]</c> is not accepted.
/// </summary>
internal sealed class RpropRule() : RuleDefinition(
    UpdateRule.Rprop,
    Options.LearningRate.WithDefault(1e-2),
    Options.Maximize,
    Decrease,
    Increase,
    Minimum,
    Maximum)
{
    public static readonly Option Decrease = new(
        nameof(StepSizeAdaptationAttribute), nameof(StepSizeAdaptationAttribute.Decrease), OptionKind.Number, new StepSizeAdaptationAttribute().Decrease, Fingerprints.Number("etaminus"),
        Range(v => v > 0 && v < 1, "greater than 0 and less than 1 (e.g. 0.5)"));

    public static readonly Option Increase = new(
        nameof(StepSizeAdaptationAttribute), nameof(StepSizeAdaptationAttribute.Increase), OptionKind.Number, new StepSizeAdaptationAttribute().Increase, Fingerprints.Number("etaplus"),
        Range(v => v > 1 && !double.IsInfinity(v), "finite and greater than 1 (e.g. 1.2)"));

    public static readonly Option Minimum = new(
        nameof(StepSizeAdaptationAttribute), nameof(StepSizeAdaptationAttribute.Minimum), OptionKind.Number, new StepSizeAdaptationAttribute().Minimum, Fingerprints.Number("step_size_min"), ValueRange.NonNegative);

    public static readonly Option Maximum = new(
        nameof(StepSizeAdaptationAttribute), nameof(StepSizeAdaptationAttribute.Maximum), OptionKind.Number, new StepSizeAdaptationAttribute().Maximum, Fingerprints.Number("step_size_max"), ValueRange.NonNegative);

    public override string Title(OptionValues values) => "Rprop";

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        if (values[Minimum] > values[Maximum])
        {
            report.Report(
                DiagnosticDescriptors.OptionOutOfRange,
                Maximum,
                Maximum.DisplayName,
                Maximum.Show(values[Maximum]),
                $"at least {Minimum.DisplayName} ({Minimum.Show(values[Minimum])})");
        }
    }

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        Expr zero = Constant("zero", 0);
        Expr one = Constant("one", 1);
        Expr previous = rule.State("prev", "prev", "Previous gradient, zero where its sign flipped.");

        // PyTorch fills step_size with lr when it creates the state, at the first step; later steps read the stored sizes.
        rule.If(
            Expr.Equal(Step, one),
            () => rule.Let("s", learningRate),
            () => rule.Let("s", rule.State("stepSize", "step_size", "Step size of each element.", values[Options.LearningRate])));
        Expr stepSize = Expr.Local("s");

        // sign = g.mul(prev).sign(): the product first (it may underflow to 0, "no change"), sign(NaN) = 0.
        Expr direction = rule.Let("direction", Expr.Sign(gradient * previous));
        Expr flipped = Expr.LessThan(direction, zero);
        Expr factor = rule.Let(
            "factor",
            Expr.Select(Expr.GreaterThan(direction, zero), Constant("increase", values[Increase]), Expr.Select(flipped, Constant("decrease", values[Decrease]), one)));
        stepSize = rule.Let("s", Expr.Clamp(stepSize * factor, Constant("minimum", values[Minimum]), Constant("maximum", values[Maximum])));
        rule.Store("stepSize", stepSize);

        // grad[sign == η⁻] = 0; p.addcmul_(grad.sign(), step_size, value=−1); prev.copy_(grad)
        Expr kept = rule.Let("g", Expr.Select(flipped, zero, gradient));
        rule.Store("prev", kept);
        return Expr.MultiplyAdd(-Expr.Sign(kept), stepSize, parameter);
    }

    private static ValueRange Range(Func<double, bool> contains, string requirement) =>
        new(contains, DiagnosticDescriptors.OptionOutOfRange, (name, shown) => [name, shown, requirement]);
}

/// <summary>Registers <see cref="RpropRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition Rprop = Register(new RpropRule());
}
