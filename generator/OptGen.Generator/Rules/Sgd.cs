using OptGen.Generator.Contracts;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Ir;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary><c>torch.optim.SGD</c>: plain, with momentum (and dampening), or with Nesterov momentum.</summary>
internal sealed class SgdRule() : RuleDefinition(
    UpdateRule.Sgd,
    Options.LearningRate,
    Options.Maximize,
    Options.WeightDecay,
    Options.DecoupledWeightDecay,
    Options.Momentum,
    Options.Dampening,
    Options.Nesterov)
{
    public override string Title(OptionValues values) =>
        values[Options.Momentum] == 0 ? "SGD" : values.IsSet(Options.Nesterov) ? "SGD with Nesterov momentum" : "SGD with momentum";

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        if (values.IsSet(Options.Nesterov) && (values[Options.Momentum] <= 0 || values[Options.Dampening] != 0))
        {
            report.Report(DiagnosticDescriptors.InvalidNesterov, Options.Nesterov);
        }
    }

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate)
    {
        Expr direction = gradient;
        double momentumValue = values[Options.Momentum];
        if (momentumValue != 0)
        {
            Expr momentum = Constant("momentum", momentumValue);

            // PyTorch sets the buffer to the gradient on the first step (b ← g·1 + b·0) and ignores dampening there.
            Expr bufferDecay = rule.Scalar("bufferDecay", Expr.FirstStepSelect(Constant("zero", 0), momentum));
            Expr buffer = rule.State("momentumBuffer", "momentum_buffer", "Momentum buffer b.");
            double dampening = values[Options.Dampening];
            buffer = rule.Let(
                "b",
                dampening == 0
                    ? gradient + (buffer * bufferDecay) // = fma(g, 1, b·decay), PyTorch's add_(g, alpha=1)
                    : Expr.MultiplyAdd(
                        gradient,
                        rule.Scalar("gradientScale", Expr.FirstStepSelect(Constant("one", 1), Constant("oneMinusDampening", 1 - dampening))),
                        buffer * bufferDecay));
            rule.Store("momentumBuffer", buffer);
            direction = values.IsSet(Options.Nesterov) ? rule.Let("g", Expr.MultiplyAdd(buffer, momentum, gradient)) : buffer;
        }

        return Expr.MultiplyAdd(direction, rule.Scalar("negativeLearningRate", -learningRate), parameter);
    }
}

/// <summary>Registers <see cref="SgdRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition Sgd = Register(new SgdRule());
}
