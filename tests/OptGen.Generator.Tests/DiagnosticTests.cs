using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using OptGen.Generator.Diagnostics;

namespace OptGen.Generator.Tests;

/// <summary>
/// Every OPTG diagnostic: triggered with the right ID and severity at the offending attribute argument (or identifier),
/// and a near miss that is accepted without it.
/// </summary>
public sealed class DiagnosticTests
{
    /// <summary>Every descriptor the generator declares, found by reflection: the generator keeps no list that could miss one.</summary>
    private static readonly DiagnosticDescriptor[] AllDescriptors = typeof(DiagnosticDescriptors)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .ToArray();

    /// <summary>Diagnostics that are warnings: the optimizer is still generated.</summary>
    private static readonly HashSet<string> s_warnings = ["OPTG020", "OPTG021", "OPTG036"];

    /// <summary>Declaration, expected ID, the source text the diagnostic must point at.</summary>
    public static TheoryData<string, string, string> Triggers => new()
    {
        // OPTG001: not partial.
        { "[Optimizer(UpdateRule.Sgd)]\npublic class Opt;", "OPTG001", "Opt" },
        { "[Optimizer(UpdateRule.Adam)]\ninternal sealed class Opt { }", "OPTG001", "Opt" },

        // OPTG002: a containing type not partial.
        { "public class Outer\n{\n    [Optimizer(UpdateRule.Sgd)]\n    public partial class Opt;\n}", "OPTG002", "Outer" },
        { "public partial class A\n{\n    internal struct B\n    {\n        [Optimizer(UpdateRule.Sgd)]\n        public partial class Opt;\n    }\n}", "OPTG002", "B" },

        // OPTG003: unsupported shapes.
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt<T>;", "OPTG003", "Opt" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic static partial class Opt;", "OPTG003", "Opt" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic abstract partial class Opt;", "OPTG003", "Opt" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial record Opt;", "OPTG003", "Opt" },
        { "[Optimizer(UpdateRule.Sgd)]\nfile partial class Opt;", "OPTG003", "Opt" },
        { "file partial class Outer\n{\n    [Optimizer(UpdateRule.Sgd)]\n    public partial class Opt;\n}", "OPTG003", "Opt" },

        // OPTG004: two [Optimizer] attributes, reported at the second.
        { "[Optimizer(UpdateRule.Sgd)]\n[Optimizer(UpdateRule.Adam)]\npublic partial class Opt;", "OPTG004", "Optimizer(UpdateRule.Adam)" },

        // OPTG005: a member the user wrote with the name of a generated one, reported at the user's member.
        { "[Optimizer(UpdateRule.Adam)]\npublic partial class Opt\n{\n    public int Step;\n}", "OPTG005", "Step" },
        { "[Optimizer(UpdateRule.Adam)]\npublic partial class Opt\n{\n    private float[] _core = [];\n}", "OPTG005", "_core" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt\n{\n    public Opt(int size) { }\n}", "OPTG005", "Opt" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt\n{\n    public static void SaveCheckpoint() { }\n}", "OPTG005", "SaveCheckpoint" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau]\npublic partial class Opt\n{\n    public string PlateauTracker => \"\";\n}", "OPTG005", "PlateauTracker" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Length;", "OPTG005", "Length" },
        { "public class Base\n{\n    protected int _core;\n}\n\n[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt : Base;", "OPTG005", "Opt" },

        // OPTG010: learning rate.
        { "[Optimizer(UpdateRule.Sgd, LearningRate = -1)]\npublic partial class Opt;", "OPTG010", "LearningRate = -1" },
        { "[Optimizer(UpdateRule.Adam, LearningRate = 0)]\npublic partial class Opt;", "OPTG010", "LearningRate = 0" },
        { "[Optimizer(UpdateRule.Adam, LearningRate = double.NaN)]\npublic partial class Opt;", "OPTG010", "LearningRate = double.NaN" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(double), LearningRate = double.PositiveInfinity)]\npublic partial class Opt;", "OPTG010", "LearningRate = double.PositiveInfinity" },

        // OPTG011: decays outside [0, 1).
        { "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 1.0)]\npublic partial class Opt;", "OPTG011", "First = 1.0" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[MomentDecay(Second = -0.1)]\npublic partial class Opt;", "OPTG011", "Second = -0.1" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(1)]\npublic partial class Opt;", "OPTG011", "1" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9, Dampening = 1.5)]\npublic partial class Opt;", "OPTG011", "Dampening = 1.5" },
        { "[Optimizer(UpdateRule.Adadelta)]\n[MomentDecay(Second = 1.01)]\npublic partial class Opt;", "OPTG011", "Second = 1.01" },
        { "[Optimizer(UpdateRule.Adadelta)]\n[MomentDecay(Second = -1e-9)]\npublic partial class Opt;", "OPTG011", "Second = -1e-9" },
        { "[Optimizer(UpdateRule.NAdam)]\n[MomentDecay(First = 1.0)]\npublic partial class Opt;", "OPTG011", "First = 1.0" },
        { "[Optimizer(UpdateRule.Lion)]\n[MomentDecay(Second = 1)]\npublic partial class Opt;", "OPTG011", "Second = 1" },

        // OPTG012: epsilon.
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(0)]\npublic partial class Opt;", "OPTG012", "0" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[Epsilon(-1e-8)]\npublic partial class Opt;", "OPTG012", "-1e-8" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[Epsilon(double.PositiveInfinity, Placement = EpsilonPlacement.InsideSquareRoot)]\npublic partial class Opt;", "OPTG012", "double.PositiveInfinity" },

        // OPTG013: non-negative values.
        { "[Optimizer(UpdateRule.Sgd)]\n[WeightDecay(-0.1)]\npublic partial class Opt;", "OPTG013", "-0.1" },
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(double.NaN)]\npublic partial class Opt;", "OPTG013", "double.NaN" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[LearningRateDecay(-1)]\npublic partial class Opt;", "OPTG013", "-1" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[InitialAccumulator(double.PositiveInfinity)]\npublic partial class Opt;", "OPTG013", "double.PositiveInfinity" },
        { "[Optimizer(UpdateRule.Asgd)]\n[Averaging(Lambda = -1e-4)]\npublic partial class Opt;", "OPTG013", "Lambda = -1e-4" },
        { "[Optimizer(UpdateRule.Asgd)]\n[Averaging(Power = -0.5)]\npublic partial class Opt;", "OPTG013", "Power = -0.5" },
        { "[Optimizer(UpdateRule.Asgd)]\n[Averaging(StartStep = double.PositiveInfinity)]\npublic partial class Opt;", "OPTG013", "StartStep = double.PositiveInfinity" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Minimum = -1e-6)]\npublic partial class Opt;", "OPTG013", "Minimum = -1e-6" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Maximum = double.NaN)]\npublic partial class Opt;", "OPTG013", "Maximum = double.NaN" },
        { "[Optimizer(UpdateRule.NAdam)]\n[MomentumDecay(-4e-3)]\npublic partial class Opt;", "OPTG013", "-4e-3" },
        { "[Optimizer(UpdateRule.NAdam)]\n[MomentumDecay(double.PositiveInfinity)]\npublic partial class Opt;", "OPTG013", "double.PositiveInfinity" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[ScheduleFree(WarmupSteps = -1)]\npublic partial class Opt;", "OPTG013", "WarmupSteps = -1" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[ScheduleFree(R = -0.5)]\npublic partial class Opt;", "OPTG013", "R = -0.5" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[ScheduleFree(WeightLearningRatePower = double.PositiveInfinity)]\npublic partial class Opt;", "OPTG013", "WeightLearningRatePower = double.PositiveInfinity" },

        // OPTG015: Nesterov without momentum or with dampening.
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9, Dampening = 0.1, Nesterov = true)]\npublic partial class Opt;", "OPTG015", "Nesterov = true" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0, Nesterov = true)]\npublic partial class Opt;", "OPTG015", "Nesterov = true" },

        // OPTG016: options of other rules.
        { "[Optimizer(UpdateRule.Adam)]\n[Momentum(0.9)]\npublic partial class Opt;", "OPTG016", "Momentum(0.9)" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[MomentDecay(First = 0.5)]\npublic partial class Opt;", "OPTG016", "First = 0.5" },
        { "[Optimizer(UpdateRule.Sgd)]\n[MomentDecay(Second = 0.5)]\npublic partial class Opt;", "OPTG016", "MomentDecay(Second = 0.5)" },
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(0.01, Decoupled = false)]\npublic partial class Opt;", "OPTG016", "Decoupled = false" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Epsilon(1e-8)]\npublic partial class Opt;", "OPTG016", "Epsilon(1e-8)" },
        { "[Optimizer(UpdateRule.Sgd)]\n[BiasCorrection(false)]\npublic partial class Opt;", "OPTG016", "BiasCorrection(false)" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[AmsGrad]\npublic partial class Opt;", "OPTG016", "AmsGrad" },
        { "[Optimizer(UpdateRule.Adam)]\n[Centered]\npublic partial class Opt;", "OPTG016", "Centered" },
        { "[Optimizer(UpdateRule.Adam)]\n[LearningRateDecay(0.1)]\npublic partial class Opt;", "OPTG016", "LearningRateDecay(0.1)" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[InitialAccumulator(0.1)]\npublic partial class Opt;", "OPTG016", "InitialAccumulator(0.1)" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[Momentum(0.9, Dampening = 0.5)]\npublic partial class Opt;", "OPTG016", "Dampening = 0.5" },
        { "[Optimizer(UpdateRule.Rprop)]\n[WeightDecay(0.01)]\npublic partial class Opt;", "OPTG016", "WeightDecay(0.01)" },
        { "[Optimizer(UpdateRule.Asgd)]\n[WeightDecay(0.01, Decoupled = true)]\npublic partial class Opt;", "OPTG016", "Decoupled = true" },
        { "[Optimizer(UpdateRule.Asgd)]\n[StepSizeAdaptation(Increase = 1.5)]\npublic partial class Opt;", "OPTG016", "StepSizeAdaptation(Increase = 1.5)" },
        { "[Optimizer(UpdateRule.Rprop)]\n[Averaging(StartStep = 10)]\npublic partial class Opt;", "OPTG016", "Averaging(StartStep = 10)" },
        { "[Optimizer(UpdateRule.Adadelta)]\n[MomentDecay(First = 0.9)]\npublic partial class Opt;", "OPTG016", "First = 0.9" },
        { "[Optimizer(UpdateRule.Adadelta)]\n[WeightDecay(0.1, Decoupled = true)]\npublic partial class Opt;", "OPTG016", "Decoupled = true" },
        { "[Optimizer(UpdateRule.Adamax)]\n[WeightDecay(0.1, Decoupled = true)]\npublic partial class Opt;", "OPTG016", "Decoupled = true" },
        { "[Optimizer(UpdateRule.Adam)]\n[MomentumDecay(4e-3)]\npublic partial class Opt;", "OPTG016", "MomentumDecay(4e-3)" },
        { "[Optimizer(UpdateRule.RAdam)]\n[Epsilon(1e-8, Placement = EpsilonPlacement.InsideSquareRoot)]\npublic partial class Opt;", "OPTG016", "Placement = EpsilonPlacement.InsideSquareRoot" },
        { "[Optimizer(UpdateRule.RAdam)]\n[AmsGrad]\npublic partial class Opt;", "OPTG016", "AmsGrad" },
        { "[Optimizer(UpdateRule.Lion)]\n[WeightDecay(0.1, Decoupled = false)]\npublic partial class Opt;", "OPTG016", "Decoupled = false" },
        { "[Optimizer(UpdateRule.Lion)]\n[Epsilon(1e-8)]\npublic partial class Opt;", "OPTG016", "Epsilon(1e-8)" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[WeightDecay(0.1, Decoupled = true)]\npublic partial class Opt;", "OPTG016", "Decoupled = true" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[Epsilon(1e-8, Placement = EpsilonPlacement.InsideSquareRoot)]\npublic partial class Opt;", "OPTG016", "Placement = EpsilonPlacement.InsideSquareRoot" },
        { "[Optimizer(UpdateRule.Adam)]\n[ScheduleFree(WarmupSteps = 10)]\npublic partial class Opt;", "OPTG016", "ScheduleFree(WarmupSteps = 10)" },

        // OPTG017: element type.
        { "[Optimizer(UpdateRule.Sgd, ElementType = typeof(int))]\npublic partial class Opt;", "OPTG017", "ElementType = typeof(int)" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(decimal))]\npublic partial class Opt;", "OPTG017", "ElementType = typeof(decimal)" },

        // OPTG018: arguments that are not readable constants of the expected kind.
        { "[Optimizer((UpdateRule)42)]\npublic partial class Opt;", "OPTG018", "(UpdateRule)42" },
        { "[Optimizer(UpdateRule.Adam)]\n[NonFiniteGradients((NonFiniteGradientPolicy)7)]\npublic partial class Opt;", "OPTG018", "(NonFiniteGradientPolicy)7" },
        { "[Optimizer(UpdateRule.Sgd, ElementType = null)]\npublic partial class Opt;", "OPTG018", "ElementType = null" },
        { "[Optimizer(UpdateRule.Sgd, LearningRate = Missing.Value)]\npublic partial class Opt;", "OPTG018", "LearningRate = Missing.Value" },

        // OPTG020 (warning): β₂ < β₁.
        { "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 0.9, Second = 0.5)]\npublic partial class Opt;", "OPTG020", "Second = 0.5" },
        { "[Optimizer(UpdateRule.AdamW)]\n[MomentDecay(Second = 0.8)]\npublic partial class Opt;", "OPTG020", "Second = 0.8" },
        { "[Optimizer(UpdateRule.NAdam)]\n[MomentDecay(First = 0.9, Second = 0.5)]\npublic partial class Opt;", "OPTG020", "Second = 0.5" },
        { "[Optimizer(UpdateRule.RAdam)]\n[MomentDecay(Second = 0.8)]\npublic partial class Opt;", "OPTG020", "Second = 0.8" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[MomentDecay(First = 0.9, Second = 0.5)]\npublic partial class Opt;", "OPTG020", "Second = 0.5" },

        // OPTG021 (warning): epsilon above 1e-3.
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(0.1)]\npublic partial class Opt;", "OPTG021", "0.1" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[Epsilon(0.0011, Placement = EpsilonPlacement.InsideSquareRoot)]\npublic partial class Opt;", "OPTG021", "0.0011" },

        // OPTG030: schedule step counts below their minimum (1; OneCycle's TotalSteps 2).
        { "[Optimizer(UpdateRule.Sgd)]\n[StepDecay(StepSize = 0)]\npublic partial class Opt;", "OPTG030", "StepSize = 0" },
        { "[Optimizer(UpdateRule.Sgd)]\n[StepDecay(StepSize = -3, Gamma = 0.5)]\npublic partial class Opt;", "OPTG030", "StepSize = -3" },
        { "[Optimizer(UpdateRule.Adam)]\n[CosineDecay(TotalSteps = 0)]\npublic partial class Opt;", "OPTG030", "TotalSteps = 0" },
        { "[Optimizer(UpdateRule.Adam)]\n[PolynomialDecay(TotalSteps = -1)]\npublic partial class Opt;", "OPTG030", "TotalSteps = -1" },
        { "[Optimizer(UpdateRule.Adam)]\n[ExponentialDecay(Gamma = 0.9, DecaySteps = 0)]\npublic partial class Opt;", "OPTG030", "DecaySteps = 0" },
        { "[Optimizer(UpdateRule.Adam)]\n[CosineWarmRestarts(FirstPeriod = 0)]\npublic partial class Opt;", "OPTG030", "FirstPeriod = 0" },
        { "[Optimizer(UpdateRule.Adam)]\n[InverseSquareRootDecay(WarmupSteps = 0)]\npublic partial class Opt;", "OPTG030", "WarmupSteps = 0" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 0)]\npublic partial class Opt;", "OPTG030", "Steps = 0" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = -5)]\n[CosineDecay(TotalSteps = 100)]\npublic partial class Opt;", "OPTG030", "Steps = -5" },
        { "[Optimizer(UpdateRule.Adam)]\n[OneCycle(TotalSteps = 1, WarmupFraction = 0.75)]\npublic partial class Opt;", "OPTG030", "TotalSteps = 1" },

        // OPTG031: gamma outside (0, 1].
        { "[Optimizer(UpdateRule.Sgd)]\n[StepDecay(StepSize = 3, Gamma = 0)]\npublic partial class Opt;", "OPTG031", "Gamma = 0" },
        { "[Optimizer(UpdateRule.Sgd)]\n[MultiStepDecay(Milestones = new[] { 10, 20 }, Gamma = 1.5)]\npublic partial class Opt;", "OPTG031", "Gamma = 1.5" },
        { "[Optimizer(UpdateRule.Sgd)]\n[ExponentialDecay(Gamma = -0.1)]\npublic partial class Opt;", "OPTG031", "Gamma = -0.1" },
        { "[Optimizer(UpdateRule.Sgd)]\n[ExponentialDecay(Gamma = double.NaN)]\npublic partial class Opt;", "OPTG031", "Gamma = double.NaN" },

        // OPTG032: negative polynomial power.
        { "[Optimizer(UpdateRule.Adam)]\n[PolynomialDecay(TotalSteps = 10, Power = -1)]\npublic partial class Opt;", "OPTG032", "Power = -1" },
        { "[Optimizer(UpdateRule.Adam)]\n[PolynomialDecay(Power = double.PositiveInfinity)]\npublic partial class Opt;", "OPTG032", "Power = double.PositiveInfinity" },

        // OPTG033: a schedule's floor above the base learning rate (explicit or the rule's default).
        { "[Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]\n[CosineDecay(TotalSteps = 10, MinLearningRate = 0.5)]\npublic partial class Opt;", "OPTG033", "MinLearningRate = 0.5" },
        { "[Optimizer(UpdateRule.Adam)]\n[PolynomialDecay(TotalSteps = 10, EndLearningRate = 0.01)]\npublic partial class Opt;", "OPTG033", "EndLearningRate = 0.01" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[CosineWarmRestarts(FirstPeriod = 10, MinLearningRate = 0.011)]\npublic partial class Opt;", "OPTG033", "MinLearningRate = 0.011" },
        { "[Optimizer(UpdateRule.RMSprop, LearningRate = 1e-4)]\n[ReduceOnPlateau(MinLearningRate = 1e-3)]\npublic partial class Opt;", "OPTG033", "MinLearningRate = 1e-3" },

        // OPTG034: a second decay schedule, reported at the second attribute.
        { "[Optimizer(UpdateRule.Sgd)]\n[StepDecay(StepSize = 3)]\n[CosineDecay(TotalSteps = 10)]\npublic partial class Opt;", "OPTG034", "CosineDecay(TotalSteps = 10)" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup]\n[ReduceOnPlateau]\n[ExponentialDecay(Gamma = 0.9)]\npublic partial class Opt;", "OPTG034", "ExponentialDecay(Gamma = 0.9)" },

        // OPTG035: milestones empty, unsorted, repeated or below 1.
        { "[Optimizer(UpdateRule.Sgd)]\n[MultiStepDecay(Milestones = new int[0])]\npublic partial class Opt;", "OPTG035", "Milestones = new int[0]" },
        { "[Optimizer(UpdateRule.Sgd)]\n[MultiStepDecay(Milestones = new[] { 30, 10 })]\npublic partial class Opt;", "OPTG035", "Milestones = new[] { 30, 10 }" },
        { "[Optimizer(UpdateRule.Sgd)]\n[MultiStepDecay(Milestones = new[] { 10, 10, 20 })]\npublic partial class Opt;", "OPTG035", "Milestones = new[] { 10, 10, 20 }" },
        { "[Optimizer(UpdateRule.Sgd)]\n[MultiStepDecay(Milestones = new[] { 0, 10 }, Gamma = 0.5)]\npublic partial class Opt;", "OPTG035", "Milestones = new[] { 0, 10 }" },

        // OPTG036 (warning): a warm-up longer than the decay's TotalSteps.
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 20)]\n[CosineDecay(TotalSteps = 10)]\npublic partial class Opt;", "OPTG036", "LinearWarmup(Steps = 20)" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 6)]\n[PolynomialDecay]\npublic partial class Opt;", "OPTG036", "LinearWarmup(Steps = 6)" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 101, StartFactor = 0.1)]\n[OneCycle(TotalSteps = 100)]\npublic partial class Opt;", "OPTG036", "LinearWarmup(Steps = 101, StartFactor = 0.1)" },

        // OPTG037: other schedule arguments out of range.
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(StartFactor = 0)]\npublic partial class Opt;", "OPTG037", "StartFactor = 0" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 10, StartFactor = 1.5)]\npublic partial class Opt;", "OPTG037", "StartFactor = 1.5" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau(Factor = 1)]\npublic partial class Opt;", "OPTG037", "Factor = 1" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau(Threshold = 1)]\npublic partial class Opt;", "OPTG037", "Threshold = 1" },
        { "[Optimizer(UpdateRule.Adam)]\n[CosineWarmRestarts(FirstPeriod = 10, PeriodMultiplier = 0)]\npublic partial class Opt;", "OPTG037", "PeriodMultiplier = 0" },
        { "[Optimizer(UpdateRule.Adam)]\n[OneCycle(TotalSteps = 100, WarmupFraction = 0.6, ThreePhase = true)]\npublic partial class Opt;", "OPTG037", "WarmupFraction = 0.6" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau(Patience = -1)]\npublic partial class Opt;", "OPTG037", "Patience = -1" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau(Cooldown = -2)]\npublic partial class Opt;", "OPTG037", "Cooldown = -2" },

        // OPTG038: a required argument missing, reported at the attribute.
        { "[Optimizer(UpdateRule.Sgd)]\n[StepDecay(Gamma = 0.5)]\npublic partial class Opt;", "OPTG038", "StepDecay(Gamma = 0.5)" },
        { "[Optimizer(UpdateRule.Sgd)]\n[CosineDecay(MinLearningRate = 1e-5)]\npublic partial class Opt;", "OPTG038", "CosineDecay(MinLearningRate = 1e-5)" },
        { "[Optimizer(UpdateRule.Sgd)]\n[ExponentialDecay]\npublic partial class Opt;", "OPTG038", "ExponentialDecay" },
        { "[Optimizer(UpdateRule.Sgd)]\n[MultiStepDecay(Gamma = 0.5)]\npublic partial class Opt;", "OPTG038", "MultiStepDecay(Gamma = 0.5)" },
        { "[Optimizer(UpdateRule.Sgd)]\n[OneCycle(WarmupFraction = 0.25)]\npublic partial class Opt;", "OPTG038", "OneCycle(WarmupFraction = 0.25)" },
        { "[Optimizer(UpdateRule.Sgd)]\n[CosineWarmRestarts()]\npublic partial class Opt;", "OPTG038", "CosineWarmRestarts()" },
        { "[Optimizer(UpdateRule.Sgd)]\n[InverseSquareRootDecay]\npublic partial class Opt;", "OPTG038", "InverseSquareRootDecay" },

        // OPTG039: a warm-up before a plateau schedule, reported at the [LinearWarmup].
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup]\n[ReduceOnPlateau]\npublic partial class Opt;", "OPTG039", "LinearWarmup" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau(Mode = PlateauMode.Maximize)]\n[LinearWarmup(Steps = 3)]\npublic partial class Opt;", "OPTG039", "LinearWarmup(Steps = 3)" },

        // OPTG045: Rprop's step-size adaptation outside its ranges (0 < Decrease < 1 < Increase, Minimum ≤ Maximum).
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Decrease = 1)]\npublic partial class Opt;", "OPTG045", "Decrease = 1" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Decrease = 0)]\npublic partial class Opt;", "OPTG045", "Decrease = 0" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Increase = 1)]\npublic partial class Opt;", "OPTG045", "Increase = 1" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Increase = double.PositiveInfinity)]\npublic partial class Opt;", "OPTG045", "Increase = double.PositiveInfinity" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Minimum = 0.1, Maximum = 0.05)]\npublic partial class Opt;", "OPTG045", "Maximum = 0.05" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Maximum = 1e-7)]\npublic partial class Opt;", "OPTG045", "Maximum = 1e-7" },
        { "[Optimizer(UpdateRule.Lars)]\n[TrustRatio(Coefficient = 0)]\npublic partial class Opt;", "OPTG045", "Coefficient = 0" },
        { "[Optimizer(UpdateRule.Lars)]\n[TrustRatio(Epsilon = -1e-3)]\npublic partial class Opt;", "OPTG013", "Epsilon = -1e-3" },
        // OPTG050: Schedule-Free's x is undefined at β₁ = 0.
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[MomentDecay(First = 0)]\npublic partial class Opt;", "OPTG050", "First = 0" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[MomentDecay(First = 0.0, Second = 0.5)]\npublic partial class Opt;", "OPTG050", "First = 0.0" },

        // OPTG060: [Optimizer] without a rule and no [ElementRule] method.
        { "[Optimizer]\npublic partial class Opt;", "OPTG060", "Opt" },
        { "[Optimizer(LearningRate = 0.1)]\npublic partial class Opt\n{\n    static void Update(ref float p, float g) { }\n}", "OPTG060", "Opt" },

        // OPTG061: two [ElementRule] methods, reported at the second.
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void A(ref float p, float g) { }\n\n    [ElementRule]\n    static void B(ref float p, float g) { }\n}", "OPTG061", "B" },

        // OPTG062: a preset and an [ElementRule] method.
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float p, float g) { }\n}", "OPTG062", "Update" },

        // OPTG063: signatures.
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter -= 0.1f * gradient;\n    }\n}", "OPTG063", "Update" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static int Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        return 0;\n    }\n}", "OPTG063", "Update" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(float parameter, float gradient)\n    {\n        \n    }\n}", "OPTG063", "parameter" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, ref float gradient)\n    {\n        \n    }\n}", "OPTG063", "gradient" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, float expAvg)\n    {\n        \n    }\n}", "OPTG063", "expAvg" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref double expAvg)\n    {\n        \n    }\n}", "OPTG063", "expAvg" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, StepContext step, ref float expAvg)\n    {\n        \n    }\n}", "OPTG063", "step" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float a, ref float b, ref float c, ref float d, ref float e)\n    {\n        \n    }\n}", "OPTG063", "Update" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, [InitialValue(double.NaN)] ref float expAvg)\n    {\n        \n    }\n}", "OPTG063", "double.NaN" },
        { "[Optimizer(ElementType = typeof(double))]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float p, float g) { }\n}", "OPTG063", "ElementType = typeof(double)" },

        // OPTG064: constructs outside the grammar, reported at the construct.
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        for (int i = 0; i < 2; i++) { parameter -= gradient; }\n    }\n}", "OPTG064", "for (int i = 0; i < 2; i++) { parameter -= gradient; }" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        gradient = 0;\n    }\n}", "OPTG064", "gradient" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter -= System.MathF.Sign(gradient);\n    }\n}", "OPTG064", "System.MathF.Sign(gradient)" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter -= System.MathF.Exp((float)step.LearningRate) * gradient;\n    }\n}", "OPTG064", "System.MathF.Exp((float)step.LearningRate)" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient)\n    {\n        parameter = System.MathF.Pow(parameter, gradient);\n    }\n}", "OPTG064", "System.MathF.Pow(parameter, gradient)" },
        { "[Optimizer]\npublic partial class Opt\n{\n    static float Scale;\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient)\n    {\n        Scale = 1;\n    }\n}", "OPTG064", "Scale" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        if (gradient > 0) { return; }\n    }\n}", "OPTG064", "return;" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        throw new System.Exception();\n    }\n}", "OPTG064", "throw new System.Exception();" },
        { "[Optimizer]\npublic partial class Opt\n{\n    static float Scale = 0.1f;\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter -= Scale * gradient;\n    }\n}", "OPTG064", "Scale" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter++;\n    }\n}", "OPTG064", "parameter++" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter -= (float)System.Math.Pow(gradient, 2);\n    }\n}", "OPTG064", "System.Math.Pow(gradient, 2)" },

        // OPTG063: a by-value parameter that names no per-step state.
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, double scale)\n    {\n    }\n}", "OPTG063", "scale" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [BeforeStep]\n    static void Advance(ref double total) { total += 1; }\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, double count)\n    {\n    }\n}", "OPTG063", "count" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [BeforeStep]\n    static void Advance(ref double total) { total += 1; }\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, float total)\n    {\n    }\n}", "OPTG063", "total" },

        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, [TensorNorm] ref float a, [TensorNorm] ref float b)\n    {\n    }\n}", "OPTG063", "b" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, StepContext step)\n    {\n        parameter -= (float)step.UpdateNorm * gradient;\n    }\n}", "OPTG064", "step.UpdateNorm" },

        // OPTG066: [BeforeStep] methods.
        { "[Optimizer]\npublic partial class Opt\n{\n    [BeforeStep]\n    static void Advance(double total) { }\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient) { }\n}", "OPTG066", "total" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [BeforeStep]\n    void Advance(ref double total) { }\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient) { }\n}", "OPTG066", "Advance" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [BeforeStep]\n    static void Advance(StepContext step) { }\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient) { }\n}", "OPTG066", "Advance" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [BeforeStep]\n    static void A(ref double x) { }\n\n    [BeforeStep]\n    static void B(ref double y) { }\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient) { }\n}", "OPTG066", "B" },
        { "[Optimizer(UpdateRule.Adam)]\npublic partial class Opt\n{\n    [BeforeStep]\n    static void Advance(ref double total) { total += 1; }\n}", "OPTG066", "Advance" },

        // OPTG067: a clipping norm that is not greater than 0.
        { "[Optimizer(UpdateRule.Adam)]\n[ClipGradientNorm(0)]\npublic partial class Opt;", "OPTG067", "0" },
        { "[Optimizer(UpdateRule.Adam)]\n[ClipGradientNorm(double.NaN)]\npublic partial class Opt;", "OPTG067", "double.NaN" },
        { "[Optimizer(UpdateRule.Adam)]\n[ClipGradientNorm(-1.0)]\npublic partial class Opt;", "OPTG067", "-1.0" },

        // OPTG068: exclude patterns that are null, empty or repeated, reported at Exclude.
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(0.05, Exclude = new[] { \"\" })]\npublic partial class Opt;", "OPTG068", "Exclude = new[] { \"\" }" },
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(0.05, Exclude = new[] { \"*.bias\", null })]\npublic partial class Opt;", "OPTG068", "Exclude = new[] { \"*.bias\", null }" },
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(0.05, Exclude = new[] { \"*.bias\", \"*.bias\" })]\npublic partial class Opt;", "OPTG068", "Exclude = new[] { \"*.bias\", \"*.bias\" }" },

        // OPTG069: precision attributes that cannot apply, reported at the attribute.
        { "[Optimizer(UpdateRule.Adam)]\n[MasterWeights]\npublic partial class Opt;", "OPTG069", "MasterWeights" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(System.Half))]\n[StochasticRounding(1)]\npublic partial class Opt;", "OPTG069", "StochasticRounding(1)" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]\n[MasterWeights]\n[StochasticRounding(1)]\npublic partial class Opt;", "OPTG069", "StochasticRounding(1)" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(double))]\n[StateStorage(StateStorage.Blockwise8Bit)]\npublic partial class Opt;", "OPTG069", "StateStorage(StateStorage.Blockwise8Bit)" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(int))]\npublic partial class Opt;", "OPTG017", "ElementType = typeof(int)" },

        // OPTG065: element arithmetic C# computes in another type than the elements'.
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter -= (float)(gradient * 0.1);\n    }\n}", "OPTG065", "gradient * 0.1" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter -= (float)(step.LearningRate * gradient);\n    }\n}", "OPTG065", "step.LearningRate * gradient" },
    };

    /// <summary>Declarations close to a trigger that are valid: no diagnostic at all, and code that compiles.</summary>
    public static TheoryData<string, string> NearMisses => new()
    {
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt;", "OPTG001" },
        { "public partial class Outer\n{\n    [Optimizer(UpdateRule.Sgd)]\n    public partial class Opt;\n}", "OPTG002" },
        { "public partial class A\n{\n    internal partial struct B\n    {\n        [Optimizer(UpdateRule.Sgd)]\n        public partial class Opt;\n    }\n}", "OPTG002" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic sealed partial class Opt;", "OPTG003" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt;\n\npublic partial class Opt\n{\n    public int Steps;\n}", "OPTG004" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt\n{\n    public int Steps;\n    public float[] ExpAvg = [];\n    public Opt(int size, int unused) : this(size) { }\n    public static int s_core;\n}", "OPTG005" },
        { "public class Base\n{\n    private int _core = 1;\n    protected int Steps => _core;\n}\n\n[Optimizer(UpdateRule.Adam)]\npublic partial class Opt : Base;", "OPTG005" },
        { "[Optimizer(UpdateRule.Sgd, LearningRate = 1e-9)]\npublic partial class Opt;", "OPTG010" },
        { "[Optimizer(UpdateRule.Adam, LearningRate = 10)]\npublic partial class Opt;", "OPTG010" },
        { "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 0.0, Second = 0.999999)]\npublic partial class Opt;", "OPTG011" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.99, Dampening = 1)]\npublic partial class Opt;", "OPTG011" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[MomentDecay(Second = 0.0)]\npublic partial class Opt;", "OPTG011" },
        { "[Optimizer(UpdateRule.Adadelta)]\n[MomentDecay(Second = 1.0)]\npublic partial class Opt;", "OPTG011" },
        { "[Optimizer(UpdateRule.Adadelta)]\n[MomentDecay(Second = 0.0)]\npublic partial class Opt;", "OPTG011" },
        { "[Optimizer(UpdateRule.NAdam)]\n[MomentDecay(First = 0.0, Second = 0.999999)]\npublic partial class Opt;", "OPTG011" },
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(1e-12)]\npublic partial class Opt;", "OPTG012" },
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(double.Epsilon)]\npublic partial class Opt;", "OPTG012" },
        { "[Optimizer(UpdateRule.Sgd)]\n[WeightDecay(0)]\npublic partial class Opt;", "OPTG013" },
        { "[Optimizer(UpdateRule.AdaGrad)]\n[LearningRateDecay(0.5)]\n[InitialAccumulator(0.5)]\npublic partial class Opt;", "OPTG013" },
        { "[Optimizer(UpdateRule.Asgd)]\n[Averaging(Lambda = 0, Power = 0, StartStep = 0)]\npublic partial class Opt;", "OPTG013" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Minimum = 0, Maximum = 0)]\npublic partial class Opt;", "OPTG013" },
        { "[Optimizer(UpdateRule.NAdam)]\n[MomentumDecay(0)]\npublic partial class Opt;", "OPTG013" },
        { "[Optimizer(UpdateRule.NAdam)]\n[MomentumDecay(1e300)]\n[WeightDecay(0.1, Decoupled = true)]\npublic partial class Opt;", "OPTG013" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[ScheduleFree(WarmupSteps = 0, R = 0, WeightLearningRatePower = 0)]\npublic partial class Opt;", "OPTG013" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9, Nesterov = true)]\npublic partial class Opt;", "OPTG015" },
        { "[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9, Dampening = 0, Nesterov = true)]\npublic partial class Opt;", "OPTG015" },
        { "[Optimizer(UpdateRule.RMSprop)]\n[Momentum(0.9)]\n[Centered]\n[MomentDecay(Second = 0.95)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(0.1, Decoupled = true)]\n[AmsGrad]\n[BiasCorrection]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.Sgd)]\n[WeightDecay(0.1, Decoupled = true)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.Asgd)]\n[WeightDecay(0.01, Decoupled = false)]\n[Averaging(StartStep = 10)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.Rprop, Maximize = true)]\n[StepSizeAdaptation(Increase = 1.5)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.Adadelta, Maximize = true)]\n[MomentDecay(Second = 0.95)]\n[Epsilon(1e-5)]\n[WeightDecay(0.1)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.Adamax, Maximize = true)]\n[MomentDecay(First = 0.8, Second = 0.99)]\n[WeightDecay(0.1)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.NAdam, Maximize = true)]\n[MomentumDecay(0.01)]\n[Epsilon(1e-6)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.RAdam, Maximize = true)]\n[WeightDecay(0.1, Decoupled = true)]\n[MomentDecay(First = 0.5, Second = 0.6)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.Lion, Maximize = true)]\n[WeightDecay(0.1, Decoupled = true)]\n[MomentDecay(First = 0.9, Second = 0.99)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW, Maximize = true)]\n[WeightDecay(0.1)]\n[Epsilon(1e-8)]\n[ScheduleFree(WarmupSteps = 100, R = 1, WeightLearningRatePower = 1)]\npublic partial class Opt;", "OPTG016" },
        { "[Optimizer(UpdateRule.Sgd, ElementType = typeof(double))]\npublic partial class Opt;", "OPTG017" },
        { "[Optimizer(UpdateRule.Sgd, ElementType = typeof(System.Single))]\npublic partial class Opt;", "OPTG017" },
        { "[Optimizer((UpdateRule)3)]\npublic partial class Opt;", "OPTG018" },
        { "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 0.9, Second = 0.9)]\npublic partial class Opt;", "OPTG020" },
        { "[Optimizer(UpdateRule.NAdam)]\n[MomentDecay(First = 0.9, Second = 0.9)]\npublic partial class Opt;", "OPTG020" },
        { "[Optimizer(UpdateRule.Adamax)]\n[MomentDecay(First = 0.9, Second = 0.5)]\npublic partial class Opt;", "OPTG020" },
        { "[Optimizer(UpdateRule.Lion)]\n[MomentDecay(First = 0.99, Second = 0.9)]\npublic partial class Opt;", "OPTG020" },
        { "[Optimizer(UpdateRule.Adam)]\n[Epsilon(1e-3)]\npublic partial class Opt;", "OPTG021" },
        { "[Optimizer(UpdateRule.Sgd)]\n[StepDecay(StepSize = 1)]\npublic partial class Opt;", "OPTG030" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 1)]\n[CosineDecay(TotalSteps = 1)]\npublic partial class Opt;", "OPTG030" },
        { "[Optimizer(UpdateRule.Adam)]\n[ExponentialDecay(Gamma = 0.9, DecaySteps = 1)]\npublic partial class Opt;", "OPTG030" },
        { "[Optimizer(UpdateRule.Adam)]\n[CosineWarmRestarts(FirstPeriod = 1)]\npublic partial class Opt;", "OPTG030" },
        { "[Optimizer(UpdateRule.Adam)]\n[InverseSquareRootDecay(WarmupSteps = 1)]\npublic partial class Opt;", "OPTG030" },
        { "[Optimizer(UpdateRule.Adam)]\n[PolynomialDecay(TotalSteps = 1)]\npublic partial class Opt;", "OPTG030" },
        { "[Optimizer(UpdateRule.Adam)]\n[OneCycle(TotalSteps = 2, WarmupFraction = 0.75)]\npublic partial class Opt;", "OPTG030" },
        { "[Optimizer(UpdateRule.Sgd)]\n[StepDecay(StepSize = 3, Gamma = 1.0)]\npublic partial class Opt;", "OPTG031" },
        { "[Optimizer(UpdateRule.Sgd)]\n[ExponentialDecay(Gamma = double.Epsilon)]\npublic partial class Opt;", "OPTG031" },
        { "[Optimizer(UpdateRule.Adam)]\n[PolynomialDecay(TotalSteps = 10, Power = 0)]\npublic partial class Opt;", "OPTG032" },
        { "[Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]\n[CosineDecay(TotalSteps = 10, MinLearningRate = 0.1)]\npublic partial class Opt;", "OPTG033" },
        { "[Optimizer(UpdateRule.Adam)]\n[PolynomialDecay(TotalSteps = 10, EndLearningRate = 1e-3)]\npublic partial class Opt;", "OPTG033" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau(MinLearningRate = 1e-6)]\npublic partial class Opt;", "OPTG033" },
        { "[Optimizer(UpdateRule.Sgd)]\n[LinearWarmup(Steps = 3)]\n[StepDecay(StepSize = 3)]\npublic partial class Opt;", "OPTG034" },
        { "[Optimizer(UpdateRule.Sgd)]\n[MultiStepDecay(Milestones = new[] { 1, 10, 20 })]\npublic partial class Opt;", "OPTG035" },
        { "[Optimizer(UpdateRule.Sgd)]\n[MultiStepDecay(Milestones = [5])]\npublic partial class Opt;", "OPTG035" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 10)]\n[CosineDecay(TotalSteps = 10)]\npublic partial class Opt;", "OPTG036" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 50)]\n[StepDecay(StepSize = 10)]\npublic partial class Opt;", "OPTG036" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 10, StartFactor = 1)]\npublic partial class Opt;", "OPTG037" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau(Factor = 0.5, Patience = 0, Cooldown = 0, Threshold = 0)]\npublic partial class Opt;", "OPTG037" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau(Threshold = 1, ThresholdMode = PlateauThresholdMode.Absolute)]\npublic partial class Opt;", "OPTG037" },
        { "[Optimizer(UpdateRule.Adam)]\n[CosineWarmRestarts(FirstPeriod = 10, PeriodMultiplier = 2)]\npublic partial class Opt;", "OPTG037" },
        { "[Optimizer(UpdateRule.Adam)]\n[OneCycle(TotalSteps = 100, WarmupFraction = 0.45, ThreePhase = true, Anneal = AnnealStrategy.Linear)]\npublic partial class Opt;", "OPTG037" },
        { "[Optimizer(UpdateRule.Adam)]\n[OneCycle(TotalSteps = 100, WarmupFraction = 0.99)]\npublic partial class Opt;", "OPTG037" },
        { "[Optimizer(UpdateRule.Sgd)]\n[StepDecay(StepSize = 30)]\npublic partial class Opt;", "OPTG038" },
        { "[Optimizer(UpdateRule.Sgd)]\n[ExponentialDecay(Gamma = 0.99)]\npublic partial class Opt;", "OPTG038" },
        { "[Optimizer(UpdateRule.Sgd)]\n[PolynomialDecay]\npublic partial class Opt;", "OPTG038" },
        { "[Optimizer(UpdateRule.Sgd)]\n[LinearWarmup]\npublic partial class Opt;", "OPTG038" },
        { "[Optimizer(UpdateRule.Adam)]\n[ReduceOnPlateau]\npublic partial class Opt;", "OPTG039" },
        { "[Optimizer(UpdateRule.Adam)]\n[LinearWarmup]\n[InverseSquareRootDecay(WarmupSteps = 4000)]\npublic partial class Opt;", "OPTG039" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Decrease = 0.999, Increase = 1.001, Minimum = 1, Maximum = 1)]\npublic partial class Opt;", "OPTG045" },
        { "[Optimizer(UpdateRule.Rprop)]\n[StepSizeAdaptation(Decrease = double.Epsilon, Increase = 1e300, Maximum = 1e-6)]\npublic partial class Opt;", "OPTG045" },
        { "[Optimizer(UpdateRule.ScheduleFreeAdamW)]\n[MomentDecay(First = 1e-3)]\npublic partial class Opt;", "OPTG050" },
        { "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 0)]\npublic partial class Opt;", "OPTG050" },

        // OPTG060–OPTG065: [ElementRule] rules that fit.
        { "[Optimizer(LearningRate = 0.1)]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float p, float g) { p -= g; }\n}", "OPTG060" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void A(ref float p, float g) { p -= g; }\n\n    static void B(ref float p, float g) { }\n}", "OPTG061" },
        { "[Optimizer(UpdateRule.Sgd)]\npublic partial class Opt\n{\n    static void Update(ref float p, float g) { }\n}", "OPTG062" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref double parameter, double gradient, [InitialValue(1)] ref double a, ref double b, ref double c, ref double d, StepContext step)\n    {\n        parameter -= 0.1 * gradient;\n    }\n}", "OPTG063" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter -= gradient > 0 ? 0.1f : -0.1f;\n    }\n}", "OPTG064" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)\n    {\n        parameter -= (float)step.LearningRate * gradient * 0.1f;\n    }\n}", "OPTG065" },
        { "[Optimizer(UpdateRule.Adam)]\n[ClipGradientNorm(double.PositiveInfinity)]\npublic partial class Opt;", "OPTG067" },
        { "[Optimizer(UpdateRule.Adam)]\n[ClipGradientNorm(1e-9)]\npublic partial class Opt;", "OPTG067" },
        { "[Optimizer(UpdateRule.AdamW)]\n[WeightDecay(0.05, Exclude = new[] { \"*\", \"*.bias\" })]\npublic partial class Opt;", "OPTG068" },
        { "[Optimizer(UpdateRule.Adam)]\n[WeightDecay(0.01, Exclude = null)]\npublic partial class Opt;", "OPTG068" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]\n[MasterWeights]\n[StateStorage(StateStorage.Blockwise8Bit)]\npublic partial class Opt;", "OPTG069" },
        { "[Optimizer(UpdateRule.Lamb, ElementType = typeof(System.Half))]\n[MasterWeights]\n[StateStorage(StateStorage.BFloat16)]\npublic partial class Opt;", "OPTG069" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]\n[StochasticRounding(1)]\npublic partial class Opt;", "OPTG069" },
        { "[Optimizer(UpdateRule.Adam, ElementType = typeof(double))]\n[StateStorage(StateStorage.Float32)]\npublic partial class Opt;", "OPTG069" },
        { "[Optimizer(ElementType = typeof(BFloat16))]\n[StateStorage(StateStorage.Blockwise8Bit)]\npublic partial class Opt\n{\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, ref float expAvgSq, StepContext step)\n    {\n        expAvgSq = 0.99f * expAvgSq + 0.01f * gradient * gradient;\n        parameter -= (float)step.LearningRate * gradient / (System.MathF.Sqrt(expAvgSq) + 1e-8f);\n    }\n}", "OPTG017" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [BeforeStep]\n    static void Advance([InitialValue(1)] ref double total, StepContext step) { total += step.LearningRate; }\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, double total)\n    {\n        parameter -= (float)(1 / total) * gradient;\n    }\n}", "OPTG066" },
        { "[Optimizer]\npublic partial class Opt\n{\n    [BeforeStep]\n    static void Advance(ref double total) { total += 1; }\n\n    [ElementRule]\n    static void Update(ref float parameter, float gradient, double total)\n    {\n        parameter = System.MathF.Exp(System.MathF.Log(parameter)) - gradient * (float)total;\n    }\n}", "OPTG064" },
    };

    [Theory]
    [MemberData(nameof(Triggers))]
    public void Reports_diagnostic_at_offending_argument(string declaration, string id, string locatedText)
    {
        GeneratorRun run = GeneratorHarness.Run(Declare(declaration));
        Assert.Null(run.Exception);

        ImmutableArray<Diagnostic> matching = run.GeneratorDiagnostics.Where(d => d.Id == id).ToImmutableArray();
        Diagnostic diagnostic = Assert.Single(matching);
        DiagnosticSeverity expectedSeverity = s_warnings.Contains(id) ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;
        Assert.Equal(expectedSeverity, diagnostic.Severity);
        Assert.Equal(expectedSeverity, diagnostic.Descriptor.DefaultSeverity);
        Assert.Equal("OptGen", diagnostic.Descriptor.Category);
        Assert.False(string.IsNullOrWhiteSpace(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));

        // The span points at the offending argument, in the declaring file, with a consistent line span.
        Assert.Equal(locatedText, GeneratorHarness.LocatedText(diagnostic, run.InputCompilation));
        FileLinePositionSpan reported = diagnostic.Location.GetLineSpan();
        Assert.Equal("/src/File0.cs", reported.Path);
        SyntaxTree tree = run.InputCompilation.SyntaxTrees.Single();
        Assert.Equal(tree.GetLineSpan(diagnostic.Location.SourceSpan).Span, reported.Span);

        if (expectedSeverity == DiagnosticSeverity.Error)
        {
            // An invalid declaration is not generated at all (the user fixes the attribute, not generated code).
            Assert.Empty(run.GeneratedSources);
        }
        else
        {
            // A warning still generates the optimizer, and the generated code compiles.
            Assert.Single(run.GeneratedSources);
            Assert.Empty(run.OutputProblems.Where(d => !d.Id.StartsWith("OPTG", StringComparison.Ordinal)));
        }
    }

    [Theory]
    [MemberData(nameof(NearMisses))]
    public void Near_miss_is_accepted(string declaration, string id)
    {
        GeneratorRun run = GeneratorHarness.Run(Declare(declaration));
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == id);
        run.AssertClean();
        Assert.Single(run.GeneratedSources);
    }

    /// <summary>
    /// OneCycle's WarmupFraction outside (0, 1): reported at the argument and nothing generated. Not in
    /// <see cref="Triggers"/> because the generator reports OPTG037 twice here (see the skipped test below).
    /// </summary>
    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("-0.5")]
    public void OneCycle_warmup_fraction_outside_0_1_is_reported_at_the_argument(string fraction)
    {
        GeneratorRun run = GeneratorHarness.Run(Declare($"[Optimizer(UpdateRule.Adam)]\n[OneCycle(TotalSteps = 100, WarmupFraction = {fraction})]\npublic partial class Opt;"));
        Assert.NotEmpty(run.GeneratorDiagnostics);
        Assert.All(run.GeneratorDiagnostics, d =>
        {
            Assert.Equal("OPTG037", d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Equal("WarmupFraction = " + fraction, GeneratorHarness.LocatedText(d, run.InputCompilation));
        });
        Assert.Empty(run.GeneratedSources);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public void OneCycle_warmup_fraction_outside_0_1_is_reported_once(string fraction)
    {
        GeneratorRun run = GeneratorHarness.Run(Declare($"[Optimizer(UpdateRule.Adam)]\n[OneCycle(TotalSteps = 100, WarmupFraction = {fraction})]\npublic partial class Opt;"));
        Assert.Single(run.GeneratorDiagnostics);
    }

    [Fact]
    public void Invalid_warmup_steps_do_not_also_warn_about_the_fallback_length()
    {
        GeneratorRun run = GeneratorHarness.Run(Declare("[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 0)]\n[CosineDecay(TotalSteps = 3)]\npublic partial class Opt;"));
        Assert.Equal(["OPTG030"], run.GeneratorDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Invalid_learning_rate_is_not_also_reported_against_the_schedule_floor()
    {
        GeneratorRun run = GeneratorHarness.Run(Declare("[Optimizer(UpdateRule.Adam, LearningRate = -1)]\n[CosineDecay(TotalSteps = 3)]\npublic partial class Opt;"));
        Assert.Equal(["OPTG010"], run.GeneratorDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Schedule_problems_are_all_reported_and_block_generation()
    {
        GeneratorRun run = GeneratorHarness.Run(Declare(
            "[Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]\n[LinearWarmup(Steps = 0, StartFactor = 2)]\n[PolynomialDecay(TotalSteps = 10, Power = -1, EndLearningRate = 0.5)]\n[StepDecay(StepSize = 3)]\npublic partial class Opt;"));
        Assert.Equal(["OPTG030", "OPTG032", "OPTG033", "OPTG034", "OPTG037"], run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void Warmup_longer_than_the_decay_still_generates_code_that_compiles()
    {
        GeneratorRun run = GeneratorHarness.Run(Declare("[Optimizer(UpdateRule.Adam)]\n[LinearWarmup(Steps = 20)]\n[CosineDecay(TotalSteps = 10)]\npublic partial class Opt;"));
        Diagnostic warning = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("OPTG036", warning.Id);
        Assert.Contains("20", warning.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Contains("[CosineDecay]'s 10 steps", warning.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.OutputProblems.Where(d => !d.Id.StartsWith("OPTG", StringComparison.Ordinal)));
        Assert.Contains("k < 20", run.SingleSource, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_descriptor_has_a_trigger_and_a_near_miss()
    {
        var triggered = Triggers.Select(row => (string)row[1]).ToHashSet();
        var nearMissed = NearMisses.Select(row => (string)row[1]).ToHashSet();
        foreach (DiagnosticDescriptor descriptor in AllDescriptors)
        {
            if (descriptor.Id == DiagnosticDescriptors.InternalError.Id)
            {
                continue; // OPTG099 reports generator failures; no valid input triggers it.
            }

            Assert.Contains(descriptor.Id, triggered);
            Assert.Contains(descriptor.Id, nearMissed);
        }
    }

    [Fact]
    public void Descriptors_have_unique_ids_help_links_and_expected_severities()
    {
        Assert.Equal(AllDescriptors.Length, AllDescriptors.Select(d => d.Id).Distinct().Count());
        foreach (DiagnosticDescriptor descriptor in AllDescriptors)
        {
            Assert.Matches("^OPTG[0-9]{3}$", descriptor.Id);
            Assert.True(descriptor.IsEnabledByDefault);
            Assert.EndsWith("#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri, StringComparison.Ordinal);
            DiagnosticSeverity expected = s_warnings.Contains(descriptor.Id) ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;
            Assert.Equal(expected, descriptor.DefaultSeverity);
        }
    }

    [Fact]
    public void Every_descriptor_is_listed_in_the_analyzer_release_tracking_files()
    {
        string generatorDirectory = Path.Combine(Path.GetDirectoryName(Snapshot.Directory)!, "..", "..", "generator", "OptGen.Generator");
        string releases = File.ReadAllText(Path.Combine(generatorDirectory, "AnalyzerReleases.Shipped.md"))
            + File.ReadAllText(Path.Combine(generatorDirectory, "AnalyzerReleases.Unshipped.md"));
        foreach (DiagnosticDescriptor descriptor in AllDescriptors)
        {
            Assert.Contains(descriptor.Id, releases, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_descriptor_is_documented_in_the_README_table_with_its_severity()
    {
        string readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(Snapshot.Directory)!, "..", "..", "README.md"));
        foreach (DiagnosticDescriptor descriptor in AllDescriptors)
        {
            Assert.Contains($"| {descriptor.Id} | {descriptor.DefaultSeverity} |", readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_problem_of_a_declaration_is_reported_not_just_the_first()
    {
        GeneratorRun run = GeneratorHarness.Run(Declare(
            "[Optimizer(UpdateRule.Adam, LearningRate = -1, ElementType = typeof(int))]\n[Epsilon(0)]\n[Momentum(0.5)]\npublic partial class Opt;"));
        Assert.Equal(
            ["OPTG010", "OPTG012", "OPTG016", "OPTG017"],
            run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void Invalid_class_is_not_generated_but_valid_neighbours_are()
    {
        GeneratorRun run = GeneratorHarness.Run(
            Declare("[Optimizer(UpdateRule.Adam, LearningRate = -1)]\npublic partial class Broken;\n\n[Optimizer(UpdateRule.Sgd)]\npublic partial class SameFile;"),
            Declare("[Optimizer(UpdateRule.RMSprop)]\npublic partial class OtherFile;"),
            Declare("[Optimizer(UpdateRule.Sgd)]\npublic class NotPartial;"));

        Assert.Equal(["Demo.OtherFile.g.cs", "Demo.SameFile.g.cs"], run.HintNames.Order(StringComparer.Ordinal));
        Assert.Equal(["OPTG001", "OPTG010"], run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));

        // The only errors of the output are the user's: nothing generated refers to the broken classes.
        Assert.Empty(run.OutputProblems.Where(d => d.Location.SourceTree?.FilePath.StartsWith("/src/", StringComparison.Ordinal) != true));
    }

    [Fact]
    public void Warnings_are_reported_once_each_and_do_not_block_generation()
    {
        GeneratorRun run = GeneratorHarness.Run(Declare(
            "[Optimizer(UpdateRule.Adam)]\n[MomentDecay(First = 0.9, Second = 0.5)]\n[Epsilon(0.01)]\npublic partial class Opt;"));
        Assert.Equal(["OPTG020", "OPTG021"], run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Single(run.GeneratedSources);
        Assert.Empty(run.OutputProblems.Where(d => !d.Id.StartsWith("OPTG", StringComparison.Ordinal)));
    }

    [Fact]
    public void Diagnostic_in_second_file_points_into_that_file()
    {
        GeneratorRun run = GeneratorHarness.Run(
            Declare("[Optimizer(UpdateRule.Sgd)]\npublic partial class Fine;"),
            Declare("[Optimizer(UpdateRule.Sgd)]\n[Momentum(0.9)]\n[WeightDecay(-5)]\npublic partial class Bad;"));
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("/src/File1.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal("-5", GeneratorHarness.LocatedText(diagnostic, run.InputCompilation));
        Assert.Equal(6, diagnostic.Location.GetLineSpan().StartLinePosition.Line); // 0-based: the [WeightDecay] line.
    }

    internal static string Declare(string declaration) => $"using OptGen;\n\nnamespace Demo;\n\n{declaration}\n";
}
