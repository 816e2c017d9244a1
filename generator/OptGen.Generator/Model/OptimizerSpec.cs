namespace OptGen.Generator.Model;

/// <summary>Mirror of <c>OptGen.UpdateRule</c> (same values): the generator cannot reference the runtime library.</summary>
internal enum UpdateRule
{
    Sgd = 0,
    AdaGrad = 1,
    RMSprop = 2,
    Adam = 3,
    AdamW = 4,
}

/// <summary>Mirror of <c>OptGen.EpsilonPlacement</c>.</summary>
internal enum EpsilonPlacement
{
    OutsideSquareRoot = 0,
    InsideSquareRoot = 1,
}

/// <summary>The element type of a generated optimizer.</summary>
internal enum ElementKind
{
    Single,
    Double,
}

/// <summary>Every hyperparameter of a declared optimizer, PyTorch defaults filled in.</summary>
internal sealed record Hyperparameters(
    UpdateRule Rule,
    double LearningRate,
    double Beta1,
    double Beta2,
    double Epsilon,
    EpsilonPlacement EpsilonPlacement,
    bool BiasCorrection,
    double WeightDecay,
    bool DecoupledWeightDecay,
    double Momentum,
    double Dampening,
    bool Nesterov,
    bool AmsGrad,
    bool Centered,
    double LearningRateDecay,
    double InitialAccumulator,
    bool Maximize)
{
    /// <summary>PyTorch 1.13's defaults for <paramref name="rule"/>.</summary>
    public static Hyperparameters Defaults(UpdateRule rule) => new(
        Rule: rule,
        LearningRate: rule is UpdateRule.AdaGrad or UpdateRule.RMSprop ? 1e-2 : 1e-3,
        Beta1: 0.9,
        Beta2: rule == UpdateRule.RMSprop ? 0.99 : 0.999,
        Epsilon: rule == UpdateRule.AdaGrad ? 1e-10 : 1e-8,
        EpsilonPlacement: EpsilonPlacement.OutsideSquareRoot,
        BiasCorrection: true,
        WeightDecay: rule == UpdateRule.AdamW ? 0.01 : 0,
        DecoupledWeightDecay: rule == UpdateRule.AdamW,
        Momentum: 0,
        Dampening: 0,
        Nesterov: false,
        AmsGrad: false,
        Centered: false,
        LearningRateDecay: 0,
        InitialAccumulator: 0,
        Maximize: false);
}

/// <summary>One containing type of the optimizer class, outermost first, as it must be re-declared.</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>Everything the emitter needs about one <c>[Optimizer]</c> class: no symbols, nodes or locations.</summary>
internal sealed record OptimizerSpec(
    string? Namespace,
    string ClassName,
    EquatableArray<ContainingType> ContainingTypes,
    ElementKind Element,
    Hyperparameters Hyperparameters,
    ScheduleSpec Schedule,
    bool SkipNonFiniteSteps)
{
    /// <summary>Unique, file-name-safe hint for the generated source: letters, digits, '_' and '.' only.</summary>
    public string HintName
    {
        get
        {
            var name = new System.Text.StringBuilder();
            if (Namespace is not null)
            {
                name.Append(Namespace).Append('.');
            }

            // Nested types are joined with '+' and generic ones carry their arity, as in metadata names, so that
            // namespace A { class B } and class A { class B } (or Outer<T> and Outer_T_) get distinct hints.
            foreach (ContainingType type in ContainingTypes)
            {
                int generic = type.Name.IndexOf('<');
                name.Append(generic < 0 ? type.Name : type.Name.Substring(0, generic) + "`" + (type.Name.Split(',').Length).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('+');
            }

            name.Append(ClassName);
            var hint = new System.Text.StringBuilder(name.Length + 5);
            foreach (char c in name.ToString())
            {
                // '@' only escapes keywords; anything else outside letters, digits and ._+` becomes '_'.
                if (c != '@')
                {
                    hint.Append(char.IsLetterOrDigit(c) || c is '.' or '_' or '+' or '`' ? c : '_');
                }
            }

            return hint.Append(".g.cs").ToString();
        }
    }
}
