using System.Collections.Generic;
using OptGen.Generator.Ir;
using OptGen.Generator.Model;

namespace OptGen.Generator.Emit;

/// <summary>
/// The names of every member the <see cref="Emitter"/> writes into the user's class, with what each is, so the parser
/// can report a user member of the same name. A test compares this list with the members of compiled generated code.
/// </summary>
internal static class GeneratedMembers
{
    public static IReadOnlyDictionary<string, string> Of(OptimizerSpec spec, RuleProgram program)
    {
        var members = new Dictionary<string, string>(System.StringComparer.Ordinal)
        {
            ["Step"] = "the generated update method",
            ["Length"] = "the generated parameter count",
            ["StepCount"] = "the generated step counter",
            ["SkippedStepCount"] = "the generated skipped-step counter",
            ["NonFiniteGradientPolicy"] = "the generated non-finite gradient policy",
            ["LearningRate"] = "the generated learning rate property",
            ["BaseLearningRate"] = "the generated base learning rate property",
            ["LastKernelPath"] = "the generated kernel path property",
            ["ThreadCount"] = "the generated thread count property",
            ["StateBufferNames"] = "the generated state buffer names",
            ["GetStateBuffer"] = "the generated state buffer accessor",
            ["Reset"] = "the generated reset method",
            ["SaveCheckpoint"] = "the generated checkpoint writer",
            ["LoadCheckpoint"] = "the generated checkpoint reader",
            ["DefaultLearningRate"] = "a generated constant",
            ["CheckpointFingerprint"] = "a generated constant",
            ["s_description"] = "a generated field",
            ["_core"] = "a generated field",
            ["StateBytesPerParameter"] = "the generated state size property",
        };

        if (spec.Mixed is null)
        {
            foreach (StreamDecl state in program.States())
            {
                members[Emitter.Pascal(state.Name)] = $"the generated state buffer property ({state.TorchName})";
            }

            foreach (Rules.RuleMember member in Rules.RuleCatalog.For(spec)?.Members(spec.Options) ?? [])
            {
                members[member.Name] = member.Description;
            }
        }
        else
        {
            members["StateStorage"] = "the generated state storage property";
            members["HasMasterWeights"] = "the generated master weights property";
            members["ReadStateBuffer"] = "the generated state reader";
            members["WriteStateBuffer"] = "the generated state writer";
        }

        foreach (ScalarStateDecl state in program.ScalarStates)
        {
            members[Emitter.Pascal(state.Name)] = $"the generated persistent scalar property ({state.CheckpointName})";
        }

        if (spec.ClipGradientNorm > 0)
        {
            members["LastGradientNorm"] = "the generated gradient norm property";
            members["MaxGradientNorm"] = "the generated clipping norm property";
        }

        if (spec.Schedule.IsPlateau)
        {
            members["ReportMetric"] = "the generated plateau metric method";
            members["PlateauTracker"] = "the generated plateau state property";
        }

        return members;
    }
}
