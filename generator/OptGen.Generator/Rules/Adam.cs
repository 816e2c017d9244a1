using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary><c>torch.optim.Adam</c>, with AMSGrad, optional bias correction and either weight decay.</summary>
internal class AdamRule : RuleDefinition
{
    public AdamRule()
        : this(UpdateRule.Adam, Options.WeightDecay, Options.DecoupledWeightDecay)
    {
    }

    /// <summary>Adam's options with another rule's weight-decay defaults (AdamW's).</summary>
    protected AdamRule(UpdateRule rule, Option weightDecay, Option decoupled)
        : base(
            rule,
            Options.LearningRate,
            Options.Maximize,
            weightDecay,
            decoupled,
            Options.Beta1,
            Options.Beta2,
            Options.Epsilon,
            Options.EpsilonPlacement,
            Options.BiasCorrection,
            Options.AmsGrad)
    {
    }

    public override string Title(OptionValues values) =>
        (values.IsSet(Options.DecoupledWeightDecay) && values[Options.WeightDecay] != 0 ? "AdamW" : "Adam") + (values.IsSet(Options.AmsGrad) ? " (AMSGrad)" : string.Empty);

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        WarnIfSecondDecayBelowFirst(values, report);
    }

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        double beta1 = values[Options.Beta1];
        double beta2 = values[Options.Beta2];
        Expr m = rule.Let(
            "m",
            Expr.MultiplyAdd(gradient, Constant("oneMinusBeta1", 1 - beta1), rule.State("expAvg", "exp_avg", "First moment m.") * Constant("beta1", beta1)));
        rule.Store("expAvg", m);
        Expr v = rule.Let(
            "v",
            Expr.MultiplyAdd(Constant("oneMinusBeta2", 1 - beta2) * gradient, gradient, rule.State("expAvgSq", "exp_avg_sq", "Second moment v.") * Constant("beta2", beta2)));
        rule.Store("expAvgSq", v);
        if (values.IsSet(Options.AmsGrad))
        {
            v = rule.Let("vMax", Expr.Maximum(rule.State("maxExpAvgSq", "max_exp_avg_sq", "Running maximum of v (AMSGrad)."), v));
            rule.Store("maxExpAvgSq", v);
        }

        bool outside = values[Options.EpsilonPlacement] == (int)EpsilonPlacement.OutsideSquareRoot;
        Expr epsilon = Constant("epsilon", values[Options.Epsilon]);
        Expr negativeStepSize;
        Expr denominator;
        if (!values.IsSet(Options.BiasCorrection))
        {
            negativeStepSize = rule.Scalar("negativeStepSize", -learningRate);
            denominator = outside ? Expr.SquareRoot(v) + epsilon : Expr.SquareRoot(v + epsilon);
        }
        else
        {
            // PyTorch: step_size = lr / (1 − β₁ᵗ); denom = √v / √(1 − β₂ᵗ) + ε, the corrections computed once per step.
            Expr one = Constant("one", 1);
            Expr biasCorrection1 = rule.Scalar("biasCorrection1", one - Expr.Power(Constant("beta1", beta1), Step));
            Expr biasCorrection2 = rule.Scalar("biasCorrection2", one - Expr.Power(Constant("beta2", beta2), Step));
            negativeStepSize = rule.Scalar("negativeStepSize", -(learningRate / biasCorrection1));
            denominator = outside
                ? (Expr.SquareRoot(v) / rule.Scalar("biasCorrection2Sqrt", Expr.SquareRoot(biasCorrection2))) + epsilon
                : Expr.SquareRoot((v / biasCorrection2) + epsilon);
        }

        Expr denominatorLocal = rule.Let("denominator", denominator);
        return parameter + ((negativeStepSize * m) / denominatorLocal);
    }
}

/// <summary>Registers <see cref="AdamRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition Adam = Register(new AdamRule());
}
