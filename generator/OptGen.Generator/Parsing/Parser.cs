using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OptGen.Generator.Contracts;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Model;
using OptGen.Generator.Rules;

namespace OptGen.Generator.Parsing;

/// <summary>What parsing one class gives: its spec and its rule lowered once (both null if the class is rejected), and the diagnostics.</summary>
internal sealed record ParseResult(OptimizerSpec? Spec, Ir.RuleProgram? Program, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// Turns an <c>[Optimizer]</c> class and its attributes into an <see cref="OptimizerSpec"/>, validating every value.
/// What a rule accepts, its defaults and its checks come from its <see cref="RuleDefinition"/>.
/// </summary>
internal sealed partial class Parser : IOptionReporter
{
    private const string AttributeNamespace = "OptGen";

    private readonly List<DiagnosticInfo> _diagnostics = new();

    // Where each option and option attribute was written, for checks between options (IOptionReporter).
    private readonly Dictionary<string, Location> _optionLocations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Location> _attributeLocations = new(StringComparer.Ordinal);
    private Location _identifier = Location.None;
    private bool _failed;
    private bool _skipNonFiniteSteps;
    private double _clipGradientNorm;
    private bool _fastMath;
    private ParameterKind _parameters;
    private StateStorage _storage;
    private Location? _storageLocation;
    private Location? _masterWeights;
    private Location? _stochasticRounding;
    private long _seed;
    private readonly List<string> _weightDecayExclude = new();

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var parser = new Parser();
        OptimizerSpec? spec;
        Ir.RuleProgram? program = null;
        try
        {
            spec = parser.ParseClass(context, cancellationToken, out program);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The generator must never throw: report instead of failing the whole compilation with CS8785.
            parser.Report(DiagnosticDescriptors.InternalError, context.TargetNode.GetLocation(), context.TargetSymbol.Name, exception.Message);
            spec = null;
        }

        return parser._failed || spec is null || program is null
            ? new ParseResult(null, null, parser._diagnostics.ToEquatableArray())
            : new ParseResult(spec, program, parser._diagnostics.ToEquatableArray());
    }

    private OptimizerSpec? ParseClass(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken, out Ir.RuleProgram? program)
    {
        program = null;
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
        {
            return null;
        }

        Location identifier = declaration.Identifier.GetLocation();
        _identifier = identifier;
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            Report(DiagnosticDescriptors.ClassMustBePartial, identifier, type.Name);
        }

        // A file-local type cannot be extended from the generated file: its partial parts must all be in one file.
        INamedTypeSymbol? fileLocalContainer = null;
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            fileLocalContainer = outer.IsFileLocal ? outer : fileLocalContainer;
        }

        string? shape = declaration is RecordDeclarationSyntax ? "a record"
            : type.TypeParameters.Length > 0 ? "generic"
            : type.IsStatic ? "static"
            : type.IsAbstract ? "abstract"
            : type.IsFileLocal ? "file-local (its generated part lives in another file)"
            : fileLocalContainer is not null ? $"nested in the file-local type '{fileLocalContainer.Name}' (its generated part lives in another file)"
            : null;
        if (shape is not null)
        {
            Report(DiagnosticDescriptors.UnsupportedClassShape, identifier, type.Name, shape);
        }

        var containingTypes = new List<ContainingType>();
        foreach (TypeDeclarationSyntax outer in declaration.Ancestors().OfType<TypeDeclarationSyntax>().Reverse())
        {
            if (!outer.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                Report(DiagnosticDescriptors.ContainingTypeMustBePartial, outer.Identifier.GetLocation(), outer.Identifier.ValueText, type.Name);
            }

            string keyword = outer is RecordDeclarationSyntax record
                ? "record " + (record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "struct" : "class")
                : outer.Keyword.ValueText;
            containingTypes.Add(new ContainingType(keyword, Identifier(outer.Identifier.ValueText) + TypeParameterList(outer.TypeParameterList)));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!CheckSingleOptimizerAttribute(type, context))
        {
            return null;
        }

        AttributeData optimizer = context.Attributes[0];
        List<IMethodSymbol> elementRules = type.GetMembers().OfType<IMethodSymbol>()
            .Where(m => m.GetAttributes().Any(a => OptGenAttributeName(a) == nameof(ElementRuleAttribute)))
            .ToList();
        List<IMethodSymbol> beforeSteps = type.GetMembers().OfType<IMethodSymbol>()
            .Where(m => m.GetAttributes().Any(a => OptGenAttributeName(a) == nameof(BeforeStepAttribute)))
            .ToList();
        RuleDefinition? definition;
        ElementKind? ruleElement = null;
        if (optimizer.AttributeConstructor is { Parameters.Length: 0 })
        {
            definition = CustomRuleOf(type, elementRules, beforeSteps, context, out ruleElement);
            if (definition is null)
            {
                return null;
            }
        }
        else
        {
            definition = TryReadEnum(optimizer, 0, "Optimizer rule", out int ruleValue) && Enum.IsDefined(typeof(UpdateRule), ruleValue)
                ? RuleCatalog.For((UpdateRule)ruleValue)
                : null;
            if (definition is null)
            {
                if (!_failed)
                {
                    Report(DiagnosticDescriptors.UnreadableArgument, ArgumentLocation(optimizer, null, 0), "[Optimizer] rule");
                }

                return null;
            }

            foreach (IMethodSymbol method in elementRules)
            {
                Report(DiagnosticDescriptors.ElementRuleWithPreset, MemberLocation(method, identifier), type.Name, definition.DisplayName, method.Name);
            }

            foreach (IMethodSymbol method in beforeSteps)
            {
                Report(DiagnosticDescriptors.InvalidBeforeStep, MemberLocation(method, identifier), method.Name, $"it belongs to an [ElementRule] rule, but this class uses {definition.DisplayName}");
            }
        }

        OptionValues values = definition.Defaults();
        ElementKind element = ruleElement ?? ElementKind.Single;
        foreach (KeyValuePair<string, TypedConstant> named in optimizer.NamedArguments)
        {
            Location location = ArgumentLocation(optimizer, named.Key, -1);
            if (named.Key != nameof(OptimizerAttribute.ElementType))
            {
                values = ReadOption(definition, nameof(OptimizerAttribute), named.Key, named.Value, location, values);
                continue;
            }

            if (named.Value.Kind != TypedConstantKind.Type || named.Value.Value is not ITypeSymbol elementType)
            {
                if (named.Value.Kind == TypedConstantKind.Error || named.Value.IsNull)
                {
                    Report(DiagnosticDescriptors.UnreadableArgument, location, nameof(OptimizerAttribute.ElementType));
                }

                continue;
            }

            ParameterKind? lowPrecision = LowPrecisionKind(elementType);
            if (ruleElement is { } signature)
            {
                if (lowPrecision is { } kind && signature == ElementKind.Single)
                {
                    // A float rule over Half or BFloat16 parameters: widened to float, as the presets.
                    _parameters = kind;
                }
                else if (elementType.SpecialType != (signature == ElementKind.Single ? SpecialType.System_Single : SpecialType.System_Double))
                {
                    Report(DiagnosticDescriptors.InvalidElementRuleSignature, location, elementRules[0].Name, $"its elements are {(signature == ElementKind.Single ? "float" : "double")}, but ElementType is {elementType.ToDisplayString()}: remove ElementType, the signature sets it");
                }
            }
            else if (elementType.SpecialType == SpecialType.System_Double)
            {
                element = ElementKind.Double;
            }
            else if (lowPrecision is { } kind)
            {
                _parameters = kind;
            }
            else if (elementType.SpecialType != SpecialType.System_Single)
            {
                Report(DiagnosticDescriptors.UnsupportedElementType, location, elementType.ToDisplayString());
            }
        }

        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (OptGenAttributeName(attribute) is not { } name || name == nameof(OptimizerAttribute) || CollectSchedule(attribute, name))
            {
                continue;
            }

            if (name == nameof(NonFiniteGradientsAttribute))
            {
                ReadNonFiniteGradients(attribute);
            }
            else if (name is nameof(StateStorageAttribute) or nameof(MasterWeightsAttribute) or nameof(StochasticRoundingAttribute))
            {
                ReadPrecisionAttribute(attribute, name);
            }
            else if (name == nameof(ClipGradientNormAttribute))
            {
                ReadClipGradientNorm(attribute);
            }
            else if (name == nameof(FastMathAttribute))
            {
                _fastMath = true;
            }
            else if (RuleCatalog.IsOptionAttribute(name))
            {
                values = ReadOptionAttribute(definition, attribute, name, values);
                if (name == nameof(WeightDecayAttribute) && definition.AcceptsAttribute(name))
                {
                    ReadWeightDecayExclude(attribute);
                }
            }
        }

        definition.Validate(values, this);
        MixedPrecisionSpec? mixed = CheckPrecision(element);
        ScheduleSpec schedule = ParseSchedule(values[Options.LearningRate]);
        var spec = new OptimizerSpec(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            Identifier(type.Name),
            containingTypes.ToEquatableArray(),
            element,
            definition.Rule,
            values,
            schedule,
            _skipNonFiniteSteps,
            ClipGradientNorm: _clipGradientNorm,
            WeightDecayExclude: _weightDecayExclude.ToEquatableArray(),
            Mixed: mixed);
        if (!_failed)
        {
            // Lowered once, here: the collision check and the emitter see the same program.
            try
            {
                program = definition.Lower(values, weightDecayByTensor: _weightDecayExclude.Count > 0);
                if (_clipGradientNorm > 0 || mixed is not null)
                {
                    // Mixed precision: a loss-scaled step divides the gradients by the scale as the kernel reads them.
                    program = program.WithScaledGradients();
                }
            }
            catch (RuleTranslator.RejectedException)
            {
                // Reported where the construct is written.
                return null;
            }
            catch (InvalidOperationException exception) when (definition.Rule is null)
            {
                // A translated rule the IR cannot hold (e.g. more step-dependent branches than a kernel takes).
                Report(DiagnosticDescriptors.UnsupportedInElementRule, MemberLocation(elementRules[0], identifier), "this rule", exception.Message);
                return null;
            }

            if (definition.Rule is null)
            {
                spec = spec with { CustomRule = CustomRuleIdentity(program) };
            }

            if (_fastMath)
            {
                // After the identity: the rule's state means the same in both modes, so checkpoints load across them.
                program = Ir.FastMathRewriter.Rewrite(program);
            }

            CheckMemberCollisions(type, spec, program, identifier, cancellationToken);
        }

        return spec;
    }

    /// <summary>
    /// One class declares one rule. With two [Optimizer] attributes (on one declaration or on two partial parts) every
    /// one after the first is reported, by the part that carries it, and no part generates code.
    /// </summary>
    private bool CheckSingleOptimizerAttribute(INamedTypeSymbol type, GeneratorAttributeSyntaxContext context)
    {
        List<AttributeData> all = type.GetAttributes()
            .Where(a => OptGenAttributeName(a) == "OptimizerAttribute")
            .ToList();
        if (all.Count <= 1)
        {
            return true;
        }

        foreach (AttributeData attribute in context.Attributes)
        {
            int index = all.FindIndex(a => SameApplication(a, attribute));
            if (index > 0 && attribute.ApplicationSyntaxReference?.GetSyntax() is { } syntax)
            {
                Report(DiagnosticDescriptors.DuplicateOptimizerAttribute, syntax.GetLocation(), type.Name, all.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        _failed = true;
        return false;
    }

    /// <summary>
    /// A member the user wrote (or inherited) with the name of one OptGen generates would not compile, or would be
    /// hidden: report it at the user's member, naming what OptGen generates there.
    /// </summary>
    private void CheckMemberCollisions(INamedTypeSymbol type, OptimizerSpec spec, Ir.RuleProgram program, Location identifier, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, string> generated = Emit.GeneratedMembers.Of(spec, program);
        string className = type.Name;
        if (generated.TryGetValue(className, out string? role))
        {
            // C# forbids a member named like its enclosing type.
            Report(DiagnosticDescriptors.MemberNameCollision, identifier, className, role, "rename the class");
        }

        var reported = new HashSet<string>(StringComparer.Ordinal);
        for (INamedTypeSymbol? current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool inherited = !SymbolEqualityComparer.Default.Equals(current, type);
            foreach (ISymbol member in current.GetMembers())
            {
                if (member.IsImplicitlyDeclared || (inherited && member.DeclaredAccessibility == Accessibility.Private))
                {
                    continue;
                }

                string name = member.Name;
                string fix = inherited ? $"rename it in the base class {current.Name}" : "rename it";
                if (member is IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false } constructor)
                {
                    // The generated constructor takes the parameter count; any other constructor may coexist.
                    if (!inherited && constructor.Parameters.Length == 1 && constructor.Parameters[0].Type.SpecialType == SpecialType.System_Int32)
                    {
                        Report(DiagnosticDescriptors.MemberNameCollision, MemberLocation(constructor, identifier), className + "(int)", "the constructor that allocates the state", "remove it, or give it other parameters");
                    }

                    continue;
                }

                if (generated.TryGetValue(name, out string? what) && reported.Add(name))
                {
                    Report(DiagnosticDescriptors.MemberNameCollision, inherited ? identifier : MemberLocation(member, identifier), name, what, fix);
                }
            }
        }
    }

    /// <summary>The attribute's class name if it is one of OptGen's (namespace <c>OptGen</c>), else null.</summary>
    private static string? OptGenAttributeName(AttributeData attribute) =>
        attribute.AttributeClass is { } type && type.ContainingNamespace?.ToDisplayString() == AttributeNamespace ? type.Name : null;

    private static bool SameApplication(AttributeData a, AttributeData b) =>
        a.ApplicationSyntaxReference is { } x && b.ApplicationSyntaxReference is { } y && x.SyntaxTree == y.SyntaxTree && x.Span == y.Span;

    private static Location MemberLocation(ISymbol member, Location fallback) =>
        member.Locations.FirstOrDefault(l => l.IsInSource) ?? fallback;

    /// <summary>Reads the options written with one attribute: its first constructor argument and its named arguments.</summary>
    private OptionValues ReadOptionAttribute(RuleDefinition definition, AttributeData attribute, string name, OptionValues values)
    {
        Location attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? Location.None;
        if (!definition.AcceptsAttribute(name))
        {
            Report(
                DiagnosticDescriptors.NotApplicable,
                attributeLocation,
                $"[{Option.ShortName(name)}]",
                definition.DisplayName,
                $"it applies to {RuleCatalog.RulesAccepting(d => d.AcceptsAttribute(name))}; remove it");
            return values;
        }

        _attributeLocations[name] = attributeLocation;
        if (attribute.AttributeConstructor is { Parameters.Length: > 0 })
        {
            values = ReadOption(definition, name, null, Positional(attribute, 0), ArgumentLocation(attribute, null, 0), values);
        }

        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (name == nameof(WeightDecayAttribute) && named.Key == nameof(WeightDecayAttribute.Exclude))
            {
                continue; // not a rule option: ReadWeightDecayExclude
            }

            values = ReadOption(definition, name, named.Key, named.Value, ArgumentLocation(attribute, named.Key, -1), values);
        }

        return values;
    }

    /// <summary>Half or OptGen.BFloat16, or null for any other type.</summary>
    private static ParameterKind? LowPrecisionKind(ITypeSymbol type) =>
        type is INamedTypeSymbol { ContainingNamespace: { ContainingNamespace.IsGlobalNamespace: true } ns } named
            ? (ns.Name, named.Name) switch
            {
                ("System", "Half") => ParameterKind.Half,
                ("OptGen", "BFloat16") => ParameterKind.BFloat16,
                _ => null,
            }
            : null;

    /// <summary>[StateStorage], [MasterWeights] and [StochasticRounding]: read here, checked against the element type in <see cref="CheckPrecision"/>.</summary>
    private void ReadPrecisionAttribute(AttributeData attribute, string name)
    {
        Location location = attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? _identifier!;
        switch (name)
        {
            case nameof(StateStorageAttribute):
                if (!TryReadEnum(attribute, 0, "[StateStorage] storage", out int storage))
                {
                    return;
                }

                if (!Enum.IsDefined(typeof(StateStorage), storage))
                {
                    Report(DiagnosticDescriptors.UnreadableArgument, ArgumentLocation(attribute, null, 0), "[StateStorage] storage");
                    return;
                }

                _storage = (StateStorage)storage;
                _storageLocation = location;
                break;
            case nameof(MasterWeightsAttribute):
                _masterWeights = location;
                break;
            default:
                if (attribute.ConstructorArguments.Length != 1 || Positional(attribute, 0).Value is not long seed)
                {
                    Report(DiagnosticDescriptors.UnreadableArgument, ArgumentLocation(attribute, null, 0), "[StochasticRounding] seed");
                    return;
                }

                _stochasticRounding = location;
                _seed = seed;
                break;
        }
    }

    /// <summary>The mixed-precision storage, or null when parameters and state are of the element type; reports combinations that cannot work.</summary>
    private MixedPrecisionSpec? CheckPrecision(ElementKind element)
    {
        string parameters = _parameters switch
        {
            ParameterKind.Half => "Half",
            ParameterKind.BFloat16 => "BFloat16",
            _ => element == ElementKind.Single ? "float" : "double",
        };
        if (_masterWeights is { } master && _parameters == ParameterKind.Single)
        {
            Report(DiagnosticDescriptors.InvalidPrecisionCombination, master, "[MasterWeights]", $"keeps a float copy of Half or BFloat16 parameters, but this optimizer's parameters are {parameters}", "remove it, or set ElementType = typeof(OptGen.BFloat16) or typeof(Half)");
        }

        if (_stochasticRounding is { } stochastic)
        {
            if (_parameters != ParameterKind.BFloat16)
            {
                Report(DiagnosticDescriptors.InvalidPrecisionCombination, stochastic, "[StochasticRounding]", $"rounds BFloat16 parameters, but this optimizer's parameters are {parameters}", "remove it, or set ElementType = typeof(OptGen.BFloat16)");
            }
            else if (_masterWeights is not null)
            {
                Report(DiagnosticDescriptors.InvalidPrecisionCombination, stochastic, "[StochasticRounding]", "replaces master weights (the float copy keeps every update, so the parameters are rounded to nearest from it)", "remove [StochasticRounding] or [MasterWeights]");
            }
        }

        if (_storage != StateStorage.Float32 && element == ElementKind.Double && _storageLocation is { } storage)
        {
            Report(DiagnosticDescriptors.InvalidPrecisionCombination, storage, $"[StateStorage(StateStorage.{_storage})]", "stores the state of float, Half or BFloat16 optimizers, but this optimizer's elements are double", "remove it, or set ElementType = typeof(float)");
        }

        return _parameters == ParameterKind.Single && _storage == StateStorage.Float32 && _masterWeights is null && _stochasticRounding is null
            ? null
            : new MixedPrecisionSpec(_parameters, _storage, _masterWeights is not null, _stochasticRounding is not null, _seed);
    }

    private void ReadClipGradientNorm(AttributeData attribute)
    {
        Location location = ArgumentLocation(attribute, null, 0);
        if (attribute.ConstructorArguments.Length != 1 || !ReadDouble(Positional(attribute, 0), location, "[ClipGradientNorm]", out double maxNorm))
        {
            _failed |= attribute.ConstructorArguments.Length != 1;
            return;
        }

        if (!(maxNorm > 0))
        {
            Report(DiagnosticDescriptors.InvalidClipGradientNorm, location, Emit.Literal.Double(maxNorm));
            return;
        }

        _clipGradientNorm = maxNorm;
    }

    /// <summary>The tensor-name patterns of <c>[WeightDecay(Exclude = …)]</c>: each a non-empty string, none twice.</summary>
    private void ReadWeightDecayExclude(AttributeData attribute)
    {
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments.Where(n => n.Key == nameof(WeightDecayAttribute.Exclude)))
        {
            Location location = ArgumentLocation(attribute, named.Key, -1);
            if (named.Value.IsNull)
            {
                continue; // Exclude = null: nothing excluded
            }

            if (named.Value.Kind != TypedConstantKind.Array)
            {
                Report(DiagnosticDescriptors.UnreadableArgument, location, "[WeightDecay] Exclude");
                continue;
            }

            for (int i = 0; i < named.Value.Values.Length; i++)
            {
                string? pattern = named.Value.Values[i].Value as string;
                string? problem = pattern is null ? "is null"
                    : pattern.Length == 0 ? "is empty"
                    : _weightDecayExclude.Contains(pattern) ? "appears twice"
                    : null;
                if (problem is not null)
                {
                    Report(DiagnosticDescriptors.InvalidExcludePattern, location, pattern is null ? "number " + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : Emit.Literal.String(pattern), problem);
                    continue;
                }

                _weightDecayExclude.Add(pattern!);
            }
        }
    }

    /// <summary>Reads one option's value, if the rule accepts it, and checks it against the option's range.</summary>
    private OptionValues ReadOption(RuleDefinition definition, string attribute, string? property, TypedConstant constant, Location location, OptionValues values)
    {
        Option? option = definition.Find(attribute, property);
        if (option is null)
        {
            if (RuleCatalog.Known(attribute, property) is { } other)
            {
                Report(
                    DiagnosticDescriptors.NotApplicable,
                    location,
                    other.DisplayName,
                    definition.DisplayName,
                    definition.WhyNotApplicable(other) ?? $"it applies to {RuleCatalog.RulesAccepting(d => d.Find(attribute, property) is not null)}; remove it");
            }

            return values;
        }

        double value;
        switch (option.Kind)
        {
            case OptionKind.Flag when ReadBool(constant, location, option.DisplayName, out bool flag):
                value = flag ? 1 : 0;
                break;
            case OptionKind.Choice when TryReadEnum(constant, location, option.DisplayName, out int member):
                if (option.Choices is null || !Enum.IsDefined(option.Choices, member))
                {
                    Report(DiagnosticDescriptors.UnreadableArgument, location, option.DisplayName);
                    return values;
                }

                value = member;
                break;
            case OptionKind.Number when ReadDouble(constant, location, option.DisplayName, out double number):
                value = number;
                break;
            case OptionKind.Integer when ReadInteger(constant, location, option.DisplayName, out int integer):
                value = integer;
                break;
            default:
                return values;
        }

        _optionLocations[option.Key] = location;
        if (option.Range is { } range)
        {
            if (!range.Contains(value))
            {
                Report(range.Descriptor, location, range.Arguments(option.DisplayName, option.Show(value)));
            }
            else if (range.Warning is { } warning && warning.Applies(value))
            {
                Report(warning.Descriptor, location, option.Show(value));
            }
        }

        return values.With(option, value);
    }

    /// <summary>Reports a rule's check between options at the option as written, or its attribute, or the class.</summary>
    void IOptionReporter.Report(DiagnosticDescriptor descriptor, Option at, params string[] arguments) =>
        Report(
            descriptor,
            _optionLocations.TryGetValue(at.Key, out Location? written) ? written
            : _attributeLocations.TryGetValue(at.Attribute, out Location? attribute) ? attribute
            : _identifier,
            arguments);

    private void ReadNonFiniteGradients(AttributeData attribute)
    {
        if (TryReadEnum(attribute, 0, "NonFiniteGradients", out int policy))
        {
            if (!Enum.IsDefined(typeof(NonFiniteGradientPolicy), policy))
            {
                Report(DiagnosticDescriptors.UnreadableArgument, ArgumentLocation(attribute, null, 0), "[NonFiniteGradients]");
            }

            _skipNonFiniteSteps = policy == (int)NonFiniteGradientPolicy.SkipStep;
        }
    }

    private bool ReadDouble(TypedConstant constant, Location location, string what, out double value)
    {
        value = 0;
        switch (constant.Value)
        {
            case double d when constant.Kind == TypedConstantKind.Primitive:
                value = d;
                return true;
            default:
                Report(DiagnosticDescriptors.UnreadableArgument, location, what);
                return false;
        }
    }

    private bool ReadInteger(TypedConstant constant, Location location, string what, out int value)
    {
        value = constant.Value is int number ? number : 0;
        if (constant.Kind == TypedConstantKind.Primitive && constant.Value is int)
        {
            return true;
        }

        Report(DiagnosticDescriptors.UnreadableArgument, location, what);
        return false;
    }

    private bool ReadBool(TypedConstant constant, Location location, string what, out bool value)
    {
        value = constant.Value is true;
        if (constant.Kind == TypedConstantKind.Primitive && constant.Value is bool)
        {
            return true;
        }

        Report(DiagnosticDescriptors.UnreadableArgument, location, what);
        return false;
    }

    private bool TryReadEnum(TypedConstant constant, Location location, string what, out int value)
    {
        if (constant.Kind == TypedConstantKind.Enum && constant.Value is int number)
        {
            value = number;
            return true;
        }

        value = 0;
        Report(DiagnosticDescriptors.UnreadableArgument, location, what);
        return false;
    }

    private bool TryReadEnum(AttributeData attribute, int index, string what, out int value) =>
        TryReadEnum(Positional(attribute, index), ArgumentLocation(attribute, null, index), what, out value);

    // A missing positional argument (e.g. [BiasCorrection] relying on its default) is read from the constructor's default.
    private static TypedConstant Positional(AttributeData attribute, int index) =>
        index < attribute.ConstructorArguments.Length ? attribute.ConstructorArguments[index] : default;

    /// <summary>The location of a named or positional argument, falling back to the whole attribute.</summary>
    private static Location ArgumentLocation(AttributeData attribute, string? name, int index)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax() is not AttributeSyntax syntax)
        {
            return Location.None;
        }

        SeparatedSyntaxList<AttributeArgumentSyntax> arguments = syntax.ArgumentList?.Arguments ?? default;
        string? parameterName = index >= 0 && attribute.AttributeConstructor is { } constructor && index < constructor.Parameters.Length
            ? constructor.Parameters[index].Name
            : null;
        AttributeArgumentSyntax? argument = name is not null
            ? arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)
            : arguments.FirstOrDefault(a => a.NameColon is not null && a.NameColon.Name.Identifier.ValueText == parameterName)
              ?? arguments.Where(a => a.NameEquals is null && a.NameColon is null).ElementAtOrDefault(index);
        return (argument ?? (SyntaxNode)syntax).GetLocation();
    }

    private void Report(DiagnosticDescriptor descriptor, Location location, params string[] arguments)
    {
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));
        if (descriptor.DefaultSeverity == DiagnosticSeverity.Error)
        {
            _failed = true;
        }
    }

    private static string Show(double value) => Emit.Literal.Double(value);

    /// <summary>A containing type's type parameters as a partial declaration repeats them: names and variance, no attributes.</summary>
    private static string TypeParameterList(TypeParameterListSyntax? list) => list is null
        ? string.Empty
        : "<" + string.Join(", ", list.Parameters.Select(p => (p.VarianceKeyword.IsKind(SyntaxKind.None) ? string.Empty : p.VarianceKeyword.ValueText + " ") + Identifier(p.Identifier.ValueText))) + ">";

    /// <summary>The name as it must be written in C#: keywords need '@'.</summary>
    private static string Identifier(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
