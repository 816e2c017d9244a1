using System.Collections.Generic;
using OptGen.Generator.Contracts;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Emit;
using OptGen.Generator.Ir;
using OptGen.Generator.Model;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary>
/// Schedule-Free AdamW (Defazio et al. 2024), as facebookresearch/schedule_free's <c>AdamWScheduleFree</c> (single-tensor
/// path, <c>inner_momentum = 0</c>). The parameters hold y; z is state, set from the parameters on the first step; the
/// average x is not stored but written on demand from y and z (<see cref="Members"/>). Per step k = t − 1:
/// <c>lr_k = lr·min(1, (k + 1)/warmup)</c>, <c>lr_max = max(lr_max, lr_k)</c>, <c>w = (k + 1)^r·lr_max^power</c>,
/// <c>Σw += w</c>, <c>c = w/Σw</c>; per element: <c>v.mul_(β₂).addcmul_(g, g, 1 − β₂)</c>;
/// <c>d = v.div(1 − β₂ᵗ).sqrt_().add_(ε)</c>; <c>ĝ = g/d (+ λ·y)</c>; <c>y.lerp_(z, c)</c>;
/// <c>y.add_(ĝ, alpha=lr_k(β₁(1 − c) − 1))</c>; <c>z.sub_(ĝ, alpha=lr_k)</c>.
/// </summary>
internal sealed class ScheduleFreeAdamWRule() : RuleDefinition(
    UpdateRule.ScheduleFreeAdamW,
    Options.LearningRate.WithDefault(2.5e-3),
    Options.Maximize,
    Options.Beta1,
    Options.Beta2,
    Options.Epsilon,
    Options.WeightDecay,
    WarmupSteps,
    AveragingPower,
    WeightLearningRatePower)
{
    public static readonly Option WarmupSteps = new(nameof(ScheduleFreeAttribute), nameof(ScheduleFreeAttribute.WarmupSteps), OptionKind.Integer, 0, Fingerprints.Integer("warmup_steps"), ValueRange.NonNegative);

    public static readonly Option AveragingPower = new(nameof(ScheduleFreeAttribute), nameof(ScheduleFreeAttribute.R), OptionKind.Number, 0, Fingerprints.Number("r"), ValueRange.NonNegative);

    public static readonly Option WeightLearningRatePower = new(nameof(ScheduleFreeAttribute), nameof(ScheduleFreeAttribute.WeightLearningRatePower), OptionKind.Number, 2, Fingerprints.Number("weight_lr_power"), ValueRange.NonNegative);

    public override string Title(OptionValues values) => "Schedule-Free AdamW";

    public override string Reference => "facebookresearch/schedule_free's AdamWScheduleFree";

    public override string? WhyNotApplicable(Option option) =>
        option.Key == Options.DecoupledWeightDecay.Key
            ? "Schedule-Free AdamW adds λ·y to the normalized gradient, as its reference does; remove Decoupled"
            : null;

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        if (values[Options.Beta1] == 0)
        {
            report.Report(DiagnosticDescriptors.ScheduleFreeNeedsFirstDecay, Options.Beta1, Options.Beta1.Show(values[Options.Beta1]));
        }
        else if (values[Options.Beta2] < values[Options.Beta1])
        {
            report.Report(DiagnosticDescriptors.SecondDecayBelowFirst, Options.Beta2, Options.Beta2.Show(values[Options.Beta2]), Options.Beta1.Show(values[Options.Beta1]));
        }
    }

    public override IReadOnlyList<RuleMember> Members(OptionValues values) =>
    [
        new RuleMember(
            "WriteEvaluationPoint",
            "the generated evaluation point method",
            "global::OptGen.IEvaluationPoint<{T}>",
            new[]
            {
                "/// <summary>",
                $"/// Writes the point to evaluate, Schedule-Free's average x = y + (1 − 1/β₁)·(z − y) with β₁ = {Literal.Double(values[Options.Beta1])}, into",
                "/// <paramref name=\"destination\"/>: the reference's <c>eval()</c> point, from the parameters (y) and <see cref=\"Z\"/>. Before the",
                "/// first step, the parameters themselves. Changes neither, so training continues exactly; evaluate, test and ship x.",
                "/// </summary>",
                "/// <param name=\"parameters\">The parameters <see cref=\"Step\"/> updates (y); length <see cref=\"Length\"/>.</param>",
                "/// <param name=\"destination\">Where x is written; length <see cref=\"Length\"/>. It may be <paramref name=\"parameters\"/> itself, which then hold x, not y.</param>",
                "/// <exception cref=\"global::System.ArgumentException\">A length differs from <see cref=\"Length\"/>, or the destination overlaps the state or, other than being them, the parameters; nothing is written.</exception>",
                $"public void WriteEvaluationPoint(global::System.ReadOnlySpan<{{T}}> parameters, global::System.Span<{{T}}> destination) => global::OptGen.ScheduleFree.WriteEvaluationPoint(parameters, Z, StepCount, {Literal.Double(values[Options.Beta1])}, destination);",
            }.ToEquatableArray()),
    ];

    public override RuleProgram Lower(OptionValues values, bool weightDecayByTensor = false)
    {
        var rule = new RuleBuilder();
        Expr one = Constant("one", 1);
        double beta1 = values[Options.Beta1];
        double beta2 = values[Options.Beta2];

        // Per step (k = t − 1), in the reference's order and in double precision, as its Python floats.
        int warmup = (int)values[WarmupSteps];
        Expr learningRate = RuleBuilder.LearningRate;
        if (warmup > 0)
        {
            Expr warmupSteps = Constant("warmupSteps", warmup);
            learningRate = rule.Scalar("scheduledLearningRate", RuleBuilder.LearningRate * Expr.Select(Expr.LessThanOrEqual(Step, warmupSteps), Step / warmupSteps, one));
        }

        Expr maxLearningRate = rule.Scalar(
            "maxLearningRateNow",
            Expr.Maximum(learningRate, rule.ScalarState("maxLearningRate", "lr_max", "Largest scheduled learning rate so far (the reference's lr_max).", -1)));
        rule.StoreScalarState("maxLearningRate", maxLearningRate);
        double r = values[AveragingPower];
        Expr stepWeight = r == 0 ? one : Expr.Power(Step, Constant("r", r)); // (k + 1)^0 = 1 exactly
        Expr weight = rule.Scalar("weight", stepWeight * Expr.Power(maxLearningRate, Constant("weightLearningRatePower", values[WeightLearningRatePower])));
        Expr weightSum = rule.Scalar("weightSumNow", rule.ScalarState("weightSum", "weight_sum", "Sum of the averaging weights so far (the reference's weight_sum).", 0) + weight);
        rule.StoreScalarState("weightSum", weightSum);

        // The reference catches the division by a zero sum (every rate so far 0) and uses 0.
        Expr zero = Constant("zero", 0);
        Expr averagingWeight = rule.Scalar("averagingWeight", Expr.Select(Expr.Equal(weightSum, zero), zero, weight / weightSum));
        Expr biasCorrection2 = rule.Scalar("biasCorrection2", one - Expr.Power(Constant("beta2", beta2), Step));
        Expr yCoefficient = rule.Scalar("yCoefficient", learningRate * ((Constant("beta1", beta1) * (one - averagingWeight)) - one));
        Expr negativeLearningRate = rule.Scalar("negativeLearningRate", -learningRate);

        // Per element. Maximize, which the reference lacks, negates the gradient first, as torch.optim's maximize.
        Expr g = rule.Let("g", Gradient(values));
        Expr y = rule.Let("y", Expr.Load(RuleProgram.ParametersStream));
        Expr zState = rule.State("z", "z", "Schedule-Free's base sequence z (set from the parameters on the first step).");
        Expr z = Expr.Local("zBefore");
        rule.If(Expr.Equal(Step, one), () => rule.Let("zBefore", y), () => rule.Let("zBefore", zState));

        Expr v = rule.Let(
            "v",
            Expr.MultiplyAdd(Constant("oneMinusBeta2", 1 - beta2) * g, g, rule.State("expAvgSq", "exp_avg_sq", "Second moment v.") * Constant("beta2", beta2)));
        rule.Store("expAvgSq", v);
        Expr denominator = rule.Let("denominator", Expr.SquareRoot(v / biasCorrection2) + Constant("epsilon", values[Options.Epsilon]));
        Expr normalized = rule.Let("normalized", g / denominator);
        if (values[Options.WeightDecay] != 0)
        {
            normalized = rule.Let("normalized", WhereWeightDecays(rule, weightDecayByTensor, Expr.MultiplyAdd(y, Constant("weightDecay", values[Options.WeightDecay]), normalized), normalized));
        }

        // y.lerp_(z, c): PyTorch 1.13's CPU lerp, fused, branching on c < 0.5 with c rounded to the element type (so
        // compared per element, where c has that type) and computing 1 − c in it.
        Expr difference = rule.Let("difference", z - y);
        Expr interpolated = rule.Let(
            "y",
            Expr.Select(
                Expr.LessThan(averagingWeight, Constant("half", 0.5)),
                Expr.MultiplyAdd(averagingWeight, difference, y),
                Expr.MultiplyAdd(-difference, one - averagingWeight, z)));
        rule.Store(RuleProgram.ParametersStream, rule.Let("y", Expr.MultiplyAdd(normalized, yCoefficient, interpolated)));
        rule.Store("z", rule.Let("zNext", Expr.MultiplyAdd(normalized, negativeLearningRate, z)));
        return rule.Build(Title(values));
    }

    // Unused: Lower is overridden, because z, the interpolation and the two stores do not fit the standard order.
    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate) => parameter;
}

/// <summary>Registers <see cref="ScheduleFreeAdamWRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition ScheduleFreeAdamW = Register(new ScheduleFreeAdamWRule());
}
