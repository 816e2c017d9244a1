using OptGen.Generator.Contracts;

namespace OptGen.Generator.Rules;

/// <summary><c>torch.optim.AdamW</c>: Adam whose weight decay is decoupled by definition, 0.01 by default.</summary>
internal sealed class AdamWRule() : AdamRule(UpdateRule.AdamW, Options.WeightDecay.WithDefault(0.01), Options.DecoupledWeightDecay.WithDefault(1))
{
    public override void Validate(OptionValues values, IOptionReporter report)
    {
        base.Validate(values, report);
        RequireWeightDecayMode(values, report, decoupled: true, "AdamW's weight decay is decoupled by definition; use UpdateRule.Adam for L2 weight decay");
    }
}

/// <summary>Registers <see cref="AdamWRule"/>.</summary>
internal static partial class RuleCatalog
{
    public static readonly RuleDefinition AdamW = Register(new AdamWRule());
}
