using System;
using System.Collections.Generic;
using System.Linq;
using OptGen.Generator.Contracts;
using OptGen.Generator.Ir;
using OptGen.Generator.Model;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Rules;

/// <summary>
/// Everything about one preset in one place: the options it accepts with its defaults, its cross-option checks, its
/// title and its lowering to the IR. The parser, the fingerprint, the diagnostics and the emitter read rules only
/// through this, so a new preset is a new definition (one file) and the runtime's enum member.
/// </summary>
internal abstract class RuleDefinition
{
    private readonly Option[] _accepts;

    /// <param name="rule">The runtime's enum member this definition implements.</param>
    /// <param name="accepts">The options the rule accepts, with its defaults where they differ from the options' own.</param>
    protected RuleDefinition(UpdateRule? rule, params Option[] accepts)
    {
        Rule = rule;
        _accepts = accepts;
    }

    /// <summary>The preset; null for a class's own <c>[ElementRule]</c> rule.</summary>
    public UpdateRule? Rule { get; }

    /// <summary>How diagnostics name the rule: <c>UpdateRule.Adam</c>, or <c>an [ElementRule] rule</c>.</summary>
    public string DisplayName => Rule is { } rule ? nameof(UpdateRule) + "." + rule : "an [ElementRule] rule";

    /// <summary>The options the rule accepts, with its defaults.</summary>
    public IReadOnlyList<Option> Accepts => _accepts;

    /// <summary>The option of <paramref name="attribute"/> at <paramref name="property"/> (null: its first constructor argument), if the rule accepts it.</summary>
    public Option? Find(string attribute, string? property) =>
        _accepts.FirstOrDefault(o => o.Attribute == attribute && o.Property == property);

    /// <summary>Whether the rule accepts any option written with <paramref name="attribute"/>.</summary>
    public bool AcceptsAttribute(string attribute) => _accepts.Any(o => o.Attribute == attribute);

    /// <summary>
    /// The values before any attribute is read: the options every fingerprint lists (this rule's default where it
    /// accepts them), then the rule's own options in declaration order.
    /// </summary>
    public OptionValues Defaults()
    {
        var values = new List<OptionValue>();
        foreach (Option option in Options.InEveryFingerprint)
        {
            values.Add(new OptionValue(option.Key, (Find(option.Attribute, option.Property) ?? option).Default));
        }

        foreach (Option option in _accepts.Where(o => !Options.InEveryFingerprint.Any(f => f.Key == o.Key)))
        {
            values.Add(new OptionValue(option.Key, option.Default));
        }

        return new OptionValues(values.ToEquatableArray());
    }

    /// <summary>The option behind <paramref name="key"/>, for printing a fingerprint.</summary>
    public Option OptionFor(string key) =>
        _accepts.FirstOrDefault(o => o.Key == key) ?? Options.InEveryFingerprint.First(o => o.Key == key);

    /// <summary>Why <paramref name="option"/> does not apply, when the generic reason (the rules it applies to) says too little; else null.</summary>
    public virtual string? WhyNotApplicable(Option option) => null;

    /// <summary>Checks between options, after all are read.</summary>
    public virtual void Validate(OptionValues values, IOptionReporter report)
    {
    }

    /// <summary>
    /// Members the rule adds to its optimizer class beyond the ones every optimizer has (Schedule-Free's evaluation
    /// point). Each should be a one-line forwarder into the runtime library, where the machinery is ordinary, tested C#.
    /// </summary>
    public virtual IReadOnlyList<RuleMember> Members(OptionValues values) => Array.Empty<RuleMember>();

    /// <summary>Whose order of operations the lowering follows, for the generated header.</summary>
    public virtual string Reference => "PyTorch 1.13's torch.optim";

    /// <summary>The rule's name in documentation, e.g. <c>SGD with momentum</c>.</summary>
    public abstract string Title(OptionValues values);

    /// <summary>
    /// The rule as an IR program. By default: the learning rate, the gradient (negated under <c>Maximize</c>), weight
    /// decay as the rule's options say, then <see cref="Update"/>, and the new parameter stored. Rules whose order
    /// differs override this.
    /// </summary>
    /// <param name="values">The optimizer's options.</param>
    /// <param name="weightDecayByTensor">Whether weight decay applies per part of the step (<c>[WeightDecay(Exclude = …)]</c>):
    /// where the input <see cref="Expr.WeightDecayInput"/> is 0 the step computes exactly what it would without weight decay.</param>
    public virtual RuleProgram Lower(OptionValues values, bool weightDecayByTensor = false)
    {
        var rule = new RuleBuilder();
        Expr one = RuleBuilder.Constant("one", 1);
        Expr learningRate = LearningRate(rule, values);
        Expr gradient = rule.Let("g", Gradient(values));
        Expr parameter = rule.Let("p", Expr.Load(RuleProgram.ParametersStream));
        if (values.Contains(Options.WeightDecay) && values[Options.WeightDecay] != 0)
        {
            if (values.IsSet(Options.DecoupledWeightDecay))
            {
                // AdamW: p ← p·(1 − lr·λ), before the rule's own update; an excluded tensor's factor is 1 (p·1 = p).
                Expr factor = one - (learningRate * RuleBuilder.Constant("weightDecay", values[Options.WeightDecay]));
                Expr decay = rule.Scalar("weightDecayFactor", weightDecayByTensor ? Expr.Select(Expr.NotEqual(Expr.Input(Expr.WeightDecayInput), Constant("zero", 0)), factor, one) : factor);
                parameter = rule.Let("p", parameter * decay);
            }
            else
            {
                // L2: g ← g + λ·p
                gradient = rule.Let("g", WhereWeightDecays(rule, weightDecayByTensor, Expr.MultiplyAdd(parameter, RuleBuilder.Constant("weightDecay", values[Options.WeightDecay]), gradient), gradient));
            }
        }

        parameter = Update(rule, values, gradient, parameter, learningRate);
        rule.Store(RuleProgram.ParametersStream, rule.Let("p", parameter));
        return rule.Build(Title(values));
    }

    /// <summary>
    /// <paramref name="decayed"/> where the part of the step applies weight decay, <paramref name="plain"/> where its
    /// tensors are excluded: a per-element select on the per-step input, so an excluded tensor gets exactly the bits it
    /// would get without weight decay (g + 0·p would turn −0 into +0 and ∞ into NaN).
    /// </summary>
    protected static Expr WhereWeightDecays(RuleBuilder rule, bool weightDecayByTensor, Expr decayed, Expr plain) =>
        weightDecayByTensor
            ? Expr.Select(Expr.NotEqual(rule.Scalar("decayThisTensor", Expr.Input(Expr.WeightDecayInput)), Constant("zero", 0)), decayed, plain)
            : decayed;

    /// <summary>The gradient as the rule reads it: negated under <c>Maximize</c>, as torch.optim's <c>maximize</c>.</summary>
    protected static Expr Gradient(OptionValues values) =>
        values.IsSet(Options.Maximize) ? -Expr.Load(RuleProgram.GradientsStream) : Expr.Load(RuleProgram.GradientsStream);

    /// <summary>
    /// Optax's <c>scale_by_trust_ratio</c> for the tensor of a two-pass rule's second pass, per step in double:
    /// coefficient·‖p‖/(‖r‖ + ε), or 1 where either norm is 0.
    /// </summary>
    protected static Expr TrustRatio(RuleBuilder rule, Expr coefficient, Expr one, double epsilon = 0)
    {
        Expr zero = Constant("zero", 0);
        Expr parameterNorm = Expr.Input(Expr.ParameterNormInput);
        Expr updateNorm = Expr.Input(Expr.UpdateNormInput);
        Expr ratio = coefficient * parameterNorm / (epsilon == 0 ? updateNorm : updateNorm + Constant("trustEpsilon", epsilon));
        return rule.Scalar("trustRatio", Expr.Select(Expr.Equal(parameterNorm, zero), one, Expr.Select(Expr.Equal(updateNorm, zero), one, ratio)));
    }

    /// <summary>The learning rate the update uses: the scheduled rate, or a per-step scalar derived from it.</summary>
    protected virtual Expr LearningRate(RuleBuilder rule, OptionValues values) => RuleBuilder.LearningRate;

    /// <summary>The new parameter, from the (weight-decayed) gradient and parameter; declares and stores the rule's state.</summary>
    protected abstract Expr Update(RuleBuilder rule, OptionValues values, Expr gradient, Expr parameter, Expr learningRate);

    /// <summary>
    /// For a rule whose weight decay has one mode only: OPTG016 at <c>Decoupled</c> when it was set to the other one,
    /// with <paramref name="why"/> as the reason.
    /// </summary>
    protected void RequireWeightDecayMode(OptionValues values, IOptionReporter report, bool decoupled, string why)
    {
        if (values.IsSet(Options.DecoupledWeightDecay) != decoupled)
        {
            report.Report(
                Diagnostics.DiagnosticDescriptors.NotApplicable,
                Options.DecoupledWeightDecay,
                decoupled ? "Decoupled = false" : "Decoupled = true",
                DisplayName,
                why);
        }
    }

    /// <summary>The Adam family's warning (OPTG020): β₂ below β₁ is usually unstable.</summary>
    protected static void WarnIfSecondDecayBelowFirst(OptionValues values, IOptionReporter report)
    {
        if (values[Options.Beta2] < values[Options.Beta1])
        {
            report.Report(Diagnostics.DiagnosticDescriptors.SecondDecayBelowFirst, Options.Beta2, Options.Beta2.Show(values[Options.Beta2]), Options.Beta1.Show(values[Options.Beta1]));
        }
    }

        /// <summary>√x + ε or √(x + ε), as the Epsilon option places it.</summary>
    protected static Expr RootPlusEpsilon(OptionValues values, Expr x)
    {
        Expr epsilon = RuleBuilder.Constant("epsilon", values[Options.Epsilon]);
        return values[Options.EpsilonPlacement] == (int)EpsilonPlacement.OutsideSquareRoot
            ? Expr.SquareRoot(x) + epsilon
            : Expr.SquareRoot(x + epsilon);
    }
}

/// <summary>A member a rule adds to its optimizer class (<see cref="RuleDefinition.Members"/>).</summary>
/// <param name="Name">The member's name, which a user member may not take.</param>
/// <param name="Description">What it is, for the collision diagnostic: e.g. <c>the generated evaluation point method</c>.</param>
/// <param name="Interface">An interface of the runtime library the member implements, fully qualified with <c>{T}</c> for the element type; null if none.</param>
/// <param name="Lines">Its documentation and declaration, one line each, with <c>{T}</c> for the element type and every framework name fully qualified.</param>
internal sealed record RuleMember(string Name, string Description, string? Interface, EquatableArray<string> Lines)
{
    /// <summary><see cref="Lines"/> for element type <paramref name="elementType"/>.</summary>
    public IEnumerable<string> LinesFor(string elementType) => Lines.Select(line => line.Replace("{T}", elementType));
}

/// <summary>
/// Every preset's definition. Each rule's file adds itself with a field initialised by <see cref="Register"/>, so adding
/// a preset does not touch a list here.
/// </summary>
internal static partial class RuleCatalog
{
    // No initializer: the other parts' field initializers may run before one written here would.
    private static List<RuleDefinition>? s_all;

    /// <summary>The definitions, in the order of the runtime's enum.</summary>
    public static IReadOnlyList<RuleDefinition> All => s_all!.OrderBy(d => d.Rule).ToList();

    /// <summary>The definition of <paramref name="rule"/>, or null if none (a value the enum does not define).</summary>
    public static RuleDefinition? For(UpdateRule rule) => s_all!.FirstOrDefault(d => d.Rule == rule);

    /// <summary>The definition <paramref name="spec"/> was parsed with: its preset's, or the one every <c>[ElementRule]</c> rule shares for its options.</summary>
    public static RuleDefinition? For(Model.OptimizerSpec spec) => spec.Rule is { } rule ? For(rule) : CustomRule.Shared;

    /// <summary>Whether some rule accepts an option written with <paramref name="attribute"/>.</summary>
    public static bool IsOptionAttribute(string attribute) => s_all!.Any(d => d.AcceptsAttribute(attribute));

    /// <summary>The rules for which <paramref name="accepts"/> holds, as diagnostics list them: "UpdateRule.Adam and UpdateRule.AdamW".</summary>
    public static string RulesAccepting(Func<RuleDefinition, bool> accepts)
    {
        string[] names = All.Where(accepts).Select(d => d.DisplayName).ToArray();
        return names.Length switch
        {
            0 => "no rule",
            1 => names[0],
            _ => string.Join(", ", names.Take(names.Length - 1)) + " and " + names[names.Length - 1],
        };
    }

    /// <summary>The option written at <paramref name="attribute"/>'s <paramref name="property"/> as some rule accepts it, or null if none does.</summary>
    public static Option? Known(string attribute, string? property) =>
        s_all!.Select(d => d.Find(attribute, property)).FirstOrDefault(o => o is not null);

    private static RuleDefinition Register(RuleDefinition definition)
    {
        (s_all ??= new List<RuleDefinition>()).Add(definition);
        return definition;
    }
}
