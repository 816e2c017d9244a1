using OptGen.Generator.Contracts;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary>
/// LARS (You et al. 2017) as Optax's <c>lars</c> = <c>add_decayed_weights</c> → <c>scale_by_trust_ratio</c> →
/// <c>scale(−lr)</c> → <c>trace(momentum, nesterov)</c>. The two passes of <see cref="LambRule"/>: the first writes
/// r = g + λ·p, the runtime takes each tensor's ‖p‖ and ‖r‖, the second applies u = (r·ratio)·(−lr),
/// trace ← u + μ·trace and p ← p + trace (Nesterov: p ← p + u + μ·trace).
/// </summary>
internal sealed class LarsRule() : RuleDefinition(
    UpdateRule.Lars,
    Options.LearningRate,
    Options.Maximize,
    Options.WeightDecay,
    Options.Momentum.WithDefault(0.9),
    Options.Nesterov,
    TrustCoefficient,
    TrustEpsilon)
{
    /// <summary>η of the trust ratio η·‖p‖/(‖r‖ + ε), Optax's <c>trust_coefficient</c>.</summary>
    public static readonly Option TrustCoefficient = new(
        nameof(TrustRatioAttribute), nameof(TrustRatioAttribute.Coefficient), OptionKind.Number, new TrustRatioAttribute().Coefficient, Fingerprints.Number("trust_coefficient"),
        new ValueRange(v => v > 0 && !double.IsInfinity(v), DiagnosticDescriptors.OptionOutOfRange, (name, shown) => [name, shown, "finite and greater than 0 (e.g. 0.001)"]));

    /// <summary>ε of the trust ratio, Optax's <c>eps</c>.</summary>
    public static readonly Option TrustEpsilon = new(
        nameof(TrustRatioAttribute), nameof(TrustRatioAttribute.Epsilon), OptionKind.Number, new TrustRatioAttribute().Epsilon, Fingerprints.Number("trust_eps"), ValueRange.NonNegative);

    public override string Title(OptionValues values) => values.IsSet(Options.Nesterov) ? "LARS (Nesterov)" : "LARS";

    public override string Reference => "Optax's lars";

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        RequireWeightDecayMode(values, report, decoupled: false, "LARS adds λ·p to the gradient before the trust ratio (Optax's add_decayed_weights); remove Decoupled");
    }

    public override RuleProgram Lower(OptionValues values, bool weightDecayByTensor = false)
    {
        var rule = new RuleBuilder();
        Expr one = Constant("one", 1);
        Expr g = rule.Let("g", Gradient(values));
        Expr p = rule.Let("p", Expr.Load(RuleProgram.ParametersStream));
        Expr trace = rule.State("momentumBuffer", "trace", "Momentum trace (Optax's trace).");
        Expr update = rule.State(RuleProgram.TrustRatioUpdateStream, "update", "The update r = g + λ·p of the first pass, which the second applies (‖r‖ gives the trust ratio).", tensorNorm: true);
        Expr negativeLearningRate = rule.Scalar("negativeLearningRate", -RuleBuilder.LearningRate);
        Expr momentum = Constant("momentum", values[Options.Momentum]);
        rule.If(
            Expr.Equal(Expr.Input(Expr.PhaseInput), Constant("zero", 0)),
            () =>
            {
                Expr r = values[Options.WeightDecay] != 0
                    ? rule.Let("r", WhereWeightDecays(rule, weightDecayByTensor, Expr.MultiplyAdd(p, Constant("weightDecay", values[Options.WeightDecay]), g), g))
                    : g;
                rule.Store(RuleProgram.TrustRatioUpdateStream, r);
            },
            () =>
            {
                Expr ratio = TrustRatio(rule, Constant("trustCoefficient", values[TrustCoefficient]), one, values[TrustEpsilon]);
                Expr u = rule.Let("u", update * ratio * negativeLearningRate);
                Expr newTrace = rule.Let("trace", Expr.MultiplyAdd(trace, momentum, u));
                rule.Store("momentumBuffer", newTrace);
                Expr step = values.IsSet(Options.Nesterov) ? rule.Let("step", Expr.MultiplyAdd(newTrace, momentum, u)) : newTrace;
                rule.Store(RuleProgram.ParametersStream, rule.Let("p", p + step));
            });
        return rule.Build(Title(values));
    }

    // Lower is overridden whole, as LAMB's.
    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate) =>
        throw new System.InvalidOperationException("LARS lowers its two passes itself.");
}

/// <summary>Registers <see cref="LarsRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition Lars = Register(new LarsRule());
}
