using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Emit;
using OptGen.Generator.Model;

namespace OptGen.Generator.Rules;

/// <summary>How an option is written in its attribute.</summary>
internal enum OptionKind
{
    /// <summary>A <c>double</c>.</summary>
    Number,

    /// <summary>A <c>bool</c>, held as 0 or 1.</summary>
    Flag,

    /// <summary>A member of an enum (<see cref="Option.Choices"/>), held as its value.</summary>
    Choice,

    /// <summary>An <c>int</c>, held as its value.</summary>
    Integer,
}

/// <summary>
/// One hyperparameter a rule may accept: where it is written (an OptGen attribute's first constructor argument, or one
/// of its properties), what kind of constant it is, the values it may take, and how a checkpoint fingerprint records
/// it. Rules list the options they accept (<see cref="RuleDefinition"/>), each with the rule's default.
/// </summary>
internal sealed class Option
{
    private readonly Func<double, string> _fingerprint;

    public Option(string attribute, string? property, OptionKind kind, double defaultValue, Func<double, string> fingerprint, ValueRange? range = null, Type? choices = null)
    {
        Attribute = attribute;
        Property = property;
        Kind = kind;
        Default = defaultValue;
        Range = range;
        Choices = choices;
        _fingerprint = fingerprint;
        string shortName = ShortName(attribute);
        Key = property is null ? shortName : shortName + "." + property;

        // Options of [Optimizer] are its named arguments, which users know by their own names.
        DisplayName = attribute == nameof(Contracts.OptimizerAttribute) && property is not null ? property : Key;
    }

    /// <summary>The attribute class's name, e.g. <c>MomentDecayAttribute</c>.</summary>
    public string Attribute { get; }

    /// <summary>The property, e.g. <c>First</c>; null for the attribute's first constructor argument.</summary>
    public string? Property { get; }

    public OptionKind Kind { get; }

    /// <summary>The value when the option is not written; rules override it with <see cref="WithDefault"/>.</summary>
    public double Default { get; }

    /// <summary>The valid values, or null if any constant of the kind is valid.</summary>
    public ValueRange? Range { get; }

    /// <summary>The enum a <see cref="OptionKind.Choice"/> takes its members from.</summary>
    public Type? Choices { get; }

    /// <summary>Identifies the option: <c>Attribute</c> or <c>Attribute.Property</c>, attribute without its suffix.</summary>
    public string Key { get; }

    /// <summary>The name diagnostics use, as the user writes it: <c>MomentDecay.First</c>, <c>Epsilon</c>, <c>LearningRate</c>.</summary>
    public string DisplayName { get; }

    /// <summary>The same option with another default.</summary>
    public Option WithDefault(double value) => new(Attribute, Property, Kind, value, _fingerprint, Range, Choices);

    /// <summary>The option's part of a checkpoint fingerprint, e.g. <c> beta1=0.9</c>.</summary>
    public string Fingerprint(double value) => _fingerprint(value);

    /// <summary>The value as diagnostics show it.</summary>
    public string Show(double value) => Kind switch
    {
        OptionKind.Flag => value != 0 ? "true" : "false",
        OptionKind.Choice when Choices is not null => Choices.Name + "." + Enum.GetName(Choices, (int)value),
        OptionKind.Integer => Literal.Integer((int)value),
        _ => Literal.Double(value),
    };

    public static string ShortName(string attribute) =>
        attribute.EndsWith("Attribute", StringComparison.Ordinal) ? attribute.Substring(0, attribute.Length - "Attribute".Length) : attribute;

    public override string ToString() => Key;
}

/// <summary>The valid values of an option and the diagnostic for the others.</summary>
/// <param name="contains">True for a valid value.</param>
/// <param name="descriptor">Reported for an invalid value.</param>
/// <param name="arguments">The diagnostic's message arguments from the option's name and the value as shown.</param>
internal sealed class ValueRange(Func<double, bool> contains, DiagnosticDescriptor descriptor, Func<string, string, string[]> arguments)
{
    public static readonly ValueRange LearningRate = new(v => v > 0 && !double.IsInfinity(v), DiagnosticDescriptors.InvalidLearningRate, (_, shown) => [shown]);

    /// <summary>A decay or momentum factor: [0, 1).</summary>
    public static readonly ValueRange Decay = new(v => v >= 0 && v < 1, DiagnosticDescriptors.InvalidDecay, (name, shown) => [name, shown, "at least 0 and less than 1"]);

    /// <summary>A fraction: [0, 1].</summary>
    public static readonly ValueRange Fraction = new(v => v >= 0 && v <= 1, DiagnosticDescriptors.InvalidDecay, (name, shown) => [name, shown, "at least 0 and at most 1"]);

    public static readonly ValueRange NonNegative = new(v => v >= 0 && !double.IsInfinity(v), DiagnosticDescriptors.InvalidNonNegative, (name, shown) => [name, shown]);

    /// <summary>Epsilon: finite and above 0; a warning above 1e-3, where it dominates the denominator.</summary>
    public static readonly ValueRange Epsilon = new(v => v > 0 && !double.IsInfinity(v), DiagnosticDescriptors.InvalidEpsilon, (_, shown) => [shown])
    {
        Warning = (v => v > 1e-3, DiagnosticDescriptors.LargeEpsilon),
    };

    public DiagnosticDescriptor Descriptor { get; } = descriptor;

    /// <summary>Valid values that still deserve a warning, and the warning.</summary>
    public (Func<double, bool> Applies, DiagnosticDescriptor Descriptor)? Warning { get; init; }

    public bool Contains(double value) => contains(value);

    public string[] Arguments(string name, string shown) => arguments(name, shown);
}

/// <summary>How options appear in a checkpoint fingerprint.</summary>
internal static class Fingerprints
{
    public static Func<double, string> Number(string key) => v => " " + key + "=" + Literal.Double(v);

    public static Func<double, string> Integer(string key) => v => " " + key + "=" + Literal.Integer((int)v);

    public static Func<double, string> Flag(string key) => v => " " + key + "=" + (v != 0 ? "true" : "false");

    /// <summary>Appended to the option before it: <paramref name="texts"/>[value].</summary>
    public static Func<double, string> Suffix(params string[] texts) => v => texts[(int)v];
}

/// <summary>One option's value, by <see cref="Option.Key"/>.</summary>
internal sealed record OptionValue(string Key, double Value);

/// <summary>
/// The values of every option an optimizer has, in fingerprint order: value-equatable, so it caches in the pipeline.
/// Rules read them by option: <c>values[Options.Beta1]</c>.
/// </summary>
internal sealed record OptionValues(EquatableArray<OptionValue> Values)
{
    /// <exception cref="ArgumentException">The optimizer has no such option: its rule does not declare it.</exception>
    public double this[Option option] =>
        Values.FirstOrDefault(v => v.Key == option.Key)?.Value
        ?? throw new ArgumentException($"The rule has no option {option.Key}.", nameof(option));

    public bool IsSet(Option option) => this[option] != 0;

    public bool Contains(Option option) => Values.Any(v => v.Key == option.Key);

    public OptionValues With(Option option, double value) =>
        new(Values.Select(v => v.Key == option.Key ? v with { Value = value } : v).ToEquatableArray());
}

/// <summary>Where a rule's cross-option checks report: at the option as the user wrote it (or its attribute, or the class).</summary>
internal interface IOptionReporter
{
    void Report(DiagnosticDescriptor descriptor, Option at, params string[] arguments);
}
