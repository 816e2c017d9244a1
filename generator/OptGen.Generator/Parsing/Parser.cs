using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Model;

namespace OptGen.Generator.Parsing;

/// <summary>The parser's output: a spec to emit (null if the declaration is invalid) and the diagnostics found.</summary>
/// <summary>What parsing one class gives: its spec and its rule lowered once (both null if the class is rejected), and the diagnostics.</summary>
internal sealed record ParseResult(OptimizerSpec? Spec, Ir.RuleProgram? Program, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>Turns an <c>[Optimizer]</c> class and its attributes into an <see cref="OptimizerSpec"/>, validating every value.</summary>
internal sealed partial class Parser
{
    private const string AttributeNamespace = "OptGen";

    private readonly List<DiagnosticInfo> _diagnostics = new();
    private bool _failed;
    private bool _skipNonFiniteSteps;

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
        if (!TryReadEnum(optimizer, 0, "Optimizer rule", out int ruleValue) || !Enum.IsDefined(typeof(UpdateRule), ruleValue))
        {
            if (!_failed)
            {
                Report(DiagnosticDescriptors.UnreadableArgument, ArgumentLocation(optimizer, null, 0), "[Optimizer] rule");
            }

            return null;
        }

        var rule = (UpdateRule)ruleValue;
        Hyperparameters h = Hyperparameters.Defaults(rule);
        var element = ElementKind.Single;

        foreach (KeyValuePair<string, TypedConstant> named in optimizer.NamedArguments)
        {
            Location location = ArgumentLocation(optimizer, named.Key, -1);
            switch (named.Key)
            {
                case "LearningRate" when ReadDouble(named.Value, location, "LearningRate", out double lr):
                    if (!(lr > 0) || double.IsInfinity(lr))
                    {
                        Report(DiagnosticDescriptors.InvalidLearningRate, location, Show(lr));
                    }

                    h = h with { LearningRate = lr };
                    break;
                case "Maximize" when ReadBool(named.Value, location, "Maximize", out bool maximize):
                    h = h with { Maximize = maximize };
                    break;
                case "ElementType":
                    if (named.Value.Kind != TypedConstantKind.Type || named.Value.Value is not ITypeSymbol elementType)
                    {
                        if (named.Value.Kind == TypedConstantKind.Error || named.Value.IsNull)
                        {
                            Report(DiagnosticDescriptors.UnreadableArgument, location, "ElementType");
                        }

                        break;
                    }

                    if (elementType.SpecialType == SpecialType.System_Double)
                    {
                        element = ElementKind.Double;
                    }
                    else if (elementType.SpecialType != SpecialType.System_Single)
                    {
                        Report(DiagnosticDescriptors.UnsupportedElementType, location, elementType.ToDisplayString());
                    }

                    break;
            }
        }

        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (OptGenAttributeName(attribute) is { } name && !CollectSchedule(attribute, name))
            {
                h = ReadOption(attribute, name, h);
            }
        }

        if (h.Rule is UpdateRule.Adam or UpdateRule.AdamW && h.Beta2 < h.Beta1)
        {
            AttributeData? decays = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.Name == "MomentDecayAttribute");
            Report(DiagnosticDescriptors.SecondDecayBelowFirst, decays is null ? identifier : ArgumentLocation(decays, "Second", -1), Show(h.Beta2), Show(h.Beta1));
        }

        ScheduleSpec schedule = ParseSchedule(h.LearningRate);
        var spec = new OptimizerSpec(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            Identifier(type.Name),
            containingTypes.ToEquatableArray(),
            element,
            h,
            schedule,
            _skipNonFiniteSteps);
        if (!_failed)
        {
            // Lowered once, here: the collision check and the emitter see the same program.
            program = Ir.RuleLibrary.Lower(spec.Hyperparameters);
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

    private Hyperparameters ReadOption(AttributeData attribute, string name, Hyperparameters h)
    {
        UpdateRule rule = h.Rule;
        bool adam = rule is UpdateRule.Adam or UpdateRule.AdamW;
        Location attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? Location.None;
        switch (name)
        {
            case "MomentDecayAttribute":
                if (!adam && rule != UpdateRule.RMSprop)
                {
                    Report(DiagnosticDescriptors.NotApplicable, attributeLocation, "[MomentDecay]", RuleName(rule), "only Adam, AdamW and RMSprop keep moving averages; remove it");
                }

                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    Location location = ArgumentLocation(attribute, named.Key, -1);
                    if (!ReadDouble(named.Value, location, "MomentDecay." + named.Key, out double decay))
                    {
                        continue;
                    }

                    CheckDecay(decay, "MomentDecay." + named.Key, location);
                    if (named.Key == "First")
                    {
                        if (rule == UpdateRule.RMSprop)
                        {
                            Report(DiagnosticDescriptors.NotApplicable, location, "MomentDecay.First", RuleName(rule), "RMSprop keeps only a second moment; its decay (alpha) is MomentDecay.Second");
                        }

                        h = h with { Beta1 = decay };
                    }
                    else if (named.Key == "Second")
                    {
                        h = h with { Beta2 = decay };
                    }
                }

                break;

            case "EpsilonAttribute":
                if (rule == UpdateRule.Sgd)
                {
                    Report(DiagnosticDescriptors.NotApplicable, attributeLocation, "[Epsilon]", RuleName(rule), "SGD has no denominator; remove it");
                }

                if (ReadDouble(Positional(attribute, 0), ArgumentLocation(attribute, null, 0), "Epsilon", out double epsilon))
                {
                    if (!(epsilon > 0) || double.IsInfinity(epsilon))
                    {
                        Report(DiagnosticDescriptors.InvalidEpsilon, ArgumentLocation(attribute, null, 0), Show(epsilon));
                    }
                    else if (epsilon > 1e-3)
                    {
                        Report(DiagnosticDescriptors.LargeEpsilon, ArgumentLocation(attribute, null, 0), Show(epsilon));
                    }

                    h = h with { Epsilon = epsilon };
                }

                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    Location location = ArgumentLocation(attribute, named.Key, -1);
                    if (named.Key == "Placement" && TryReadEnum(named.Value, location, "Epsilon.Placement", out int placement))
                    {
                        if (!Enum.IsDefined(typeof(EpsilonPlacement), placement))
                        {
                            Report(DiagnosticDescriptors.UnreadableArgument, location, "Epsilon.Placement");
                        }

                        h = h with { EpsilonPlacement = (EpsilonPlacement)placement };
                    }
                }

                break;

            case "BiasCorrectionAttribute":
                if (!adam)
                {
                    Report(DiagnosticDescriptors.NotApplicable, attributeLocation, "[BiasCorrection]", RuleName(rule), "only Adam and AdamW correct the bias of their moments; remove it");
                }

                if (ReadBool(Positional(attribute, 0), ArgumentLocation(attribute, null, 0), "BiasCorrection", out bool correct))
                {
                    h = h with { BiasCorrection = correct };
                }

                break;

            case "WeightDecayAttribute":
                if (ReadDouble(Positional(attribute, 0), ArgumentLocation(attribute, null, 0), "WeightDecay", out double weightDecay))
                {
                    CheckNonNegative(weightDecay, "WeightDecay", ArgumentLocation(attribute, null, 0));
                    h = h with { WeightDecay = weightDecay };
                }

                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    Location location = ArgumentLocation(attribute, named.Key, -1);
                    if (named.Key == "Decoupled" && ReadBool(named.Value, location, "WeightDecay.Decoupled", out bool decoupled))
                    {
                        if (rule == UpdateRule.AdamW && !decoupled)
                        {
                            Report(DiagnosticDescriptors.NotApplicable, location, "Decoupled = false", RuleName(rule), "AdamW's weight decay is decoupled by definition; use UpdateRule.Adam for L2 weight decay");
                        }

                        h = h with { DecoupledWeightDecay = decoupled };
                    }
                }

                break;

            case "MomentumAttribute":
                if (rule is not (UpdateRule.Sgd or UpdateRule.RMSprop))
                {
                    Report(DiagnosticDescriptors.NotApplicable, attributeLocation, "[Momentum]", RuleName(rule), "only SGD and RMSprop have a momentum buffer; remove it");
                }

                if (ReadDouble(Positional(attribute, 0), ArgumentLocation(attribute, null, 0), "Momentum", out double momentum))
                {
                    CheckDecay(momentum, "Momentum", ArgumentLocation(attribute, null, 0));
                    h = h with { Momentum = momentum };
                }

                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    Location location = ArgumentLocation(attribute, named.Key, -1);
                    if (rule == UpdateRule.RMSprop && named.Key is "Dampening" or "Nesterov")
                    {
                        Report(DiagnosticDescriptors.NotApplicable, location, "Momentum." + named.Key, RuleName(rule), "only SGD's momentum has it; remove it");
                    }

                    if (named.Key == "Dampening" && ReadDouble(named.Value, location, "Momentum.Dampening", out double dampening))
                    {
                        if (!(dampening >= 0 && dampening <= 1))
                        {
                            Report(DiagnosticDescriptors.InvalidDecay, location, "Momentum.Dampening", Show(dampening), "at least 0 and at most 1");
                        }

                        h = h with { Dampening = dampening };
                    }
                    else if (named.Key == "Nesterov" && ReadBool(named.Value, location, "Momentum.Nesterov", out bool nesterov))
                    {
                        h = h with { Nesterov = nesterov };
                    }
                }

                if (h.Nesterov && (h.Momentum <= 0 || h.Dampening != 0))
                {
                    Report(DiagnosticDescriptors.InvalidNesterov, ArgumentLocation(attribute, "Nesterov", -1));
                }

                break;

            case "AmsGradAttribute":
                if (!adam)
                {
                    Report(DiagnosticDescriptors.NotApplicable, attributeLocation, "[AmsGrad]", RuleName(rule), "AMSGrad is a variant of Adam; remove it");
                }

                if (ReadBool(Positional(attribute, 0), ArgumentLocation(attribute, null, 0), "AmsGrad", out bool amsGrad))
                {
                    h = h with { AmsGrad = amsGrad };
                }

                break;

            case "CenteredAttribute":
                if (rule != UpdateRule.RMSprop)
                {
                    Report(DiagnosticDescriptors.NotApplicable, attributeLocation, "[Centered]", RuleName(rule), "only RMSprop can be centered; remove it");
                }

                if (ReadBool(Positional(attribute, 0), ArgumentLocation(attribute, null, 0), "Centered", out bool centered))
                {
                    h = h with { Centered = centered };
                }

                break;

            case "NonFiniteGradientsAttribute":
                if (TryReadEnum(attribute, 0, "NonFiniteGradients", out int policy))
                {
                    if (policy is not (0 or 1))
                    {
                        Report(DiagnosticDescriptors.UnreadableArgument, ArgumentLocation(attribute, null, 0), "[NonFiniteGradients]");
                    }

                    _skipNonFiniteSteps = policy == 1;
                }

                break;

            case "LearningRateDecayAttribute":
            case "InitialAccumulatorAttribute":
                string option = name.Substring(0, name.Length - "Attribute".Length);
                if (rule != UpdateRule.AdaGrad)
                {
                    Report(DiagnosticDescriptors.NotApplicable, attributeLocation, $"[{option}]", RuleName(rule), "it is an AdaGrad option; remove it");
                }

                if (ReadDouble(Positional(attribute, 0), ArgumentLocation(attribute, null, 0), option, out double value))
                {
                    CheckNonNegative(value, option, ArgumentLocation(attribute, null, 0));
                    h = name == "LearningRateDecayAttribute" ? h with { LearningRateDecay = value } : h with { InitialAccumulator = value };
                }

                break;
        }

        return h;
    }

    private void CheckDecay(double value, string what, Location location)
    {
        if (!(value >= 0 && value < 1))
        {
            Report(DiagnosticDescriptors.InvalidDecay, location, what, Show(value), "at least 0 and less than 1");
        }
    }

    private void CheckNonNegative(double value, string what, Location location)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            Report(DiagnosticDescriptors.InvalidNonNegative, location, what, Show(value));
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

    private static string RuleName(UpdateRule rule) => "UpdateRule." + rule switch
    {
        UpdateRule.Sgd => "Sgd",
        UpdateRule.AdaGrad => "AdaGrad",
        UpdateRule.RMSprop => "RMSprop",
        UpdateRule.Adam => "Adam",
        _ => "AdamW",
    };

    private static string Show(double value) => Emit.Literal.Double(value);

    /// <summary>A containing type's type parameters as a partial declaration repeats them: names and variance, no attributes.</summary>
    private static string TypeParameterList(TypeParameterListSyntax? list) => list is null
        ? string.Empty
        : "<" + string.Join(", ", list.Parameters.Select(p => (p.VarianceKeyword.IsKind(SyntaxKind.None) ? string.Empty : p.VarianceKeyword.ValueText + " ") + Identifier(p.Identifier.ValueText))) + ">";

    /// <summary>The name as it must be written in C#: keywords need '@'.</summary>
    private static string Identifier(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
