using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary>
/// <c>torch.optim.RAdam</c> (PyTorch 1.13): Adam whose adaptive rate is used, rectified, only on steps where the
/// approximated SMA length ρₜ is above 5; before that, SGD with momentum on the bias-corrected first moment.
/// </summary>
internal sealed class RAdamRule() : RuleDefinition(
    UpdateRule.RAdam,
    Options.LearningRate,
    Options.Maximize,
    Options.WeightDecay,
    Options.DecoupledWeightDecay,
    Options.Beta1,
    Options.Beta2,
    Options.Epsilon)
{
    public override string Title(OptionValues values) => "RAdam";

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        WarnIfSecondDecayBelowFirst(values, report);
    }

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        double beta1 = values[Options.Beta1];
        double beta2 = values[Options.Beta2];
        Expr one = Constant("one", 1);
        Expr two = Constant("two", 2);
        Expr four = Constant("four", 4);
        Expr beta2Constant = Constant("beta2", beta2);

        // Per step, in double as PyTorch's Python floats, in its order of operations.
        Expr biasCorrection1 = rule.Scalar("biasCorrection1", one - Expr.Power(Constant("beta1", beta1), Step));
        Expr beta2Power = rule.Scalar("beta2Power", Expr.Power(beta2Constant, Step));
        Expr biasCorrection2 = rule.Scalar("biasCorrection2", one - beta2Power);
        Expr rhoInfinity = rule.Scalar("rhoInfinity", (two / (one - beta2Constant)) - one);
        Expr rho = rule.Scalar("rho", rhoInfinity - (((two * Step) * beta2Power) / biasCorrection2));
        Expr rectified = rule.Scalar("rectified", Expr.GreaterThan(rho, Constant("five", 5)));

        // NaN on the un-rectified steps (√ of a negative), where it is not used.
        Expr rectification = rule.Scalar(
            "rectification",
            Expr.SquareRoot((((rho - four) * (rho - two)) * rhoInfinity) / (((rhoInfinity - four) * (rhoInfinity - two)) * rho)));
        Expr biasCorrection2Sqrt = rule.Scalar("biasCorrection2Sqrt", Expr.SquareRoot(biasCorrection2));

        Expr m = rule.Let("m", Expr.MultiplyAdd(gradient, Constant("oneMinusBeta1", 1 - beta1), rule.State("expAvg", "exp_avg", "First moment m.") * Constant("beta1", beta1)));
        rule.Store("expAvg", m);
        Expr v = rule.Let(
            "v",
            Expr.MultiplyAdd(Constant("oneMinusBeta2", 1 - beta2) * gradient, gradient, rule.State("expAvgSq", "exp_avg_sq", "Second moment v.") * beta2Constant));
        rule.Store("expAvgSq", v);

        // m̂·lr, then (rectified) ·a·r with a = √bc2 / (√v + ε), which PyTorch evaluates as reciprocal(√v + ε)·√bc2
        // (Tensor.__rtruediv__); ε outside √v as 1.13's code (its documentation puts it inside). p.add_(x, alpha=−1) is p − x.
        Expr scaledMoment = rule.Let("scaledMoment", (m / biasCorrection1) * learningRate);
        rule.If(
            rectified,
            () => rule.Let("update", ((scaledMoment * ((one / (Expr.SquareRoot(v) + Constant("epsilon", values[Options.Epsilon]))) * biasCorrection2Sqrt)) * rectification)),
            () => rule.Let("update", scaledMoment));
        return parameter - Expr.Local("update");
    }
}

/// <summary>Registers <see cref="RAdamRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition RAdam = Register(new RAdamRule());
}
