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
    Options.DecoupledWeightDecay,
    Options.Beta1,
    Options.Beta2,
    Options.Epsilon)
{
    public override string Title(OptionValues values) => "Adamax";

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        double beta1 = values[Options.Beta1];
        Expr m = rule.Let("m", Expr.MultiplyAdd(gradient, Constant("oneMinusBeta1", 1 - beta1), rule.State("expAvg", "exp_avg", "First moment m.") * Constant("beta1", beta1)));
        rule.Store("expAvg", m);
        Expr u = rule.Let("u", Expr.Maximum(rule.State("expInf", "exp_inf", "Infinity norm u.") * Constant("beta2", values[Options.Beta2]), Expr.Absolute(gradient) + Constant("epsilon", values[Options.Epsilon])));
        rule.Store("expInf", u);
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
