using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary>
/// <c>torch.optim.ASGD</c> (1.13's single-tensor path): SGD with a decaying step size η and a running average of the
/// parameters (<c>ax</c>, output only). η and μ are per-step scalars that PyTorch updates after using them and keeps in
/// 0-d float32 tensors, also for double parameters.
/// </summary>
internal sealed class AsgdRule() : RuleDefinition(
    UpdateRule.Asgd,
    Options.LearningRate.WithDefault(1e-2),
    Options.Maximize,
    Options.WeightDecay,
    Options.DecoupledWeightDecay,
    Lambda,
    Power,
    StartStep)
{
    public static readonly Option Lambda = new(
        nameof(AveragingAttribute), nameof(AveragingAttribute.Lambda), OptionKind.Number, new AveragingAttribute().Lambda, Fingerprints.Number("lambd"), ValueRange.NonNegative);

    public static readonly Option Power = new(
        nameof(AveragingAttribute), nameof(AveragingAttribute.Power), OptionKind.Number, new AveragingAttribute().Power, Fingerprints.Number("alpha"), ValueRange.NonNegative);

    public static readonly Option StartStep = new(
        nameof(AveragingAttribute), nameof(AveragingAttribute.StartStep), OptionKind.Number, new AveragingAttribute().StartStep, Fingerprints.Number("t0"), ValueRange.NonNegative);

    public override string Title(OptionValues values) => "ASGD";

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        // Decoupled = false says what ASGD does anyway; true has no PyTorch counterpart.
        RequireWeightDecayMode(values, report, decoupled: false, "ASGD's weight decay is coupled (L2), as PyTorch's; remove Decoupled");
    }

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        Expr one = Constant("one", 1);
        Expr lambda = Constant("lambda", values[Lambda]);

        // PyTorch creates η = tensor(lr) with the state, at the first step, so that step uses its own rate; later steps
        // use the η the step before them stored.
        Expr storedEta = rule.ScalarState("eta", "eta", "Step size η of the next step, rounded to float32 as PyTorch keeps it.", (float)values[Options.LearningRate]);
        Expr mu = rule.ScalarState("mu", "mu", "Averaging weight μ of the next step, rounded to float32 as PyTorch keeps it.", 1);
        Expr eta = rule.Scalar("stepEta", Expr.FirstStepSelect(Expr.RoundToSingle(learningRate), storedEta));
        Expr decay = rule.Scalar("decay", one - (lambda * eta));
        Expr negativeEta = rule.Scalar("negativeEta", -eta);

        // After the step: η ← lr/(1 + λ·lr·t)^α from this step's rate, μ ← 1/max(1, t − t₀), each through a float32 tensor.
        rule.StoreScalarState("eta", Expr.RoundToSingle(learningRate / Expr.Power(one + (lambda * learningRate * Step), Constant("alpha", values[Power]))));
        rule.StoreScalarState("mu", Expr.RoundToSingle(one / Expr.Maximum(one, Step - Constant("startStep", values[StartStep]))));

        // p.mul_(1 − λ·η); p.add_(g, alpha=−η)
        parameter = rule.Let("p", parameter * decay);
        parameter = rule.Let("updated", Expr.MultiplyAdd(gradient, negativeEta, parameter));

        // ax.copy_(p) while μ = 1, else ax.add_(p.sub(ax).mul(μ)): PyTorch tests μ once per step.
        Expr average = rule.State("ax", "ax", "Averaged parameters (output only: the rule never reads them back into the parameters).");
        rule.If(
            Expr.NotEqual(mu, one),
            () => rule.Let("average", average + ((parameter - average) * mu)),
            () => rule.Let("average", parameter));
        rule.Store("ax", Expr.Local("average"));
        return parameter;
    }
}

/// <summary>Registers <see cref="AsgdRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition Asgd = Register(new AsgdRule());
}
