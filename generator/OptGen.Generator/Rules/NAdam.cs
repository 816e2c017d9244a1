using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary>
/// <c>torch.optim.NAdam</c>: PyTorch 1.13's single-tensor operations with later PyTorch's corrected product (the next
/// step's μ-product = μ-product · μₜ₊₁, as 1.13's foreach path has it; 1.13's single-tensor path multiplies μₜ in twice,
/// pytorch/pytorch#92699).
/// </summary>
internal sealed class NAdamRule() : RuleDefinition(
    UpdateRule.NAdam,
    Options.LearningRate.WithDefault(2e-3),
    Options.Maximize,
    Options.WeightDecay,
    Options.DecoupledWeightDecay,
    Options.Beta1,
    Options.Beta2,
    Options.Epsilon,
    MomentumDecay)
{
    /// <summary>ψ of μₜ = β₁·(1 − ½·0.96^(t·ψ)), PyTorch's <c>momentum_decay</c>.</summary>
    public static readonly Option MomentumDecay = new(
        nameof(MomentumDecayAttribute), null, OptionKind.Number, 4e-3, Fingerprints.Number("momentum_decay"), ValueRange.NonNegative);

    public override string Title(OptionValues values) => "NAdam";

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        WarnIfSecondDecayBelowFirst(values, report);
    }

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        double beta1 = values[Options.Beta1];
        double beta2 = values[Options.Beta2];
        Expr one = Constant("one", 1);
        Expr beta1Constant = Constant("beta1", beta1);
        Expr half = Constant("half", 0.5);
        Expr decayBase = Constant("decayBase", 0.96);
        Expr momentumDecay = Constant("momentumDecay", values[MomentumDecay]);

        // Per step, in double as PyTorch's Python floats: bc2 = 1 − β₂ᵗ, μₜ and μₜ₊₁.
        Expr biasCorrection2 = rule.Scalar("biasCorrection2", one - Expr.Power(Constant("beta2", beta2), Step));
        Expr mu = rule.Scalar("mu", beta1Constant * (one - (half * Expr.Power(decayBase, Step * momentumDecay))));
        Expr muNext = rule.Scalar("muNext", beta1Constant * (one - (half * Expr.Power(decayBase, (Step + one) * momentumDecay))));

        // PyTorch keeps the product in a 0-d float32 tensor (torch.tensor(1.)) whatever the parameters' type, and its
        // `mu_product *= mu` rounds the Python float μ to float32 first: a float32 product, exact in double, rounded once.
        // The next step's product is not kept: later PyTorch (and 1.13's foreach path) takes it in double from .item().
        Expr muProduct = rule.ScalarState("muProduct", "mu_product", "Product of the momentum factors μ₁…μₜ (float32, as PyTorch keeps it).", 1);
        Expr newMuProduct = rule.Scalar("newMuProduct", Expr.RoundToSingle(muProduct * Expr.RoundToSingle(mu)));
        rule.StoreScalarState("muProduct", newMuProduct);
        Expr muProductNext = rule.Scalar("muProductNext", newMuProduct * muNext);
        Expr negativeLearningRate = -learningRate;
        Expr gradientStepSize = rule.Scalar("gradientStepSize", (negativeLearningRate * (one - mu)) / (one - newMuProduct));
        Expr momentumStepSize = rule.Scalar("momentumStepSize", (negativeLearningRate * muNext) / (one - muProductNext));

        Expr m = rule.Let("m", Expr.MultiplyAdd(gradient, Constant("oneMinusBeta1", 1 - beta1), rule.State("expAvg", "exp_avg", "First moment m.") * beta1Constant));
        rule.Store("expAvg", m);
        Expr v = rule.Let(
            "v",
            Expr.MultiplyAdd(Constant("oneMinusBeta2", 1 - beta2) * gradient, gradient, rule.State("expAvgSq", "exp_avg_sq", "Second moment v.") * Constant("beta2", beta2)));
        rule.Store("expAvgSq", v);

        // denom = v.div(bc2).sqrt().add_(ε); two addcdiv_, so p is rounded twice.
        Expr denominator = rule.Let("denominator", Expr.SquareRoot(v / biasCorrection2) + Constant("epsilon", values[Options.Epsilon]));
        parameter = rule.Let("p", parameter + ((gradientStepSize * gradient) / denominator));
        return parameter + ((momentumStepSize * m) / denominator);
    }
}

/// <summary>Registers <see cref="NAdamRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition NAdam = Register(new NAdamRule());
}
