using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary>
/// Lion (Chen et al. 2023, Algorithm 2), in the order of the authors' PyTorch reference: <c>p.mul_(1 − lr·λ)</c>;
/// <c>p.add_(sign(m·β₁ + g·(1 − β₁)), alpha=−lr)</c>; <c>m.mul_(β₂).add_(g, alpha=1 − β₂)</c>. Weight decay is
/// decoupled by definition: the standard order's <c>p·(1 − lr·λ)</c> is that first operation.
/// </summary>
internal sealed class LionRule() : RuleDefinition(
    UpdateRule.Lion,
    Options.LearningRate.WithDefault(1e-4),
    Options.Maximize,
    Options.WeightDecay,
    Options.DecoupledWeightDecay.WithDefault(1),
    Options.Beta1,
    Options.Beta2.WithDefault(0.99))
{
    public override string Title(OptionValues values) => "Lion";

    public override string Reference => "the authors' PyTorch reference (Chen et al. 2023)";

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        RequireWeightDecayMode(values, report, decoupled: true, "Lion's weight decay is decoupled by definition (p ← p·(1 − lr·λ)); remove Decoupled = false");
    }

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        double beta1 = values[Options.Beta1];
        double beta2 = values[Options.Beta2];
        Expr m = rule.State("expAvg", "exp_avg", "Momentum m.");

        // exp_avg.clone().mul_(β₁).add_(g, alpha=1 − β₁).sign_(): torch.sign, so 0 and NaN give 0 (no step).
        Expr direction = rule.Let("direction", Expr.Sign(Expr.MultiplyAdd(gradient, Constant("oneMinusBeta1", 1 - beta1), m * Constant("beta1", beta1))));
        Expr momentum = rule.Let("m", Expr.MultiplyAdd(gradient, Constant("oneMinusBeta2", 1 - beta2), m * Constant("beta2", beta2)));
        rule.Store("expAvg", momentum);
        return Expr.MultiplyAdd(direction, rule.Scalar("negativeLearningRate", -learningRate), parameter);
    }
}

/// <summary>Registers <see cref="LionRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition Lion = Register(new LionRule());
}
