using Microsoft.CodeAnalysis;

namespace OptGen.Generator.Diagnostics;

/// <summary>Every diagnostic OptGen reports, in one place. IDs are stable; each is tracked in AnalyzerReleases.*.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "OptGen";

    public static readonly DiagnosticDescriptor ClassMustBePartial = Error(
        "OPTG001",
        "Optimizer class must be partial",
        "Class '{0}' must be declared 'partial' so OptGen can generate its Step method: add the 'partial' modifier");

    public static readonly DiagnosticDescriptor ContainingTypeMustBePartial = Error(
        "OPTG002",
        "Containing type must be partial",
        "Type '{0}' contains optimizer '{1}' and must be declared 'partial' too: add the 'partial' modifier");

    public static readonly DiagnosticDescriptor UnsupportedClassShape = Error(
        "OPTG003",
        "Optimizer class shape not supported",
        "Optimizer '{0}' cannot be {1}: declare it as a non-generic, non-static, non-abstract partial class");

    public static readonly DiagnosticDescriptor DuplicateOptimizerAttribute = Error(
        "OPTG004",
        "More than one [Optimizer] attribute",
        "Class '{0}' has {1} [Optimizer] attributes: one class declares one update rule; keep one, or declare another class for the other rule");

    public static readonly DiagnosticDescriptor MemberNameCollision = Error(
        "OPTG005",
        "Member name collides with a generated member",
        "'{0}' collides with {1}, which OptGen generates: {2}");

    public static readonly DiagnosticDescriptor InvalidLearningRate = Error(
        "OPTG010",
        "Invalid learning rate",
        "Learning rate {0} is invalid: it must be finite and greater than 0 (e.g. 1e-3)");

    public static readonly DiagnosticDescriptor InvalidDecay = Error(
        "OPTG011",
        "Decay outside [0, 1)",
        "{0} is {1}, but must be {2} (e.g. 0.9)");

    public static readonly DiagnosticDescriptor InvalidEpsilon = Error(
        "OPTG012",
        "Invalid epsilon",
        "Epsilon {0} is invalid: it must be finite and greater than 0 (e.g. 1e-8)");

    public static readonly DiagnosticDescriptor InvalidNonNegative = Error(
        "OPTG013",
        "Value must be finite and non-negative",
        "{0} is {1}, but must be finite and at least 0");

    public static readonly DiagnosticDescriptor InvalidNesterov = Error(
        "OPTG015",
        "Nesterov momentum needs momentum and no dampening",
        "Nesterov momentum requires momentum greater than 0 and zero dampening (as PyTorch): set the momentum, or remove Dampening or Nesterov");

    public static readonly DiagnosticDescriptor NotApplicable = Error(
        "OPTG016",
        "Option does not apply to this update rule",
        "{0} does not apply to {1}: {2}");

    public static readonly DiagnosticDescriptor UnsupportedElementType = Error(
        "OPTG017",
        "Unsupported element type",
        "Element type '{0}' is not supported: use typeof(float), typeof(double), typeof(Half) or typeof(OptGen.BFloat16)");

    public static readonly DiagnosticDescriptor UnreadableArgument = Error(
        "OPTG018",
        "Attribute argument is not a valid constant",
        "The argument of {0} is not a valid compile-time constant: use a literal, a constant or a defined enum member");

    public static readonly DiagnosticDescriptor SecondDecayBelowFirst = Warning(
        "OPTG020",
        "Second-moment decay below first-moment decay",
        "MomentDecay.Second ({0}) is below MomentDecay.First ({1}); Adam is usually stable only with β₂ ≥ β₁ (e.g. 0.9 and 0.999)");

    public static readonly DiagnosticDescriptor LargeEpsilon = Warning(
        "OPTG021",
        "Unusually large epsilon",
        "Epsilon {0} is above 1e-3 and will dominate the denominator; typical values are 1e-8 to 1e-6");

    public static readonly DiagnosticDescriptor InvalidStepCount = Error(
        "OPTG030",
        "Schedule step count too small",
        "{0} is {1}, but must be at least {2}");

    public static readonly DiagnosticDescriptor InvalidGamma = Error(
        "OPTG031",
        "Schedule gamma outside (0, 1]",
        "{0} is {1}, but must be {2}: the factor the learning rate is multiplied by at each decay (e.g. 0.1)");

    public static readonly DiagnosticDescriptor InvalidPower = Error(
        "OPTG032",
        "Negative polynomial power",
        "{0} is {1}, but must be {2} (1 decays linearly)");

    public static readonly DiagnosticDescriptor RateAboveBase = Error(
        "OPTG033",
        "Schedule rate above the base learning rate",
        "{0} is {1}, above the base learning rate {2}: a decay ends below where it starts; lower it or raise LearningRate");

    public static readonly DiagnosticDescriptor TwoDecaySchedules = Error(
        "OPTG034",
        "More than one decay schedule",
        "[{0}] cannot be combined with [{1}]: keep one decay schedule (a [LinearWarmup] may precede it)");

    public static readonly DiagnosticDescriptor InvalidMilestones = Error(
        "OPTG035",
        "Invalid milestones",
        "Milestones {{{0}}} are invalid: give at least one, each at least 1, in strictly increasing order");

    public static readonly DiagnosticDescriptor WarmupLongerThanDecay = Warning(
        "OPTG036",
        "Warm-up longer than the decay",
        "The warm-up of {0} steps is longer than [{2}]'s {1} steps; the decay starts after the warm-up and counts its steps from there. Shorten the warm-up or lengthen the decay.");

    public static readonly DiagnosticDescriptor InvalidScheduleValue = Error(
        "OPTG037",
        "Invalid schedule argument",
        "{0} is {1}, but must be {2}");

    public static readonly DiagnosticDescriptor MissingScheduleValue = Error(
        "OPTG038",
        "Missing schedule argument",
        "[{0}] needs {1}: set it, e.g. [{0}({1} = ...)]");

    public static readonly DiagnosticDescriptor PlateauWithWarmup = Error(
        "OPTG039",
        "Warm-up cannot precede a plateau schedule",
        "[LinearWarmup] cannot be combined with [ReduceOnPlateau], whose rate is driven by reported metrics: remove one of them");

    public static readonly DiagnosticDescriptor OptionOutOfRange = Error(
        "OPTG045",
        "Option value out of range",
        "{0} is {1}, but must be {2}");

    public static readonly DiagnosticDescriptor ScheduleFreeNeedsFirstDecay = Error(
        "OPTG050",
        "Schedule-Free needs a first-moment decay above 0",
        "MomentDecay.First is {0}, but Schedule-Free AdamW needs it above 0: the point to evaluate, x = y + (1 − 1/β₁)·(z − y), is undefined at 0 (e.g. 0.9)");

    public static readonly DiagnosticDescriptor ElementRuleMissing = Error(
        "OPTG060",
        "[Optimizer] without a rule needs an [ElementRule] method",
        "Class '{0}' has [Optimizer] without an update rule: name a preset, e.g. [Optimizer(UpdateRule.Adam)], or add one 'static void' method marked [ElementRule]");

    public static readonly DiagnosticDescriptor DuplicateElementRule = Error(
        "OPTG061",
        "More than one [ElementRule] method",
        "Class '{0}' has {1} [ElementRule] methods: one class declares one update rule; keep one, or declare another class for the other rule");

    public static readonly DiagnosticDescriptor ElementRuleWithPreset = Error(
        "OPTG062",
        "[ElementRule] method in a class with a preset rule",
        "Class '{0}' names {1} and has the [ElementRule] method '{2}': remove the rule from [Optimizer] to use the method, or remove [ElementRule]");

    public static readonly DiagnosticDescriptor InvalidElementRuleSignature = Error(
        "OPTG063",
        "Invalid [ElementRule] signature",
        "[ElementRule] method '{0}': {1}; the signature is 'static void {0}(ref T parameter, T gradient, ref T state1, ..., ref T stateN, S perStep1, ..., StepContext step)' with T float or double, at most 4 states, per-step states (S float or double) read from a [BeforeStep] method, the StepContext optional");

    public static readonly DiagnosticDescriptor InvalidBeforeStep = Error(
        "OPTG066",
        "Invalid [BeforeStep] method",
        "[BeforeStep] method '{0}': {1}; the signature is 'static void {0}(ref S state1, ..., ref S stateN, StepContext step)' with S float or double, the StepContext optional, in a class with an [ElementRule] method");

    public static readonly DiagnosticDescriptor InvalidClipGradientNorm = Error(
        "OPTG067",
        "Invalid gradient clipping norm",
        "[ClipGradientNorm] maximum norm is {0}, but must be greater than 0; use double.PositiveInfinity to measure the norm without clipping");

    public static readonly DiagnosticDescriptor InvalidExcludePattern = Error(
        "OPTG068",
        "Invalid weight decay exclude pattern",
        "Exclude pattern {0} {1}; a pattern is a tensor name in which '*' matches any run of characters, e.g. \"*.bias\"");

    public static readonly DiagnosticDescriptor InvalidPrecisionCombination = Error(
        "OPTG069",
        "Invalid precision combination",
        "{0} {1}: {2}");

    public static readonly DiagnosticDescriptor UnsupportedInElementRule = Error(
        "OPTG064",
        "Construct not supported in an [ElementRule] method",
        "{0} is not supported in an [ElementRule] method: {1}");

    public static readonly DiagnosticDescriptor ElementComputedInOtherType = Error(
        "OPTG065",
        "Element value computed in another precision",
        "'{0}' computes an element value in {1}, but the rule's elements are {2}: the vector step computes every element value in {2}; write {2} literals (e.g. 0.9f) or cast the per-step part, e.g. ({2})step.LearningRate");

    public static readonly DiagnosticDescriptor InternalError = Error(
        "OPTG099",
        "OptGen could not generate this optimizer",
        "OptGen failed on '{0}': {1}. Please report this with the declaration.");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static string HelpLink(string id) => "https://github.com/optgen/optgen#" + id.ToLowerInvariant();
}
