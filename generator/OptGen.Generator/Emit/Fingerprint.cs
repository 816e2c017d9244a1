using System.Linq;
using System.Text;
using OptGen.Generator.Model;

namespace OptGen.Generator.Emit;

/// <summary>
/// The text a checkpoint records to identify what wrote it: rule, element type, every option value and the schedule,
/// numbers as exact round-trip literals. Two optimizers accept each other's checkpoints exactly when their texts match.
/// </summary>
internal static class Fingerprint
{
    /// <summary>Bump when the meaning of a state buffer changes, so older checkpoints are refused, not misread.</summary>
    private const int StateLayoutVersion = 1;

    public static string Of(OptimizerSpec spec)
    {
        // Every option value the optimizer has, so none can be left out: the options every rule lists, then the rule's own.
        Rules.RuleDefinition rule = Rules.RuleCatalog.For(spec)!;
        var text = new StringBuilder()
            .Append("optgen-state/").Append(StateLayoutVersion)
            .Append(' ').Append(spec.Rule is { } preset ? preset.ToString() : "ElementRule(" + spec.CustomRule + ")")
            .Append(' ').Append(spec.Element == ElementKind.Single ? "float" : "double");
        foreach (Rules.OptionValue value in spec.Options.Values)
        {
            text.Append(rule.OptionFor(value.Key).Fingerprint(value.Value));
        }

        text.Append(" schedule=");
        ScheduleSpec schedule = spec.Schedule;
        if (schedule.IsConstant)
        {
            text.Append("constant");
        }

        if (schedule.Warmup is { } warmup)
        {
            text.Append("warmup(").Append(Literal.Integer(warmup.Steps)).Append(',').Append(Literal.Double(warmup.StartFactor)).Append(')');
        }

        if (schedule.Decay is { } decay)
        {
            text.Append(schedule.Warmup is null ? string.Empty : "+").Append(decay.Kind).Append('(')
                .Append(string.Join(",", decay.Values.Select(v => v.Name + "=" + Literal.Double(v.Number))));
            if (decay.Milestones.Count > 0)
            {
                text.Append(",milestones=").Append(string.Join("/", decay.Milestones.Select(m => Literal.Integer(m))));
            }

            text.Append(')');
        }

        if (schedule.IsPlateau)
        {
            text.Append("plateau(").Append(string.Join(",", schedule.Plateau.Select(v => v.Name + "=" + Literal.Double(v.Number)))).Append(')');
        }

        if (spec.Mixed is { } mixed)
        {
            // The parameters' type and the state's storage change what the buffers hold.
            text.Append(" parameters=").Append(mixed.Parameters.ToString().ToLowerInvariant())
                .Append(" state=").Append(mixed.Storage.ToString().ToLowerInvariant())
                .Append(" master_weights=").Append(mixed.MasterWeights ? "true" : "false");
            if (mixed.StochasticRounding)
            {
                text.Append(" stochastic_rounding=").Append(Literal.Integer(mixed.Seed));
            }
        }

        return text.ToString();
    }

}
