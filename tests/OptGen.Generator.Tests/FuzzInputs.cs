using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace OptGen.Generator.Tests;

/// <summary>One fuzz input: a whole source file, and the random choices that shaped it (to tell failures apart).</summary>
/// <param name="Index">Position in the seeded sequence; every top-level name in <see cref="Source"/> carries it.</param>
/// <param name="Source">The C# file.</param>
/// <param name="Features">The non-default choices, comma-separated.</param>
internal sealed record FuzzInput(int Index, string Source, string Features)
{
    public string Path => "/fuzz/Input" + Index.ToString(CultureInfo.InvariantCulture) + ".cs";
}

/// <summary>
/// Seeded random <c>[Optimizer]</c> declarations for <see cref="FuzzTests"/>: mostly valid ones with random options and
/// schedules, boundary and ill-typed argument values, malformed attributes, and unusual or broken surroundings.
/// </summary>
/// <remarks>
/// Every top-level type and namespace name contains the input's index, so several inputs can share one compilation
/// (as separate files) without interfering: names never collide across files, and hint names stay distinct.
/// </remarks>
internal static class FuzzInputs
{
    /// <summary>The inputs for <paramref name="seed"/>; input i depends only on (seed, i), so it can be rebuilt alone.</summary>
    public static FuzzInput[] Generate(int seed, int count) =>
        Enumerable.Range(0, count).Select(i => new FuzzInputBuilder(unchecked((seed * 1_000_003) + i), i).Build()).ToArray();
}

/// <summary>Builds one input. Not thread-safe; one instance per input.</summary>
internal sealed class FuzzInputBuilder
{
    private static readonly string[] s_rules =
        ["Sgd", "AdaGrad", "RMSprop", "Adam", "AdamW", "Adamax", "Adadelta", "NAdam", "RAdam", "Asgd", "Rprop", "Lion", "ScheduleFreeAdamW"];

    private readonly Random _random;
    private readonly int _index;
    private readonly string _i;
    private readonly List<string> _features = [];
    private readonly List<string> _constants = [];

    // Probability that an argument value comes from the boundary / ill-typed pools instead of the valid range.
    private double _weird;

    // How OptGen names are written: "" (with using OptGen;), "OptGen.", "global::OptGen." or "O." (using O = OptGen;).
    private string _q = string.Empty;

    public FuzzInputBuilder(int seed, int index)
    {
        _random = new Random(seed);
        _index = index;
        _i = index.ToString(CultureInfo.InvariantCulture);
    }

    public FuzzInput Build()
    {
        // 12% valid-ish, 13% boundary values, the rest malformed attributes and/or structure. Compiling generated
        // sources dominates the run time (~40 ms each, against ~3 ms for a rejected input), so valid inputs are few.
        int scenario = _random.Next(100);
        bool badAttributes = scenario is (>= 25 and < 65) or >= 90;
        bool badStructure = scenario >= 65;
        _weird = scenario < 12 ? 0.02 : scenario < 25 ? 0.45 : 0.12;
        if (scenario is >= 12 and < 25)
        {
            _features.Add("boundary-values");
        }

        var shape = new Shape("Opt" + _i);
        ChooseQualifier(shape, badStructure);
        string rule = Pick(s_rules);
        var attributes = new List<Attr> { OptimizerAttribute(rule) };
        attributes.AddRange(Options(rule));
        attributes.AddRange(Schedules());
        if (Chance(0.3))
        {
            Shuffle(attributes); // [Optimizer] need not come first.
        }

        LightVariations(shape);
        if (badAttributes)
        {
            for (int n = 1 + _random.Next(3); n > 0; n--)
            {
                MutateAttributes(attributes, rule);
            }
        }

        if (badStructure)
        {
            for (int n = 1 + _random.Next(2); n > 0; n--)
            {
                MutateStructure(shape);
            }
        }

        shape.Attributes = attributes;
        if (_constants.Count > 0)
        {
            shape.Siblings.Add("public static class K" + _i + "\n{\n" + string.Concat(_constants.Select(c => "    " + c + "\n")) + "}");
        }

        return new FuzzInput(_index, shape.Render(_i), _features.Count == 0 ? "valid-ish" : string.Join(", ", _features.Distinct()));
    }

    // ---------------------------------------------------------------- randomness

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(params T[] items) => items[_random.Next(items.Length)];

    private void Shuffle<T>(List<T> items)
    {
        for (int k = items.Count - 1; k > 0; k--)
        {
            int j = _random.Next(k + 1);
            (items[k], items[j]) = (items[j], items[k]);
        }
    }

    private static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private void Feature(string feature) => _features.Add(feature);

    // ---------------------------------------------------------------- values

    /// <summary>Sometimes moves a value into a constant of K{i} and refers to it (attribute arguments may be constants).</summary>
    private string MaybeConstant(string type, string expression)
    {
        if (!Chance(0.05))
        {
            return expression;
        }

        Feature("const");
        string name = "C" + _constants.Count.ToString(CultureInfo.InvariantCulture);
        _constants.Add($"public const {type} {name} = {expression};");
        return $"K{_i}.{name}";
    }

    private string Double(Func<string> valid) => Chance(_weird) ? WeirdDouble() : MaybeConstant(Chance(0.1) ? "float" : "double", valid());

    private string Int(Func<string> valid) => Chance(_weird) ? WeirdInt() : MaybeConstant("int", valid());

    private string Bool() => Chance(_weird) ? WeirdBool() : Pick("true", "false");

    private string Enum(string type, params string[] members) => Chance(_weird) ? WeirdEnum(type, members) : $"{_q}{type}.{Pick(members)}";

    private string RuleValue(string rule) => Chance(_weird) ? WeirdRule() : MaybeConstant(_q + "UpdateRule", $"{_q}UpdateRule.{rule}");

    private string ElementType() => Chance(_weird) ? WeirdType() : Pick("typeof(float)", "typeof(double)", "typeof(System.Single)", "typeof(System.Double)");

    private string Milestones() => Chance(_weird) ? WeirdMilestones() : Pick(
        "new[] { 10, 20 }",
        "new[] { 1 }",
        "[5, 15, 30]",
        "new int[] { 1, 2, 3 }",
        "[100]",
        "new[] { " + string.Join(", ", RandomIncreasing()) + " }");

    private IEnumerable<string> RandomIncreasing()
    {
        int value = 0;
        for (int n = 1 + _random.Next(6); n > 0; n--)
        {
            value += 1 + _random.Next(50);
            yield return value.ToString(CultureInfo.InvariantCulture);
        }
    }

    private string ValidLearningRate() => Pick("1e-3", "0.1", "1", "10", "3e-4", "1e-9", "0.01", "2", Num(Math.Exp(-14 * _random.NextDouble())));

    private string ValidDecay() => Pick("0", "0.0", "0.5", "0.9", "0.99", "0.999", "0.999999", Num(_random.NextDouble() * 0.9999));

    private string ValidEpsilon() => Pick("1e-8", "1e-10", "1e-12", "1e-6", "1e-3", "double.Epsilon", Num(Math.Exp(-20 * _random.NextDouble()) * 1e-4));

    private string ValidNonNegative() => Pick("0", "0.01", "0.1", "0.5", "1", "100", "1e-4", Num(_random.NextDouble()));

    private string ValidDampening() => Pick("0", "0.1", "0.5", "1", Num(_random.NextDouble()));

    private string ValidGamma() => Pick("0.1", "0.5", "0.9", "0.99", "1", "1.0", "double.Epsilon", Num(0.01 + (0.99 * _random.NextDouble())));

    private string ValidSteps() => Chance(0.03) ? "int.MaxValue" : Pick("1", "2", "3", "5", "10", "30", "100", "1000", _random.Next(1, 100_000).ToString(CultureInfo.InvariantCulture));

    private string ValidMinimumRate() => Pick("0", "0.0", "1e-6", "1e-5");

    private string WeirdDouble()
    {
        Feature("weird-double");
        return Pick(
            "0", "-0.0", "1", "-1", "double.NaN", "double.PositiveInfinity", "double.NegativeInfinity", "double.Epsilon",
            "-double.Epsilon", "double.MaxValue", "double.MinValue", "1e308", "1e308 * 10", "1e-320", "(float)0.1", "0.1f",
            "float.NaN", "float.MaxValue", "float.Epsilon", "1L", "int.MaxValue", "'a'", "1m", "\"0.1\"", "nameof(System.Math)",
            "default", "null", "true", "(double)(object)1", "1.0 / 3", "System.Math.PI", "0.0 / 0.0", "1 / 0.0", "-(0.0)",
            "1_0.0_1", "0x7FFFFFFF", "1e400", "(double)decimal.MaxValue", "unchecked((double)long.MaxValue)", "typeof(double)",
            "new[] { 0.1 }", "K" + _i + "Missing.Value", "double.Parse(\"1\")", "(double)" + _q + "UpdateRule.Adam", "4.9406564584124654E-324",
            "1.7976931348623157E+308", "2.2250738585072014E-308", "0.99999999999999989", "1.0000000000000002");
    }

    private string WeirdInt()
    {
        Feature("weird-int");
        return Pick(
            "0", "-1", "1", "int.MaxValue", "int.MinValue", "int.MaxValue + 1", "unchecked(int.MaxValue + 1)", "1.5", "(int)1.9",
            "(int)1e10", "'x'", "default", "\"5\"", "10L", "(int)(object)5", "(short)7", "(byte)255", "1u", "0b1010", "0xFF",
            "null", "true", "(int)" + _q + "UpdateRule.AdamW", "int.MaxValue - 1", "1 << 30", "-0", "2147483647", "46341");
    }

    private string WeirdBool()
    {
        Feature("weird-bool");
        return Pick("true", "false", "default", "!true", "1", "\"true\"", "null", "true & false", "(bool)(object)true", "1 == 1", "0.5");
    }

    private string WeirdRule()
    {
        Feature("weird-rule");
        return Pick(
            "(" + _q + "UpdateRule)42", "(" + _q + "UpdateRule)(-1)", "(" + _q + "UpdateRule)3", "(" + _q + "UpdateRule)int.MaxValue",
            "default", "0", "1", "null", "\"Adam\"", _q + "UpdateRule.Adam | " + _q + "UpdateRule.Sgd", _q + "EpsilonPlacement.InsideSquareRoot",
            "(" + _q + "UpdateRule)(byte)4", "(" + _q + "UpdateRule)1.5", _q + "UpdateRule.Adam + 1", "~" + _q + "UpdateRule.Sgd",
            _q + "UpdateRule.Sgd", _q + "UpdateRule.AdamW", "(" + _q + "UpdateRule)5", "typeof(" + _q + "UpdateRule)");
    }

    private string WeirdEnum(string type, string[] members)
    {
        Feature("weird-enum");
        return Pick(
            $"({_q}{type})5", $"({_q}{type})(-1)", "default", "0", "1", "null", $"{_q}{type}.{members[0]}", $"{_q}UpdateRule.Adam",
            $"({_q}{type})int.MinValue", "\"" + members[^1] + "\"");
    }

    private string WeirdType()
    {
        Feature("weird-type");
        return Pick(
            "typeof(int)", "typeof(System.Half)", "typeof(decimal)", "typeof(string)", "typeof(void)", "typeof(float[])", "typeof(float?)",
            "typeof(nint)", "typeof(System.Collections.Generic.List<>)", "typeof(System.Collections.Generic.List<float>)", "null",
            "default", "typeof(dynamic)", "typeof(Missing" + _i + ")", "\"float\"", "typeof(float*)", "typeof(delegate*<void>)",
            "typeof(K" + _i + "Missing)", "typeof(" + _q + "UpdateRule)", "typeof(System.Numerics.Complex)", "typeof(System.Single)",
            "typeof(double)", "typeof((float, float))", "1.0");
    }

    private string WeirdMilestones()
    {
        Feature("weird-milestones");
        return Pick(
            "null", "new int[0]", "[]", "new[] { 30, 10 }", "new[] { 10, 10 }", "new[] { 0, 1 }", "new[] { -5 }", "new[] { 1, int.MaxValue }",
            "new int[] { int.MaxValue, int.MinValue }", "new[] { 1.5 }", "new long[] { 1 }", "default", "new int[3]", "new int[] { }",
            "new[] { " + string.Join(", ", Enumerable.Range(1, 300).Select(k => (k * 7).ToString(CultureInfo.InvariantCulture))) + " }",
            "10", "new[] { 'a', 'b' }", "new[] { (short)1, (short)2 }", "new object[] { 1, 2 }", "[int.MaxValue - 1, int.MaxValue]");
    }

    private string AnyValue() => _random.Next(6) switch
    {
        0 => WeirdDouble(),
        1 => WeirdInt(),
        2 => WeirdBool(),
        3 => WeirdRule(),
        4 => WeirdType(),
        _ => WeirdMilestones(),
    };

    // ---------------------------------------------------------------- attributes

    private string Name(string shortName) => _q + shortName + (Chance(0.05) ? "Attribute" : string.Empty);

    private Attr OptimizerAttribute(string rule)
    {
        var attribute = new Attr(Name("Optimizer"));
        attribute.Args.Add(Chance(0.05) ? "rule: " + RuleValue(rule) : RuleValue(rule));
        var named = new List<string>();
        if (Chance(0.5))
        {
            named.Add("LearningRate = " + Double(ValidLearningRate));
        }

        if (Chance(0.3))
        {
            named.Add("ElementType = " + ElementType());
        }

        if (Chance(0.15))
        {
            named.Add("Maximize = " + Bool());
        }

        Shuffle(named);
        attribute.Args.AddRange(named);
        return attribute;
    }

    private IEnumerable<Attr> Options(string rule)
    {
        bool adam = rule is "Adam" or "AdamW";
        bool twoMoments = adam || rule is "Adamax" or "NAdam" or "RAdam" or "Lion" or "ScheduleFreeAdamW";
        bool Wanted(bool applicable) => Chance(applicable ? 0.4 : 0.04);

        if (Wanted(twoMoments || rule is "RMSprop" or "Adadelta"))
        {
            var attribute = new Attr(Name("MomentDecay"));
            if ((twoMoments && Chance(0.7)) || Chance(0.05))
            {
                attribute.Args.Add("First = " + Double(ValidDecay));
            }

            if (Chance(0.7))
            {
                attribute.Args.Add("Second = " + Double(ValidDecay));
            }

            attribute.Parens = attribute.Args.Count > 0 || Chance(0.5);
            yield return attribute;
        }

        if (Wanted(rule is not ("Sgd" or "Asgd" or "Rprop" or "Lion")))
        {
            var attribute = new Attr(Name("Epsilon"));
            attribute.Args.Add((Chance(0.05) ? "value: " : string.Empty) + Double(ValidEpsilon));
            if (Chance(0.3))
            {
                attribute.Args.Add("Placement = " + Enum("EpsilonPlacement", "OutsideSquareRoot", "InsideSquareRoot"));
            }

            yield return attribute;
        }

        if (Wanted(adam))
        {
            yield return Switch("BiasCorrection");
        }

        if (Wanted(true))
        {
            var attribute = new Attr(Name("WeightDecay"));
            attribute.Args.Add(Double(ValidNonNegative));
            if (Chance(0.4))
            {
                attribute.Args.Add("Decoupled = " + (rule == "AdamW" && !Chance(_weird) ? "true" : Bool()));
            }

            yield return attribute;
        }

        if (Wanted(rule is "Sgd" or "RMSprop"))
        {
            var attribute = new Attr(Name("Momentum"));
            attribute.Args.Add(Double(ValidDecay));
            if ((rule == "Sgd" && Chance(0.4)) || Chance(0.03))
            {
                attribute.Args.Add("Dampening = " + Double(ValidDampening));
            }

            if ((rule == "Sgd" && Chance(0.4)) || Chance(0.03))
            {
                attribute.Args.Add("Nesterov = " + Bool());
            }

            yield return attribute;
        }

        if (Wanted(adam))
        {
            yield return Switch("AmsGrad");
        }

        if (Wanted(rule == "RMSprop"))
        {
            yield return Switch("Centered");
        }

        if (Wanted(rule == "AdaGrad"))
        {
            var attribute = new Attr(Name("LearningRateDecay"));
            attribute.Args.Add(Double(ValidNonNegative));
            yield return attribute;
        }

        if (Wanted(rule == "AdaGrad"))
        {
            var attribute = new Attr(Name("InitialAccumulator"));
            attribute.Args.Add(Double(ValidNonNegative));
            yield return attribute;
        }

        // The roster's own attributes: each argument optional, values from the valid pools (or weird ones).
        if (Wanted(rule == "NAdam"))
        {
            var attribute = new Attr(Name("MomentumDecay"));
            attribute.Args.Add(Double(ValidNonNegative));
            yield return attribute;
        }

        if (Wanted(rule == "Asgd"))
        {
            yield return Named("Averaging", ("Lambda", ValidNonNegative), ("Power", ValidNonNegative), ("StartStep", ValidNonNegative));
        }

        if (Wanted(rule == "Rprop"))
        {
            yield return Named(
                "StepSizeAdaptation",
                ("Decrease", () => Pick("0.5", "0.1", "0.9", "0.999")),
                ("Increase", () => Pick("1.2", "1.01", "2", "10")),
                ("Minimum", () => Pick("0", "1e-6", "1e-3")),
                ("Maximum", () => Pick("50", "1", "0.01")));
        }

        if (Wanted(rule == "ScheduleFreeAdamW"))
        {
            var attribute = Named("ScheduleFree", ("R", ValidNonNegative), ("WeightLearningRatePower", ValidNonNegative));
            if (Chance(0.5))
            {
                attribute.Args.Add("WarmupSteps = " + Int(ValidSteps));
                attribute.Parens = true;
            }

            yield return attribute;
        }
    }

    // An attribute with named double arguments, each present with probability one half.
    private Attr Named(string shortName, params (string Name, Func<string> Valid)[] arguments)
    {
        var attribute = new Attr(Name(shortName));
        foreach ((string name, Func<string> valid) in arguments)
        {
            if (Chance(0.5))
            {
                attribute.Args.Add(name + " = " + Double(valid));
            }
        }

        attribute.Parens = attribute.Args.Count > 0 || Chance(0.5);
        return attribute;
    }

    // [BiasCorrection], [AmsGrad], [Centered]: an optional bool.
    private Attr Switch(string shortName)
    {
        var attribute = new Attr(Name(shortName));
        switch (_random.Next(4))
        {
            case 0:
                attribute.Parens = false;
                break;
            case 1:
                break; // "()"
            case 2:
                attribute.Args.Add(Bool());
                break;
            default:
                attribute.Args.Add("enabled: " + Bool());
                break;
        }

        return attribute;
    }

    private IEnumerable<Attr> Schedules()
    {
        int decays = Chance(0.4) ? 1 : 0;
        if (Chance(0.04))
        {
            decays = 2;
            Feature("two-decays");
        }

        bool plateau = false;
        for (int n = 0; n < decays; n++)
        {
            Attr decay = Decay();
            plateau |= decay.Name.Contains("ReduceOnPlateau", StringComparison.Ordinal);
            yield return decay;
        }

        if (Chance(plateau ? 0.05 : 0.3))
        {
            var warmup = new Attr(Name("LinearWarmup"));
            Named(warmup, 0.6, "Steps", () => Int(ValidSteps));
            Named(warmup, 0.4, "StartFactor", () => Double(() => Pick("1.0 / 3", "0.1", "1", "0.5", "0.01")));
            warmup.Parens = warmup.Args.Count > 0 || Chance(0.5);
            yield return warmup;
        }
    }

    private void Named(Attr attribute, double probability, string name, Func<string> value)
    {
        if (Chance(probability))
        {
            attribute.Args.Add(name + " = " + value());
        }
    }

    private Attr Decay()
    {
        Attr a;
        switch (_random.Next(9))
        {
            case 0:
                a = new Attr(Name("StepDecay"));
                Named(a, 0.9, "StepSize", () => Int(ValidSteps));
                Named(a, 0.5, "Gamma", () => Double(ValidGamma));
                break;
            case 1:
                a = new Attr(Name("MultiStepDecay"));
                Named(a, 0.9, "Milestones", Milestones);
                Named(a, 0.5, "Gamma", () => Double(ValidGamma));
                break;
            case 2:
                a = new Attr(Name("ExponentialDecay"));
                Named(a, 0.9, "Gamma", () => Double(ValidGamma));
                Named(a, 0.4, "DecaySteps", () => Int(ValidSteps));
                Named(a, 0.3, "Staircase", Bool);
                break;
            case 3:
                a = new Attr(Name("PolynomialDecay"));
                Named(a, 0.6, "TotalSteps", () => Int(ValidSteps));
                Named(a, 0.4, "Power", () => Double(() => Pick("0", "1", "2", "0.5", "3")));
                Named(a, 0.3, "EndLearningRate", () => Double(ValidMinimumRate));
                break;
            case 4:
                a = new Attr(Name("CosineDecay"));
                Named(a, 0.9, "TotalSteps", () => Int(ValidSteps));
                Named(a, 0.4, "MinLearningRate", () => Double(ValidMinimumRate));
                break;
            case 5:
                a = new Attr(Name("CosineWarmRestarts"));
                Named(a, 0.9, "FirstPeriod", () => Int(ValidSteps));
                Named(a, 0.4, "PeriodMultiplier", () => Int(() => Pick("1", "2", "3")));
                Named(a, 0.3, "MinLearningRate", () => Double(ValidMinimumRate));
                break;
            case 6:
                a = new Attr(Name("OneCycle"));
                Named(a, 0.9, "TotalSteps", () => Int(() => Pick("10", "100", "1000", "2", "50", "int.MaxValue")));
                Named(a, 0.4, "WarmupFraction", () => Double(() => Pick("0.3", "0.25", "0.1", "0.45", "0.49", "0.9")));
                Named(a, 0.3, "Anneal", () => Enum("AnnealStrategy", "Cosine", "Linear"));
                Named(a, 0.3, "InitialDivisor", () => Double(() => Pick("25", "1e4", "1", "10", "0.5")));
                Named(a, 0.3, "FinalDivisor", () => Double(() => Pick("25", "1e4", "1", "10", "1e-3")));
                Named(a, 0.3, "ThreePhase", Bool);
                break;
            case 7:
                a = new Attr(Name("InverseSquareRootDecay"));
                Named(a, 0.9, "WarmupSteps", () => Int(ValidSteps));
                break;
            default:
                a = new Attr(Name("ReduceOnPlateau"));
                Named(a, 0.3, "Mode", () => Enum("PlateauMode", "Minimize", "Maximize"));
                Named(a, 0.3, "Factor", () => Double(() => Pick("0.1", "0.5", "0.9", "0.99")));
                Named(a, 0.3, "Patience", () => Int(() => Pick("0", "1", "3", "10")));
                Named(a, 0.3, "Threshold", () => Double(() => Pick("1e-4", "0", "0.01", "0.5")));
                Named(a, 0.3, "ThresholdMode", () => Enum("PlateauThresholdMode", "Relative", "Absolute"));
                Named(a, 0.3, "Cooldown", () => Int(() => Pick("0", "1", "3", "10")));
                Named(a, 0.3, "MinLearningRate", () => Double(ValidMinimumRate));
                Named(a, 0.3, "MinimumChange", () => Double(() => Pick("1e-8", "0", "1e-4")));
                break;
        }

        Shuffle(a.Args); // all named: any order is legal.
        a.Parens = a.Args.Count > 0 || Chance(0.5);
        return a;
    }

    private void MutateAttributes(List<Attr> attributes, string rule)
    {
        Attr target = Pick(attributes.ToArray());
        switch (_random.Next(14))
        {
            case 0:
                Feature("missing-arguments");
                target.Args.Clear();
                target.Parens = Chance(0.5);
                break;
            case 1:
                Feature("extra-positional");
                target.Args.Insert(target.Args.Count(a => !a.Contains(" = ", StringComparison.Ordinal)), Pick(AnyValue(), RuleValue(rule), "0.1", "true"));
                break;
            case 2:
                Feature("unknown-named");
                target.Args.Add(Pick("Foo = 1", "learningRate = 0.1", "Rule = " + _q + "UpdateRule.Adam", "Value = 1", "Enabled = true", "Gamma = 0.5", "Steps = 3", "First = 0.9"));
                break;
            case 3:
                Feature("duplicate-named");
                string? named = target.Args.FirstOrDefault(a => a.Contains(" = ", StringComparison.Ordinal));
                target.Args.Add(named is null ? "LearningRate = 0.1" : named.Split(" = ")[0] + " = " + AnyValue());
                if (named is null)
                {
                    target.Args.Add("LearningRate = 0.2");
                }

                break;
            case 4:
                Feature("duplicate-attribute");
                attributes.Insert(_random.Next(attributes.Count + 1), target.Copy());
                break;
            case 5:
                Feature("duplicate-optimizer");
                attributes.Insert(_random.Next(attributes.Count + 1), OptimizerAttribute(Pick(s_rules)));
                break;
            case 6:
                Feature("wrong-type");
                if (target.Args.Count == 0)
                {
                    target.Args.Add(AnyValue());
                }
                else
                {
                    int k = _random.Next(target.Args.Count);
                    int equals = target.Args[k].IndexOf(" = ", StringComparison.Ordinal);
                    target.Args[k] = (equals < 0 ? string.Empty : target.Args[k][..(equals + 3)]) + AnyValue();
                }

                break;
            case 7:
                Feature("attribute-syntax-error");
                target.Broken = Pick(",)", ")", "))", "(", " 1e-9)", "UpdateRule.)", "=)", ",,)", "]", "[");
                break;
            case 8:
                Feature("positional-after-named");
                if (target.Args.Count > 1)
                {
                    string first = target.Args[0];
                    target.Args.RemoveAt(0);
                    target.Args.Add(first);
                }
                else
                {
                    target.Args.Insert(0, "LearningRate = 0.1");
                    target.Args.Add(RuleValue(rule));
                }

                break;
            case 9:
                Feature("named-colon");
                string colon = Pick("rule: ", "value: ", "enabled: ", "rul: ", "Value: ", "learningRate: ");
                if (target.Args.Count > 0 && !target.Args[0].Contains(" = ", StringComparison.Ordinal))
                {
                    target.Args[0] = colon + target.Args[0];
                }
                else
                {
                    target.Args.Insert(0, colon + Pick("0.1", "true", _q + "UpdateRule.Sgd"));
                }

                break;
            case 10:
                Feature("optimizer-without-rule");
                Attr optimizer = attributes.FirstOrDefault(a => a.Name.Contains("Optimizer", StringComparison.Ordinal)) ?? target;
                optimizer.Args.RemoveAll(a => !a.Contains(" = ", StringComparison.Ordinal));
                break;
            case 11:
                Feature("attribute-target");
                target.Target = Pick("type: ", "return: ", "field: ", "assembly: ", "method: ");
                break;
            case 12:
                Feature("combined-list");
                if (attributes.Count > 1)
                {
                    attributes[0].CombineWithNext = true;
                }

                break;
            default:
                Feature("inactive-if");
                target.Directive = Pick(("#if FUZZ", "#endif"), ("#if !FUZZ", "#endif"), ("#if FUZZ\n[Unknown]\n#else", "#endif"), ("#region r", "#endregion"), ("#pragma warning disable", "#pragma warning restore"));
                break;
        }
    }

    // ---------------------------------------------------------------- structure

    private void ChooseQualifier(Shape shape, bool badStructure)
    {
        int choice = _random.Next(100);
        if (choice < 70)
        {
            shape.Usings = "using OptGen;\n";
        }
        else if (choice < 80)
        {
            Feature("qualified");
            _q = "OptGen.";
        }
        else if (choice < 85)
        {
            Feature("global-qualified");
            _q = "global::OptGen.";
        }
        else if (choice < 95)
        {
            Feature("alias");
            _q = "O.";
            shape.Usings = "using O = OptGen;\n";
        }
        else if (badStructure)
        {
            Feature("unbound-attribute"); // no using: nothing binds, the generator never sees the class.
        }
        else
        {
            shape.Usings = "using OptGen;\nusing System;\n";
        }

        if (shape.Usings.Length > 0 && Chance(0.15))
        {
            Feature("usings-inside-namespace");
            shape.UsingsInside = true;
        }
    }

    private void LightVariations(Shape shape)
    {
        shape.NamespaceStyle = Pick("global", "file", "block", "nested", "dotted");
        shape.Namespace = shape.NamespaceStyle is "nested" or "dotted" ? $"A{_i}.B.C" : "Ns" + _i;
        shape.Modifiers = Pick("public", "internal", "", "public sealed", "sealed", "internal sealed");
        if (Chance(0.15))
        {
            Feature("nested");
            for (int n = 1 + _random.Next(2); n > 0; n--)
            {
                shape.Containers.Add(Container(valid: true, depth: shape.Containers.Count));
            }
        }

        if (Chance(0.1))
        {
            NameVariant(shape);
        }

        if (Chance(0.05))
        {
            Feature("body");
            shape.Members.Add(Pick("public void Train() { }", "private readonly int _other = 1;", "public override string ToString() => \"opt\";", "// nothing"));
        }
    }

    private string Container(bool valid, int depth)
    {
        string name = depth == 0 ? "Outer" + _i : Pick("Inner", "Mid", "@event", "Ωmega", "Inner" + depth.ToString(CultureInfo.InvariantCulture));
        string keyword = valid ? Pick("class", "class", "class", "struct", "record", "record struct", "interface") : Pick("class", "struct", "record", "record struct", "interface", "static class", "readonly struct", "ref struct", "abstract class", "sealed class");
        string modifiers = depth == 0
            ? (valid ? Pick("public", "internal", string.Empty) : Pick("public", "internal", string.Empty, "file", "public static", "public abstract", "public sealed"))
            : Pick("public", "internal", "private", "protected", "private protected", "protected internal", string.Empty);
        if (modifiers.Contains("static", StringComparison.Ordinal) && keyword != "class")
        {
            modifiers = "public";
        }

        if (modifiers.Contains("protected", StringComparison.Ordinal) && keyword.Contains("struct", StringComparison.Ordinal))
        {
            modifiers = "public"; // protected members in structs are errors the generator cannot cause or fix.
        }

        string typeParameters = Chance(valid ? 0.15 : 0.3)
            ? Pick("<T>", "<T, U>", "<T> where T : class", "<TKey, TValue> where TKey : notnull", "<[global::System.ComponentModel.Description(\"t\")] T>", "</* comment */ T>", "<@class>")
            : string.Empty;
        if (!valid && keyword is "class" or "record" or "struct" && !typeParameters.Contains("where", StringComparison.Ordinal) && Chance(0.15))
        {
            typeParameters += "(int x)"; // a primary constructor: only one part may have it.
        }

        bool partial = valid || Chance(0.8);
        string[] words = keyword.Split(' ');
        string head = string.Join(" ", words[..^1]); // "static", "readonly", "ref", "record" ...
        string last = words[^1];
        string text = (modifiers + " " + head + " " + (partial ? "partial " : string.Empty) + last + " " + name + typeParameters).Replace("  ", " ", StringComparison.Ordinal).Trim();
        if (keyword == "record" || keyword == "record struct")
        {
            // "partial" must come right before "record".
            text = (modifiers + " " + (partial ? "partial " : string.Empty) + keyword + " " + name + typeParameters).Replace("  ", " ", StringComparison.Ordinal).Trim();
        }

        return text;
    }

    private void NameVariant(Shape shape)
    {
        Feature("name-variant");
        string name = Pick(
            "Ωptimizer" + _i, "Оптимизатор" + _i, "优化器" + _i, "Opt\\u0041" + _i, "_" + _i, "Opt_" + _i, "@Opt" + _i, "opt" + _i,
            "@class", "@event", "@int", "var", "async", "dynamic", "nameof", "value", "Step", "Math", "Span", "Vector128", "Unsafe",
            "MemoryMarshal", "OptGen", "System", "IOptimizer", "Optimizer", "OptimizerAttribute", "Kernels", "Ope\u0301" + _i, "Ǆ" + _i);
        shape.Name = name;
        if (!name.Contains(_i, StringComparison.Ordinal))
        {
            shape.NeedsNamespace = true;
        }
    }

    private void MutateStructure(Shape shape)
    {
        switch (_random.Next(25))
        {
            case 0:
                (string extra, string keyword) = Pick(
                    ("", "record"), ("", "record class"), ("", "record struct"), ("", "struct"), ("readonly", "struct"), ("ref", "struct"),
                    ("", "interface"), ("", "enum"), ("", "delegate"), ("readonly", "record struct"));
                Feature("keyword:" + (extra + " " + keyword).Trim());
                shape.Keyword = keyword;
                shape.Modifiers = (shape.Modifiers + " " + extra).Trim();
                break;
            case 1:
                Feature("not-partial");
                shape.Partial = false;
                break;
            case 2:
                Feature("partial-misplaced");
                shape.PartialMisplaced = true;
                break;
            case 3:
                Feature("generic");
                shape.TypeParameters = Pick("<T>", "<T, U>", "<T> where T : unmanaged", "<@class>");
                break;
            case 4:
                Feature("modifiers");
                shape.Modifiers = shape.Containers.Count > 0
                    ? Pick("private", "protected", "protected internal", "private protected", "internal", "new public", "public static", "private sealed", "file")
                    : Pick("file", "file sealed", "public static", "public abstract", "public unsafe", "public new", "protected", "private", "public readonly", "public sealed abstract", "public static abstract", "public public", "extern", "public required");
                break;
            case 5:
            case 23:
                Feature("containers");
                for (int n = 1 + _random.Next(3); n > 0; n--)
                {
                    shape.Containers.Add(Container(valid: false, depth: shape.Containers.Count));
                }

                break;
            case 6:
                Feature("namespace");
                (shape.NamespaceStyle, shape.Namespace) = Pick(
                    ("block", $"Ns{_i}.@event"), ("file", $"Ns{_i}.System"), ("block", $"Ns{_i}.OptGen"), ("nested", $"N{_i}.A.B.C.D"),
                    ("block", $"Ns{_i}.Runtime.Intrinsics"), ("file", $"@Ns{_i}"), ("dotted", $"Ns{_i}.Ωmega"), ("global", string.Empty),
                    ("block", $"Ns{_i}.Math"), ("block", $"Ns{_i}.global"));
                break;
            case 7:
            case 8:
                Feature("member-collision");
                for (int n = 1 + _random.Next(2); n > 0; n--)
                {
                    shape.Members.Add(CollidingMember(shape.Name));
                }

                break;
            case 9:
                Feature("syntax-error-in-body");
                shape.Members.Add(Pick(
                    "public void M( {", "public void M() {", "int x = ;", "public int", "class", "void M() { if (true) }", "@", "public void M() => ;",
                    "string s = \"unterminated", "/* unterminated comment", "'", "namespace X { }", "using System;", "[" + _q + "Optimizer(" + _q + "UpdateRule.Sgd)]",
                    "public Opt(", "#error fuzz", "#if", "public event;", "~;", "int this[] => 0;"));
                break;
            case 10:
                Feature("unbalanced-braces");
                if (Chance(0.5))
                {
                    shape.Members.Add(Pick("{", "}", "}}", "{ {"));
                }
                else
                {
                    shape.Footer += Pick("}\n", "{\n", "}}\n");
                }

                break;
            case 11:
                Feature("second-part-options");
                shape.SecondPart = Pick(
                    $"[{_q}Epsilon(1e-6)]", $"[{_q}WeightDecay(0.1)]", $"[{_q}LinearWarmup(Steps = 3)]", $"[{_q}StepDecay(StepSize = 2)]", string.Empty,
                    $"[{_q}Momentum(0.5)]", $"[{_q}AmsGrad]");
                break;
            case 12:
                Feature("second-part-optimizer");
                shape.SecondPart = $"[{_q}Optimizer({_q}UpdateRule.{Pick(s_rules)})]";
                break;
            case 13:
                Feature("same-name-other-namespace");
                shape.OtherNamespaces.Add($"namespace Other{_i}\n{{\n    [{_q}Optimizer({_q}UpdateRule.{Pick(s_rules)})]\n    public partial class {{NAME}};\n}}");
                break;
            case 14:
                Feature("hint-collision");
                int variant = _random.Next(5);
                if (variant >= 2)
                {
                    // Distinct C# names that a file-name-safe hint could merge: case only (hint names compare
                    // case-insensitively), a combining mark or a connector punctuation versus '_'.
                    (string first, string second) = variant switch
                    {
                        2 => ("Opt", "OPT"),
                        3 => ("Ope\u0301", "Ope_"),
                        _ => ("Opt\u203F", "Opt_"),
                    };
                    shape.NamespaceStyle = "block";
                    shape.Namespace = $"Hc{_i}";
                    shape.Siblings.Add($"[{_q}Optimizer({_q}UpdateRule.Sgd)]\npublic partial class {first};\n\n[{_q}Optimizer({_q}UpdateRule.Adam)]\npublic partial class {second};");
                    if (variant == 2 && Chance(0.5))
                    {
                        shape.OtherNamespaces.Add($"namespace HC{_i}\n{{\n    [{_q}Optimizer({_q}UpdateRule.Adam)]\n    public partial class {{NAME}};\n}}");
                    }
                }
                else if (variant == 0)
                {
                    // Namespace Hc{i}.Outer_T_ and the generic type Hc{i}.Outer<T> give the same hint name "Hc{i}.Outer_T_.Opt.g.cs".
                    shape.NamespaceStyle = "block";
                    shape.Namespace = $"Hc{_i}";
                    shape.Siblings.Add($"public partial class Outer<T>\n{{\n    [{_q}Optimizer({_q}UpdateRule.Sgd)]\n    public partial class Opt;\n}}");
                    shape.OtherNamespaces.Add($"namespace Hc{_i}.Outer_T_\n{{\n    [{_q}Optimizer({_q}UpdateRule.Adam)]\n    public partial class Opt;\n}}");
                }
                else
                {
                    // Namespace Hc{i}.B and the class Hc{i}.B (a compile error of its own, CS0101).
                    shape.NamespaceStyle = "block";
                    shape.Namespace = $"Hc{_i}.B";
                    shape.OtherNamespaces.Add($"namespace Hc{_i}\n{{\n    public partial class B\n    {{\n        [{_q}Optimizer({_q}UpdateRule.Adam)]\n        public partial class {{NAME}};\n    }}\n}}");
                }

                break;
            case 15:
            case 16:
                Feature("framework-named-sibling");
                shape.NeedsNamespace = true;
                shape.Siblings.Add(Pick(
                    "public class Span<T> { }", "public class ReadOnlySpan<T> { }", "public struct Vector128<T> { }", "public struct Vector256<T> { }",
                    "public struct Vector512<T> { }", "public static class Vector128 { }", "public static class Vector256 { }", "public static class Vector512 { }",
                    "public static class Unsafe { }", "public static class MemoryMarshal { }", "public static class Math { }", "public static class MathF { }",
                    "public static class Environment { }", "public class Array { }", "public static class Parallel { }", "public class Exception { }",
                    "public class ArgumentOutOfRangeException { }", "public class Single { }", "public class Double { }", "public class Int32 { }",
                    "public class Object { }", "public class String { }", "public class System { }", "public class OptGen { }", "public class nuint { }",
                    "public class var { }", "public static class Vector { }", "public class IOptimizer<T> { }", "public class KernelPath { }",
                    "public class GeneratedCodeAttribute : global::System.Attribute { }", "public static class Kernels { }", "public class Opt" + _i + "Kernels { }",
                    "public class Action { }", "public class Func<T> { }", "public class Interlocked { }", "public class Volatile { }", "public class Thread { }",
                    "public class IndexOutOfRangeException { }", "public class ArgumentException { }", "public class MethodImplAttribute : global::System.Attribute { }",
                    "public enum MethodImplOptions { None }", "public class ReadOnlyCollection<T> { }"));
                break;
            case 17:
                Feature("directives");
                (string header, string footer) = Pick(
                    ("#nullable disable\n", string.Empty), ("#nullable enable\n", string.Empty), ("#define FUZZ\n", string.Empty), ("#pragma warning disable\n", string.Empty),
                    ("#region R\n", "#endregion\n"), ("#line 100 \"mapped.cs\"\n", string.Empty), ("#line hidden\n", string.Empty), ("#pragma warning disable CS0579\n", string.Empty),
                    ("#nullable disable warnings\n", string.Empty), ("// <auto-generated/>\n", string.Empty), ("#if false\n", "#endif\n"), ("#if FUZZ\n", string.Empty));
                shape.Header += header;
                shape.Footer += footer;
                if (Chance(0.5))
                {
                    shape.BeforeClass = Pick("#nullable disable", "#if !FUZZ", "#pragma warning disable CS0618", "#line default", "#warning fuzz");
                    shape.AfterClass = shape.BeforeClass.StartsWith("#if", StringComparison.Ordinal) ? "#endif" : string.Empty;
                }

                break;
            case 18:
                Feature("name-variant");
                NameVariant(shape);
                break;
            case 19:
                Feature("base-list");
                shape.BaseList = Pick(
                    " : global::System.Object", " : global::System.IDisposable", " : Base" + _i, " : " + _q + "IOptimizer<double>", " : global::System.Attribute",
                    " : " + _q + "IOptimizer<float>", " : global::System.Exception", " : Missing" + _i);
                if (shape.BaseList.Contains("Base" + _i, StringComparison.Ordinal))
                {
                    shape.Siblings.Add(Pick("public class Base" + _i + " { }", "public abstract class Base" + _i + " { public abstract void Step(); }", "public sealed class Base" + _i + " { }", "public class Base" + _i + " { public int Length => 0; }"));
                }

                break;
            case 20:
                Feature("nested-optimizer");
                shape.Members.Add($"[{_q}Optimizer({_q}UpdateRule.{Pick(s_rules)})]\npublic partial class {Pick("Inner", "Opt" + _i + "Kernels", "Step", "Length")};");
                break;
            case 21:
                Feature("user-attribute-type");
                shape.NeedsNamespace = true;
                shape.Siblings.Add(Pick(
                    "public sealed class OptimizerAttribute : global::System.Attribute { public OptimizerAttribute(" + _q + "UpdateRule rule) { } }",
                    "public enum UpdateRule { Sgd, AdaGrad, RMSprop, Adam, AdamW }",
                    "public sealed class EpsilonAttribute : global::System.Attribute { public EpsilonAttribute(double value) { } }"));
                break;
            case 22:
                Feature("constants-in-scope");
                shape.Members.Add("public const double Lr = 0.05;");
                shape.Members.Add("public const int Steps = 7;");
                shape.ExtraAttributes.Add(Pick($"[{_q}WeightDecay(Lr)]", $"[{_q}StepDecay(StepSize = Steps)]", $"[{_q}WeightDecay({{NAME}}.Lr)]", $"[{_q}CosineDecay(TotalSteps = {{NAME}}.Steps)]"));
                break;
            case 24:
                Feature("unbound-attribute");
                shape.Usings = string.Empty;
                if (_q.Length > 0 && !_q.StartsWith("global", StringComparison.Ordinal))
                {
                    shape.Usings = "using O = System;\n"; // an alias to the wrong namespace
                }

                break;
        }
    }

    private string CollidingMember(string className)
    {
        string name = className;
        return Pick(
            "public void Step() { }", "public void Step(global::System.Span<float> parameters, global::System.ReadOnlySpan<float> gradients) { }",
            "public void Step(global::System.Span<double> parameters, global::System.ReadOnlySpan<double> gradients) { }",
            "public long StepCount;", "public int StepCount { get; set; }", "public int Length;", "public void Reset() { }", "public double LearningRate;",
            "public double BaseLearningRate { get; set; }", "private int _length;", "private long _stepCount;", "public float[] ExpAvg = null!;",
            "public int ExpAvgSq;", "public int Sum;", "public int MomentumBuffer;", "public int SquareAvg;", "public int GradAvg;", "public int MaxExpAvgSq;",
            "public void GetStateBuffer(int index) { }", "public int StateBufferNames;", "public int ThreadCount;", "public int LastKernelPath;",
            "private const double DefaultLearningRate = 1;", "private static int s_stateBufferNames;", "public bool ReportMetric(double metric) => false;",
            "public int PlateauTracker;", "private int _plateau;", "private int _rangeStep;", "private int _rangeLearningRate;", "private int _threadCount;",
            "private int _baseLearningRate;", "private int _lastKernelPath;", "private float[] _expAvg = null!;", "private float[] _sum = null!;",
            $"public {name}(int length) {{ }}", $"public {name}() {{ }}", $"private static class {name}Kernels {{ }}", "public class Step { }",
            "public int this[int i] => i;", "public void Dispose() { }", $"~{name}() {{ }}", "public static int Length => 0;",
            "public void Step(global::System.Span<float> parameters, global::System.ReadOnlySpan<float> gradients, int extra) { }",
            "public int Schedule;", "public int Kernels;", "public int Rule;", "public int ElementType;", "public int IsHardwareAccelerated;",
            "public int Math;", "public int Vector128;", "public int MemoryMarshal;", "public int Unsafe;", "public int global;", "public class OptGen { }",
            "public class System { }", "public int Environment;");
    }

    // ---------------------------------------------------------------- rendering

    /// <summary>One attribute application.</summary>
    private sealed class Attr(string name)
    {
        public string Name { get; } = name;

        public List<string> Args { get; } = [];

        public bool Parens { get; set; } = true;

        public string Target { get; set; } = string.Empty;

        /// <summary>Replaces the closing ")]" to make the attribute syntactically broken.</summary>
        public string? Broken { get; set; }

        public (string Open, string Close)? Directive { get; set; }

        /// <summary>Renders this attribute and the next one in one list, "[A, B]".</summary>
        public bool CombineWithNext { get; set; }

        public Attr Copy()
        {
            var copy = new Attr(Name) { Parens = Parens, Target = Target };
            copy.Args.AddRange(Args);
            return copy;
        }

        public string Inner()
        {
            string arguments = Parens || Args.Count > 0 ? "(" + string.Join(", ", Args) + ")" : string.Empty;
            return Name + arguments;
        }
    }

    /// <summary>Where and how the class is declared.</summary>
    private sealed class Shape(string name)
    {
        public string Name { get; set; } = name;

        public List<Attr> Attributes { get; set; } = [];

        public List<string> ExtraAttributes { get; } = [];

        public string Header { get; set; } = string.Empty;

        public string Usings { get; set; } = string.Empty;

        public bool UsingsInside { get; set; }

        public string NamespaceStyle { get; set; } = "global";

        public string Namespace { get; set; } = string.Empty;

        public bool NeedsNamespace { get; set; }

        public List<string> Containers { get; } = [];

        public string Modifiers { get; set; } = "public";

        public bool Partial { get; set; } = true;

        public bool PartialMisplaced { get; set; }

        public string Keyword { get; set; } = "class";

        public string TypeParameters { get; set; } = string.Empty;

        public string BaseList { get; set; } = string.Empty;

        public List<string> Members { get; } = [];

        public string? SecondPart { get; set; }

        public List<string> Siblings { get; } = [];

        public List<string> OtherNamespaces { get; } = [];

        public string BeforeClass { get; set; } = string.Empty;

        public string AfterClass { get; set; } = string.Empty;

        public string Footer { get; set; } = string.Empty;

        public string Render(string index)
        {
            string style = NamespaceStyle;
            string ns = Namespace;
            if (style == "global" && NeedsNamespace)
            {
                style = "block"; // names without the index must not meet another input's names in the global namespace.
                ns = "Ns" + index;
            }

            if (style == "file" && (OtherNamespaces.Count > 0 || Siblings.Any(s => s.StartsWith("namespace", StringComparison.Ordinal))))
            {
                style = "block"; // a file-scoped namespace cannot sit next to other namespaces.
            }

            if (ns.Length == 0 && style != "global")
            {
                ns = "Ns" + index;
            }

            var body = new StringBuilder();
            foreach (string sibling in Siblings)
            {
                body.Append(sibling).Append("\n\n");
            }

            foreach (string container in Containers)
            {
                body.Append(container).Append("\n{\n");
            }

            body.Append(Class());
            if (SecondPart is not null)
            {
                body.Append('\n').Append(SecondPart.Length > 0 ? SecondPart + "\n" : string.Empty)
                    .Append(Partial ? "partial " : string.Empty).Append(Keyword is "enum" or "delegate" ? "class" : Keyword).Append(' ').Append(Name).Append(TypeParameters).Append(";\n");
            }

            foreach (string _ in Containers)
            {
                body.Append("}\n");
            }

            var text = new StringBuilder(Header);
            if (!UsingsInside || style == "global")
            {
                text.Append(Usings);
            }

            text.Append('\n');
            string usingsInside = UsingsInside && style != "global" ? Usings : string.Empty;
            switch (style)
            {
                case "global":
                    text.Append(body);
                    break;
                case "file":
                    text.Append("namespace ").Append(ns).Append(";\n\n").Append(usingsInside).Append(body);
                    break;
                case "nested":
                    string[] parts = ns.Split('.');
                    foreach (string part in parts)
                    {
                        text.Append("namespace ").Append(part).Append("\n{\n");
                    }

                    text.Append(usingsInside).Append(body);
                    foreach (string _ in parts)
                    {
                        text.Append("}\n");
                    }

                    break;
                default: // "block" and "dotted"
                    text.Append("namespace ").Append(ns).Append("\n{\n").Append(usingsInside).Append(body).Append("}\n");
                    break;
            }

            foreach (string other in OtherNamespaces)
            {
                text.Append('\n').Append(other.Replace("{NAME}", Name, StringComparison.Ordinal)).Append('\n');
            }

            text.Append(Footer);
            return text.ToString().Replace("{NAME}", Name, StringComparison.Ordinal);
        }

        private string Class()
        {
            var text = new StringBuilder();
            if (BeforeClass.Length > 0)
            {
                text.Append(BeforeClass).Append('\n');
            }

            List<Attr> attributes = Attributes;
            for (int k = 0; k < attributes.Count; k++)
            {
                Attr attribute = attributes[k];
                if (attribute.Directive is { } directive)
                {
                    text.Append(directive.Open).Append('\n');
                }

                string inner = attribute.Inner();
                if (attribute.CombineWithNext && k + 1 < attributes.Count)
                {
                    inner += ", " + attributes[k + 1].Inner();
                    k++;
                }

                text.Append('[').Append(attribute.Target).Append(inner);
                if (attribute.Broken is { } broken)
                {
                    // Drop the closing parenthesis (if any) and put the broken ending in its place.
                    if (text[^1] == ')')
                    {
                        text.Length--;
                    }

                    text.Append(broken).Append('\n');
                }
                else
                {
                    text.Append("]\n");
                }

                if (attribute.Directive is { } close)
                {
                    text.Append(close.Close).Append('\n');
                }
            }

            foreach (string attribute in ExtraAttributes)
            {
                text.Append(attribute).Append('\n');
            }

            string modifiers = Modifiers.Length > 0 ? Modifiers + " " : string.Empty;
            string partial = Partial && Keyword != "enum" && Keyword != "delegate" ? "partial " : string.Empty;
            if (PartialMisplaced && partial.Length > 0)
            {
                text.Append(partial).Append(modifiers);
            }
            else
            {
                text.Append(modifiers).Append(partial);
            }

            switch (Keyword)
            {
                case "enum":
                    text.Append("enum ").Append(Name).Append(" { A, B }\n");
                    break;
                case "delegate":
                    text.Append("delegate void ").Append(Name).Append(TypeParameters).Append("();\n");
                    break;
                default:
                    text.Append(Keyword).Append(' ').Append(Name).Append(TypeParameters).Append(BaseList);
                    if (Members.Count == 0)
                    {
                        text.Append(";\n");
                    }
                    else
                    {
                        text.Append("\n{\n");
                        foreach (string member in Members)
                        {
                            text.Append("    ").Append(member.Replace("\n", "\n    ", StringComparison.Ordinal)).Append('\n');
                        }

                        text.Append("}\n");
                    }

                    break;
            }

            if (AfterClass.Length > 0)
            {
                text.Append(AfterClass).Append('\n');
            }

            return text.ToString();
        }
    }
}
