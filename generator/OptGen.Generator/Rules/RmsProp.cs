using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary><c>torch.optim.RMSprop</c>: plain or centered, with or without momentum. Its α is MomentDecay.Second.</summary>
internal sealed class RmsPropRule() : RuleDefinition(
    UpdateRule.RMSprop,
    Options.LearningRate.WithDefault(1e-2),
    Options.Maximize,
    Options.WeightDecay,
    Options.DecoupledWeightDecay,
    Options.Epsilon,
    Options.EpsilonPlacement,
    Options.Beta2.WithDefault(0.99),
    Options.Momentum,
    Options.Centered)
{
    public override string Title(OptionValues values) =>
        (values.IsSet(Options.Centered) ? "centered RMSprop" : "RMSprop") + (values[Options.Momentum] != 0 ? " with momentum" : string.Empty);

    public override string? WhyNotApplicable(Option option) =>
        option.Key == Options.Beta1.Key ? "RMSprop keeps only a second moment; its decay (alpha) is MomentDecay.Second" : null;

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        Expr alpha = Constant("alpha", values[Options.Beta2]);
        Expr oneMinusAlpha = Constant("oneMinusAlpha", 1 - values[Options.Beta2]);
        Expr squareAverage = rule.Let(
            "squareAverage",
            Expr.MultiplyAdd(oneMinusAlpha * gradient, gradient, rule.State("squareAvg", "square_avg", "Moving average of squared gradients.") * alpha));
        rule.Store("squareAvg", squareAverage);

        Expr variance = squareAverage;
        if (values.IsSet(Options.Centered))
        {
            Expr gradientAverage = rule.Let(
                "gradientAverage",
                Expr.MultiplyAdd(gradient, oneMinusAlpha, rule.State("gradAvg", "grad_avg", "Moving average of gradients.") * alpha));
            rule.Store("gradAvg", gradientAverage);
            variance = rule.Let("variance", Expr.MultiplyAdd(-gradientAverage, gradientAverage, squareAverage));
        }

        Expr denominator = rule.Let("denominator", RootPlusEpsilon(values, variance));
        Expr negativeLearningRate = rule.Scalar("negativeLearningRate", -learningRate);
        double momentum = values[Options.Momentum];
        if (momentum == 0)
        {
            return parameter + ((negativeLearningRate * gradient) / denominator);
        }

        Expr buffer = rule.Let(
            "b",
            (rule.State("momentumBuffer", "momentum_buffer", "Momentum buffer b.") * Constant("momentum", momentum)) + (gradient / denominator));
        rule.Store("momentumBuffer", buffer);
        return Expr.MultiplyAdd(buffer, negativeLearningRate, parameter);
    }
}

/// <summary>Registers <see cref="RmsPropRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition RmsProp = Register(new RmsPropRule());
}
