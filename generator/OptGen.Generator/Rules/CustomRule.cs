using System;
using OptGen.Generator.Ir;

namespace OptGen.Generator.Rules;

/// <summary>
/// A class's own <c>[ElementRule]</c> method, translated to the IR. The wrapper around the user's body is the presets':
/// the scheduled learning rate, the gradient negated under <c>Maximize</c>, decoupled weight decay
/// <c>p ← p·(1 − lr·λ)</c> before the body, and the parameter stored after it. Weight decay is decoupled only: coupled
/// L2 would change the gradient the user's method receives, so the method would no longer be its own reference.
/// </summary>
internal sealed class CustomRule : RuleDefinition
{
    /// <summary>The definition every <c>[ElementRule]</c> rule shares for reading, checking and fingerprinting its options.</summary>
    public static readonly CustomRule Shared = new(string.Empty, null);

    private readonly string _title;

    // Emits the user's body: given the builder, gradient, parameter and learning rate, returns the new parameter.
    private readonly Func<RuleBuilder, Expr, Expr, Expr, Expr>? _body;

    public CustomRule(string title, Func<RuleBuilder, Expr, Expr, Expr, Expr>? body)
        : base(
            null,
            Options.LearningRate,
            Options.Maximize,
            Options.WeightDecay,
            Options.DecoupledWeightDecay.WithDefault(1))
    {
        _title = title;
        _body = body;
    }

    public override string Title(OptionValues values) => _title;

    public override string? WhyNotApplicable(Option option) => "an [ElementRule] rule has no preset options: write the hyperparameter in the method, e.g. as a const field";

    public override void Validate(OptionValues values, IOptionReporter report)
    {
        RequireWeightDecayMode(values, report, decoupled: true, "coupled L2 would change the gradient the method receives; weight decay is decoupled (p ← p·(1 − lr·λ) before the method), or add λ·p to the gradient in the method");
    }

    protected override Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate) =>
        _body is null ? throw new InvalidOperationException("The shared definition has no body.") : _body(rule, gradient, parameter, learningRate);
}
