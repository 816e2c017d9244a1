using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary><c>torch.optim.Adamax</c> (PyTorch 1.13): Adam with the infinity norm of the gradients.</summary>
internal sealed class AdamaxRule() : RuleDefinition(
    UpdateRule.Adamax,
    Options.LearningRate.WithDefault(2e-3),
    Options.Maximize,
    Options.WeightDecay,
    Options.Beta1,
    Options.Beta2,
    Options.Epsilon)
{
    public override string Title(OptionValues values) => "Adamax";

    public override string? WhyNotApplicable(Option option) =>
        option.Key == Options.DecoupledWeightDecay.Key ? "torch.optim.Adamax's weight decay is L2 only; remove Decoupled" : null;

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        double beta1 = values[Options.Beta1];
        Expr m = rule.Let("m", Expr.MultiplyAdd(gradient, Constant("oneMinusBeta1", 1 - beta1), rule.State("expAvg", "exp_avg", "First moment m.") * Constant("beta1", beta1)));
        rule.Store("expAvg", m);

        // PyTorch: amax(cat[u.mul_(β₂), |g|.add_(ε)]). ε sits inside the maximum (so u > 0), and amax propagates NaN as Maximum does.
        Expr u = rule.Let("u", Expr.Maximum(rule.State("expInf", "exp_inf", "Exponentially weighted infinity norm u.") * Constant("beta2", values[Options.Beta2]), Expr.Absolute(gradient) + Constant("epsilon", values[Options.Epsilon])));
        rule.Store("expInf", u);

        // p.addcdiv_(m, u, value=−lr/(1 − β₁ᵗ)), the step size computed once per step in double.
        Expr one = Constant("one", 1);
        Expr negativeStepSize = rule.Scalar("negativeStepSize", -(learningRate / (one - Expr.Power(Constant("beta1", beta1), Step))));
        return parameter + ((negativeStepSize * m) / u);
    }
}

/// <summary>Registers <see cref="AdamaxRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition Adamax = Register(new AdamaxRule());
}
