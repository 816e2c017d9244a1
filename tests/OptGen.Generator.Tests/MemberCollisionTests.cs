using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace OptGen.Generator.Tests;

/// <summary>
/// OPTG005 covers every member OptGen generates: each name found in compiled generated code, declared by the user
/// too, is reported at the user's member, and nothing is generated.
/// </summary>
public sealed class MemberCollisionTests
{
    public static TheoryData<string> Declarations => new()
    {
        "[Optimizer(UpdateRule.Adam)]\n[AmsGrad]",
        "[Optimizer(UpdateRule.RMSprop, ElementType = typeof(double))]\n[Centered]\n[Momentum(0.9)]\n[LinearWarmup(Steps = 5)]\n[CosineDecay(TotalSteps = 50)]",
        "[Optimizer(UpdateRule.AdaGrad)]\n[NonFiniteGradients(NonFiniteGradientPolicy.SkipStep)]\n[ReduceOnPlateau]",
        "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9)]\n[StepDecay(StepSize = 10)]",
        "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[ScheduleFree(WarmupSteps = 5)]",
        "[Optimizer(UpdateRule.Lion, ElementType = typeof(double))]\n[WeightDecay(0.1)]",
        "[Optimizer(UpdateRule.AdamW, ElementType = typeof(BFloat16))]\n[MasterWeights]\n[StateStorage(StateStorage.Blockwise8Bit)]",
        "[Optimizer(UpdateRule.ScheduleFreeAdamW, ElementType = typeof(System.Half))]",
    };

    [Theory]
    [MemberData(nameof(Declarations))]
    public void Every_generated_member_name_is_reported_when_the_user_declares_it(string attributes)
    {
        GeneratorRun clean = GeneratorHarness.RunClean(DiagnosticTests.Declare(attributes + "\npublic partial class Opt;"));
        INamedTypeSymbol type = clean.OutputCompilation.GetTypeByMetadataName("Demo.Opt")!;
        List<string> names = type.GetMembers()
            .Where(m => !m.IsImplicitlyDeclared && !m.Name.Contains('.', StringComparison.Ordinal) && m is not IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.PropertyGet or MethodKind.PropertySet })
            .Select(m => m.Name)
            .Distinct()
            .ToList();
        Assert.Contains("Step", names);
        Assert.Contains("_core", names);
        Assert.True(names.Count >= 18, "Too few members found: " + string.Join(", ", names));

        var missed = new List<string>();
        // A member named like a type the attributes use (NonFiniteGradientPolicy) hides that type from the attribute
        // arguments themselves, which are bound inside the class: that is reported as an unreadable argument instead.
        foreach (string name in names.Where(n => !attributes.Contains(n + ".", StringComparison.Ordinal)))
        {
            // A nested type of that name collides with any member kind.
            GeneratorRun run = GeneratorHarness.Run(DiagnosticTests.Declare(attributes + $"\npublic partial class Opt\n{{\n    private sealed class {name};\n}}"));
            Diagnostic? collision = run.GeneratorDiagnostics.FirstOrDefault(d => d.Id == "OPTG005");
            if (collision is null || GeneratorHarness.LocatedText(collision, run.InputCompilation) != name || run.GeneratedSources.Count != 0)
            {
                missed.Add(name);
            }
        }

        Assert.True(missed.Count == 0, "Not reported as collisions: " + string.Join(", ", missed));
    }
}
