using System.Linq;
namespace OptGen.Generator.Model;

/// <summary>The element type of a generated optimizer.</summary>
internal enum ElementKind
{
    Single,
    Double,
}

/// <summary>How a mixed-precision optimizer's parameters are stored.</summary>
internal enum ParameterKind
{
    Single,
    Half,
    BFloat16,
}

/// <summary>
/// Half or BFloat16 parameters, compact state, master weights or stochastic rounding: the update computes in float on
/// values widened from their stored form.
/// </summary>
internal sealed record MixedPrecisionSpec(ParameterKind Parameters, Contracts.StateStorage Storage, bool MasterWeights, bool StochasticRounding, long Seed)
{
    /// <summary>The parameters' C# type, global::-qualified.</summary>
    public string ParameterType => Parameters switch
    {
        ParameterKind.Half => "global::System.Half",
        ParameterKind.BFloat16 => "global::OptGen.BFloat16",
        _ => "float",
    };
}

/// <summary>One containing type of the optimizer class, outermost first, as it must be re-declared.</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>Everything the emitter needs about one <c>[Optimizer]</c> class: no symbols, nodes or locations.</summary>
/// <param name="Rule">The preset, or null for the class's own <c>[ElementRule]</c> method.</param>
/// <param name="CustomRule">For an <c>[ElementRule]</c> rule: its identity (a hash of its translated program), so a checkpoint of one rule does not load into another.</param>
/// <param name="ClipGradientNorm">The <c>[ClipGradientNorm]</c> maximum norm; 0 if none.</param>
/// <param name="WeightDecayExclude">The <c>[WeightDecay(Exclude = …)]</c> patterns; empty if none.</param>
/// <param name="Mixed">The storage of a mixed-precision optimizer (Element is then Single); null when parameters and state are of the element type.</param>
internal sealed record OptimizerSpec(
    string? Namespace,
    string ClassName,
    EquatableArray<ContainingType> ContainingTypes,
    ElementKind Element,
    Contracts.UpdateRule? Rule,
    Rules.OptionValues Options,
    ScheduleSpec Schedule,
    bool SkipNonFiniteSteps,
    string? CustomRule = null,
    double ClipGradientNorm = 0,
    EquatableArray<string> WeightDecayExclude = default,
    MixedPrecisionSpec? Mixed = null)
{
    /// <summary>The type's full name as the compiler sees it: namespace, containing types (with arity) and class, no '@'.</summary>
    public string FullName
    {
        get
        {
            var name = new System.Text.StringBuilder();
            if (Namespace is not null)
            {
                name.Append(Namespace).Append('.');
            }

            // Nested types are joined with '+' and generic ones carry their arity, as in metadata names, so that
            // namespace A { class B } and class A { class B } (or Outer<T> and Outer_T_) differ.
            foreach (ContainingType type in ContainingTypes)
            {
                int generic = type.Name.IndexOf('<');
                name.Append(generic < 0 ? type.Name : type.Name.Substring(0, generic) + "`" + type.Name.Split(',').Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('+');
            }

            return name.Append(ClassName).Replace("@", string.Empty).ToString();
        }
    }

    /// <summary>
    /// File-name-safe hint for the generated source: <see cref="FullName"/> with anything outside letters, digits and
    /// <c>._+`</c> replaced by '_'. Two names can map to the same hint (Opt and OPT, since hints compare case-insensitively;
    /// Opt‿ and Opt_): then <see cref="UniqueHintName"/> is used.
    /// </summary>
    public string HintName => Sanitize(FullName) + ".g.cs";

    /// <summary>The hint with a hash of the exact <see cref="FullName"/>, for names whose <see cref="HintName"/> is shared.</summary>
    public string UniqueHintName => Sanitize(FullName) + "." + Fnv1a(FullName).ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + ".g.cs";

    private static string Sanitize(string name)
    {
        var hint = new System.Text.StringBuilder(name.Length);
        foreach (char c in name)
        {
            hint.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '+' or '`' ? c : '_');
        }

        return hint.ToString();
    }

    /// <summary>FNV-1a over UTF-16 code units: stable across processes and platforms, unlike string.GetHashCode.</summary>
    private static uint Fnv1a(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = unchecked((hash ^ c) * 16777619);
        }

        return hash;
    }
}

/// <summary>
/// Hint names shared by different optimizers, found over all of them; usually empty, so it stays equal across edits
/// and does not invalidate cached output.
/// </summary>
internal sealed record HintNameConflicts(EquatableArray<string> SharedHints, EquatableArray<string> DuplicateNames)
{
    public static HintNameConflicts Find(System.Collections.Immutable.ImmutableArray<OptimizerSpec> specs)
    {
        var shared = specs.GroupBy(s => s.HintName, System.StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Select(s => s.FullName).Distinct(System.StringComparer.Ordinal).Count() > 1)
            .Select(g => g.Key.ToUpperInvariant())
            .OrderBy(h => h, System.StringComparer.Ordinal);
        var duplicates = specs.GroupBy(s => s.FullName, System.StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => g.Key)
            .OrderBy(h => h, System.StringComparer.Ordinal);
        return new HintNameConflicts(shared.ToEquatableArray(), duplicates.ToEquatableArray());
    }

    /// <summary>The hint to add <paramref name="spec"/>'s source under, or null if its name is declared twice (the compiler reports that).</summary>
    public string? HintFor(OptimizerSpec spec) =>
        DuplicateNames.Contains(spec.FullName) ? null
        : SharedHints.Contains(spec.HintName.ToUpperInvariant()) ? spec.UniqueHintName
        : spec.HintName;
}
