using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary>
/// LAMB (You et al. 2020) as Optax's <c>lamb</c> = <c>scale_by_adam</c> → <c>add_decayed_weights</c> →
/// <c>scale_by_trust_ratio</c> → <c>scale(−lr)</c>, with the moments in PyTorch's order of operations (as the Adam
/// preset's). Two passes: the first updates m and v and writes the update r = m̂/(√v̂ + ε) + λ·p to a state buffer; the
/// runtime then takes each tensor's trust ratio ‖p‖/‖r‖ (1 where either norm is 0); the second pass applies
/// p ← p + (r·ratio)·(−lr).
/// </summary>
internal sealed class LambRule() : RuleDefinition(
    UpdateRule.Lamb,
    Options.LearningRate,
    Options.Maximize,
    Options.WeightDecay,
    Options.Beta1,
    Options.Beta2,
    Options.Epsilon.WithDefault(1e-6))
{
    public override string Title(OptionValues values) => "LAMB";

    public override string Reference => "Optax's lamb, its moments as torch.optim.Adam's";

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        WarnIfSecondDecayBelowFirst(values, report);
        RequireWeightDecayMode(values, report, decoupled: false, "LAMB adds λ·p to its update before the trust ratio (Optax's add_decayed_weights); remove Decoupled");
    }

    public override RuleProgram Lower(OptionValues values, bool weightDecayByTensor = false)
    {
        var rule = new RuleBuilder();
        double beta1 = values[Options.Beta1];
        double beta2 = values[Options.Beta2];
        Expr one = Constant("one", 1);
        Expr g = rule.Let("g", Gradient(values));
        Expr p = rule.Let("p", Expr.Load(RuleProgram.ParametersStream));
        Expr m = rule.State("expAvg", "exp_avg", "First moment m.");
        Expr v = rule.State("expAvgSq", "exp_avg_sq", "Second moment v.");
        Expr update = rule.State(RuleProgram.TrustRatioUpdateStream, "update", "The update r of the first pass, which the second applies (‖r‖ gives the trust ratio).", tensorNorm: true);
        Expr biasCorrection1 = rule.Scalar("biasCorrection1", one - Expr.Power(Constant("beta1", beta1), Step));
        Expr biasCorrection2 = rule.Scalar("biasCorrection2", one - Expr.Power(Constant("beta2", beta2), Step));
        Expr negativeLearningRate = rule.Scalar("negativeLearningRate", -RuleBuilder.LearningRate);
        rule.If(
            Expr.Equal(Expr.Input(Expr.PhaseInput), Constant("zero", 0)),
            () =>
            {
                Expr newM = rule.Let("m", Expr.MultiplyAdd(g, Constant("oneMinusBeta1", 1 - beta1), m * Constant("beta1", beta1)));
                rule.Store("expAvg", newM);
                Expr newV = rule.Let("v", Expr.MultiplyAdd(Constant("oneMinusBeta2", 1 - beta2) * g, g, v * Constant("beta2", beta2)));
                rule.Store("expAvgSq", newV);
                Expr r = rule.Let("r", (newM / biasCorrection1) / (Expr.SquareRoot(newV / biasCorrection2) + Constant("epsilon", values[Options.Epsilon])));
                if (values[Options.WeightDecay] != 0)
                {
                    r = rule.Let("r", WhereWeightDecays(rule, weightDecayByTensor, Expr.MultiplyAdd(p, Constant("weightDecay", values[Options.WeightDecay]), r), r));
                }

                rule.Store(RuleProgram.TrustRatioUpdateStream, r);
            },
            () =>
            {
                Expr ratio = TrustRatio(rule, one, one);
                rule.Store(RuleProgram.ParametersStream, rule.Let("p", Expr.MultiplyAdd(update * ratio, negativeLearningRate, p)));
            });
        return rule.Build(Title(values));
    }

    // Lower is overridden whole: the two passes do not fit the one-pass template.
    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate) =>
        throw new System.InvalidOperationException("LAMB lowers its two passes itself.");
}

/// <summary>Registers <see cref="LambRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition Lamb = Register(new LambRule());
}
