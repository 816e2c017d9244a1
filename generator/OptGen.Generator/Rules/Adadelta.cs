using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary><c>torch.optim.Adadelta</c> (PyTorch 1.13): the step is √(u + ε)/√(v + ε)·g, u and v running averages of squared updates and gradients.</summary>
internal sealed class AdadeltaRule() : RuleDefinition(
    UpdateRule.Adadelta,
    Options.LearningRate.WithDefault(1.0),
    Options.Maximize,
    Options.WeightDecay,
    Options.Epsilon.WithDefault(1e-6),
    Rho)
{
    /// <summary>ρ, written as MomentDecay.Second (as RMSprop's α): PyTorch accepts 0 ≤ ρ ≤ 1 (ρ = 1 freezes both averages).</summary>
    private static readonly Option Rho = new(
        nameof(MomentDecayAttribute), nameof(MomentDecayAttribute.Second), OptionKind.Number, 0.9, Fingerprints.Number("beta2"), ValueRange.Fraction);

    public override string Title(OptionValues values) => "Adadelta";

    public override string? WhyNotApplicable(Option option) =>
        option.Key == Options.Beta1.Key ? "Adadelta's only decay (rho) is MomentDecay.Second"
        : option.Key == Options.DecoupledWeightDecay.Key ? "torch.optim.Adadelta's weight decay is L2 only; remove Decoupled"
        : null;

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        // PyTorch: v.mul_(ρ).addcmul_(g, g, value=1−ρ); std = (v + ε).sqrt_(); δ = (u + ε).sqrt_().div_(std).mul_(g) with
        // the old u; u.mul_(ρ).addcmul_(δ, δ, value=1−ρ); p.add_(δ, alpha=−lr).
        double rho = values[Rho];
        Expr rhoConstant = Constant("rho", rho);
        Expr oneMinusRho = Constant("oneMinusRho", 1 - rho);
        Expr epsilon = Constant("epsilon", values[Options.Epsilon]);
        Expr squareAverage = rule.Let(
            "squareAverage",
            Expr.MultiplyAdd(oneMinusRho * gradient, gradient, rule.State("squareAvg", "square_avg", "Running average of squared gradients v.") * rhoConstant));
        rule.Store("squareAvg", squareAverage);
        Expr deltaAverage = rule.State("accDelta", "acc_delta", "Running average of squared updates u.");
        Expr standardDeviation = rule.Let("std", Expr.SquareRoot(squareAverage + epsilon));
        Expr delta = rule.Let("delta", (Expr.SquareRoot(deltaAverage + epsilon) / standardDeviation) * gradient);
        Expr newDeltaAverage = rule.Let("deltaAverage", Expr.MultiplyAdd(oneMinusRho * delta, delta, deltaAverage * rhoConstant));
        rule.Store("accDelta", newDeltaAverage);
        return Expr.MultiplyAdd(delta, rule.Scalar("negativeLearningRate", -learningRate), parameter);
    }
}

/// <summary>Registers <see cref="AdadeltaRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition Adadelta = Register(new AdadeltaRule());
}
