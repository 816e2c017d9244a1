using System.Linq;
using System.Text;
using OptGen.Generator.Model;

namespace OptGen.Generator.Emit;

/// <summary>
/// The text a checkpoint records to identify what wrote it: rule, element type, every hyperparameter and the schedule,
/// numbers as exact round-trip literals. Two optimizers accept each other's checkpoints exactly when their texts match.
/// </summary>
internal static class Fingerprint
{
    /// <summary>Bump when the meaning of a state buffer changes, so older checkpoints are refused, not misread.</summary>
    private const int StateLayoutVersion = 1;

    public static string Of(OptimizerSpec spec)
    {
        Hyperparameters h = spec.Hyperparameters;
        var text = new StringBuilder()
            .Append("optgen-state/").Append(StateLayoutVersion)
            .Append(' ').Append(h.Rule)
            .Append(' ').Append(spec.Element == ElementKind.Single ? "float" : "double")
            .Append(" lr=").Append(Literal.Double(h.LearningRate))
            .Append(" beta1=").Append(Literal.Double(h.Beta1))
            .Append(" beta2=").Append(Literal.Double(h.Beta2))
            .Append(" eps=").Append(Literal.Double(h.Epsilon)).Append(h.EpsilonPlacement == EpsilonPlacement.InsideSquareRoot ? "/inside" : "/outside")
            .Append(" bias_correction=").Append(Flag(h.BiasCorrection))
            .Append(" weight_decay=").Append(Literal.Double(h.WeightDecay)).Append(h.DecoupledWeightDecay ? "/decoupled" : "/l2")
            .Append(" momentum=").Append(Literal.Double(h.Momentum))
            .Append(" dampening=").Append(Literal.Double(h.Dampening))
            .Append(" nesterov=").Append(Flag(h.Nesterov))
            .Append(" amsgrad=").Append(Flag(h.AmsGrad))
            .Append(" centered=").Append(Flag(h.Centered))
            .Append(" lr_decay=").Append(Literal.Double(h.LearningRateDecay))
            .Append(" initial_accumulator=").Append(Literal.Double(h.InitialAccumulator))
            .Append(" maximize=").Append(Flag(h.Maximize))
            .Append(" schedule=");
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

        return text.ToString();
    }

    private static string Flag(bool value) => value ? "true" : "false";
}
