using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary><c>torch.optim.Adagrad</c>, with its learning-rate decay and initial accumulator.</summary>
internal sealed class AdaGradRule() : RuleDefinition(
    UpdateRule.AdaGrad,
    Options.LearningRate.WithDefault(1e-2),
    Options.Maximize,
    Options.WeightDecay,
    Options.DecoupledWeightDecay,
    Options.Epsilon.WithDefault(1e-10),
    Options.EpsilonPlacement,
    Options.LearningRateDecay,
    Options.InitialAccumulator)
{
    public override string Title(OptionValues values) => "AdaGrad";

    protected override Expr LearningRate(RuleBuilder rule, OptionValues values)
    {
        double decay = values[Options.LearningRateDecay];
        if (decay == 0)
        {
            return RuleBuilder.LearningRate;
        }

        // PyTorch: clr = lr / (1 + (step - 1) * lr_decay)
        Expr one = Constant("one", 1);
        return rule.Scalar("decayedLearningRate", RuleBuilder.LearningRate / (one + ((Step - one) * Constant("learningRateDecay", decay))));
    }

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        Expr sum = rule.Let("accumulated", Expr.MultiplyAdd(gradient, gradient, rule.State("sum", "sum", "Sum of squared gradients.", values[Options.InitialAccumulator])));
        rule.Store("sum", sum);
        Expr denominator = rule.Let("denominator", RootPlusEpsilon(values, sum));
        return parameter + ((rule.Scalar("negativeLearningRate", -learningRate) * gradient) / denominator);
    }
}

/// <summary>Registers <see cref="AdaGradRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition AdaGrad = Register(new AdaGradRule());
}
