using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using OptGen.Generator.Contracts;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Model;
using OptGen.Generator.Rules;

namespace OptGen.Generator.Parsing;

/// <summary>Reading a class's own <c>[ElementRule]</c> method: the one method, its signature, and its body translated.</summary>
internal sealed partial class Parser
{
    private const string StepContextName = "StepContext";

    /// <summary>The definition of the class's own rule, or null (reported) if it has none, two, or one that does not fit.</summary>
    private RuleDefinition? CustomRuleOf(INamedTypeSymbol type, List<IMethodSymbol> elementRules, List<IMethodSymbol> beforeSteps, GeneratorAttributeSyntaxContext context, out ElementKind? element)
    {
        element = null;
        if (elementRules.Count == 0)
        {
            Report(DiagnosticDescriptors.ElementRuleMissing, _identifier, type.Name);
            return null;
        }

        if (elementRules.Count > 1)
        {
            foreach (IMethodSymbol extra in elementRules.Skip(1))
            {
                Report(DiagnosticDescriptors.DuplicateElementRule, MemberLocation(extra, _identifier), type.Name, elementRules.Count.ToString(CultureInfo.InvariantCulture));
            }

            return null;
        }

        if (beforeSteps.Count > 1)
        {
            foreach (IMethodSymbol extra in beforeSteps.Skip(1))
            {
                Report(DiagnosticDescriptors.InvalidBeforeStep, MemberLocation(extra, _identifier), extra.Name, $"the class has {beforeSteps.Count.ToString(CultureInfo.InvariantCulture)} [BeforeStep] methods; keep one");
            }

            return null;
        }

        var scalars = new List<RuleTranslator.ScalarParameter>();
        RuleTranslator.Method? beforeStep = null;
        if (beforeSteps.Count == 1)
        {
            if (!CheckBeforeStep(beforeSteps[0], scalars) || BodyOf(beforeSteps[0], "[BeforeStep]", context) is not { } beforeBody)
            {
                return null;
            }

            beforeStep = new RuleTranslator.Method(beforeSteps[0], beforeBody);
        }

        IMethodSymbol method = elementRules[0];
        if (!CheckSignature(method, scalars, out ElementKind kind, out List<RuleTranslator.StateParameter> states))
        {
            return null;
        }

        if (BodyOf(method, "[ElementRule]", context) is not { } body)
        {
            return null;
        }

        element = kind;
        return new CustomRule(
            type.Name + "." + method.Name,
            RuleTranslator.Body(new RuleTranslator.Method(method, body), kind, states, beforeStep, scalars, (descriptor, location, arguments) => Report(descriptor, location, arguments)));
    }

    /// <summary>The body of a rule's method, or null (reported) if it cannot be translated.</summary>
    private IOperation? BodyOf(IMethodSymbol method, string attribute, GeneratorAttributeSyntaxContext context)
    {
        // The body is read from the attribute's file only: the pipeline re-reads a class when that file changes, so a
        // body elsewhere could change without regenerating.
        SyntaxNode? syntax = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).FirstOrDefault();
        if (syntax is null || syntax.SyntaxTree != context.SemanticModel.SyntaxTree)
        {
            Report(DiagnosticDescriptors.UnsupportedInElementRule, MemberLocation(method, _identifier), $"an {attribute} method in another file than its class's [Optimizer]", "declare the method in the part of the class that carries [Optimizer]");
            return null;
        }

        IOperation? body = context.SemanticModel.GetOperation(syntax);
        if (body is null)
        {
            Report(DiagnosticDescriptors.UnsupportedInElementRule, MemberLocation(method, _identifier), "a method without a body", "write the method's body");
            return null;
        }

        if (body.Syntax.ContainsDiagnostics)
        {
            // The compiler reports it; a rule that does not compile generates nothing.
            _failed = true;
            return null;
        }

        return body;
    }

    /// <summary>Checks <c>static void (ref S state…[, StepContext step])</c> with S float or double; reports the first problem.</summary>
    private bool CheckBeforeStep(IMethodSymbol method, List<RuleTranslator.ScalarParameter> scalars)
    {
        Location at = MemberLocation(method, _identifier);
        string? problem = !method.IsStatic ? "it is not static"
            : !method.ReturnsVoid ? $"it returns {method.ReturnType.ToDisplayString()}, not void"
            : method.IsGenericMethod ? "it is generic"
            : null;
        if (problem is not null)
        {
            Report(DiagnosticDescriptors.InvalidBeforeStep, at, method.Name, problem);
            return false;
        }

        for (int i = 0; i < method.Parameters.Length; i++)
        {
            IParameterSymbol parameter = method.Parameters[i];
            Location location = MemberLocation(parameter, at);
            string? wrong = IsStepContext(parameter.Type)
                ? i != method.Parameters.Length - 1 ? $"the StepContext '{parameter.Name}' must be the last parameter"
                    : parameter.RefKind != RefKind.None ? $"the StepContext '{parameter.Name}' must be passed by value"
                    : null
                : parameter.Type.SpecialType is not (SpecialType.System_Single or SpecialType.System_Double) ? $"'{parameter.Name}' is {parameter.Type.ToDisplayString()}; a per-step state is float or double"
                : parameter.RefKind != RefKind.Ref ? $"the per-step state '{parameter.Name}' must be passed by 'ref' (it persists across steps)"
                : null;
            if (wrong is not null)
            {
                Report(DiagnosticDescriptors.InvalidBeforeStep, location, method.Name, wrong);
                return false;
            }

            if (IsStepContext(parameter.Type))
            {
                continue;
            }

            bool single = parameter.Type.SpecialType == SpecialType.System_Single;
            if (!ReadInitialValue(parameter, out double initial, (l, why) => Report(DiagnosticDescriptors.InvalidBeforeStep, l, method.Name, why)))
            {
                return false;
            }

            (string name, string checkpointName) = RuleTranslator.StateNames(parameter.Name);
            scalars.Add(new RuleTranslator.ScalarParameter(parameter.Name, name, checkpointName, single, single ? (float)initial : initial));
        }

        if (scalars.Count == 0)
        {
            Report(DiagnosticDescriptors.InvalidBeforeStep, at, method.Name, "it has no per-step state; compute per-step values in the [ElementRule] method, where they are hoisted");
            return false;
        }

        return true;
    }

    /// <summary>Reads a parameter's <c>[InitialValue]</c> (0 without one); reports a value that is not a finite number.</summary>
    private bool ReadInitialValue(IParameterSymbol parameter, out double initial, Action<Location, string> report)
    {
        initial = 0;
        foreach (AttributeData attribute in parameter.GetAttributes().Where(a => OptGenAttributeName(a) == nameof(InitialValueAttribute)))
        {
            if (!ReadDouble(Positional(attribute, 0), ArgumentLocation(attribute, null, 0), "[InitialValue]", out initial))
            {
                return false;
            }

            if (double.IsNaN(initial) || double.IsInfinity(initial))
            {
                report(ArgumentLocation(attribute, null, 0), $"the initial value of '{parameter.Name}' must be finite");
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks <c>static void (ref T parameter, T gradient, ref T state…[, StepContext step])</c>; reports the first problem.</summary>
    private bool CheckSignature(IMethodSymbol method, IReadOnlyList<RuleTranslator.ScalarParameter> scalars, out ElementKind element, out List<RuleTranslator.StateParameter> states)
    {
        element = ElementKind.Single;
        states = new List<RuleTranslator.StateParameter>();
        Location at = MemberLocation(method, _identifier);
        string? problem = !method.IsStatic ? "it is not static"
            : !method.ReturnsVoid ? $"it returns {method.ReturnType.ToDisplayString()}, not void"
            : method.IsGenericMethod ? "it is generic"
            : method.Parameters.Length < 2 ? "it needs at least the parameter and the gradient"
            : null;
        if (problem is not null)
        {
            Report(DiagnosticDescriptors.InvalidElementRuleSignature, at, method.Name, problem);
            return false;
        }

        IParameterSymbol first = method.Parameters[0];
        if (first.RefKind != RefKind.Ref || first.Type.SpecialType is not (SpecialType.System_Single or SpecialType.System_Double))
        {
            Report(DiagnosticDescriptors.InvalidElementRuleSignature, MemberLocation(first, at), method.Name, $"the first parameter '{first.Name}' must be 'ref float' or 'ref double' (the parameter, updated in place)");
            return false;
        }

        SpecialType t = first.Type.SpecialType;
        string tName = first.Type.ToDisplayString();
        element = t == SpecialType.System_Double ? ElementKind.Double : ElementKind.Single;
        int last = method.Parameters.Length;
        if (IsStepContext(method.Parameters[last - 1].Type))
        {
            last--;
        }

        bool readingScalars = false;
        for (int i = 1; i < method.Parameters.Length; i++)
        {
            IParameterSymbol parameter = method.Parameters[i];
            Location location = MemberLocation(parameter, at);
            if (i > 1 && i < last && parameter.RefKind == RefKind.None && parameter.Type.SpecialType is SpecialType.System_Single or SpecialType.System_Double)
            {
                // A per-step state's value after the [BeforeStep] method, read by value.
                RuleTranslator.ScalarParameter? scalar = scalars.FirstOrDefault(s => s.ParameterName == parameter.Name);
                string? mismatch = scalar is null
                    ? scalars.Count == 0
                        ? $"'{parameter.Name}' is passed by value, but the class has no [BeforeStep] method; a state is passed by 'ref', a per-step state is a 'ref' parameter of a [BeforeStep] method"
                        : $"'{parameter.Name}' is passed by value, but the [BeforeStep] method has no per-step state of that name; pass a state by 'ref', or name a per-step state ({string.Join(", ", scalars.Select(s => s.ParameterName))})"
                    : scalar.Single != (parameter.Type.SpecialType == SpecialType.System_Single)
                        ? $"'{parameter.Name}' is {parameter.Type.ToDisplayString()}, but the per-step state of that name is {(scalar.Single ? "float" : "double")}"
                    : null;
                if (mismatch is not null)
                {
                    Report(DiagnosticDescriptors.InvalidElementRuleSignature, location, method.Name, mismatch);
                    return false;
                }

                readingScalars = true;
                continue;
            }

            if (readingScalars && i < last)
            {
                Report(DiagnosticDescriptors.InvalidElementRuleSignature, location, method.Name, $"the state '{parameter.Name}' comes after a per-step state; the states come first");
                return false;
            }

            string? wrong = IsStepContext(parameter.Type)
                ? i != method.Parameters.Length - 1 ? $"the StepContext '{parameter.Name}' must be the last parameter"
                    : parameter.RefKind != RefKind.None ? $"the StepContext '{parameter.Name}' must be passed by value"
                    : null
                : parameter.Type.SpecialType is SpecialType.System_Single or SpecialType.System_Double && parameter.Type.SpecialType != t
                    ? $"mixed element types: '{parameter.Name}' is {parameter.Type.ToDisplayString()}, but the parameter is {tName}"
                : parameter.Type.SpecialType != t ? $"'{parameter.Name}' is {parameter.Type.ToDisplayString()}; after the parameter come the gradient and the states, all {tName}, then an optional StepContext"
                : i == 1 && parameter.RefKind != RefKind.None ? $"the gradient '{parameter.Name}' must be passed by value (it is read-only)"
                : i > 1 && parameter.RefKind != RefKind.Ref ? $"the state '{parameter.Name}' must be passed by 'ref' (it persists across steps)"
                : null;
            if (wrong is not null)
            {
                Report(DiagnosticDescriptors.InvalidElementRuleSignature, location, method.Name, wrong);
                return false;
            }

            if (i < 2 || i >= last)
            {
                continue;
            }

            if (!ReadInitialValue(parameter, out double initial, (l, why) => Report(DiagnosticDescriptors.InvalidElementRuleSignature, l, method.Name, why)))
            {
                return false;
            }

            (string stream, string checkpointName) = RuleTranslator.StateNames(parameter.Name);
            if (states.Any(s => s.CheckpointName == checkpointName) || scalars.Any(s => s.CheckpointName == checkpointName))
            {
                Report(DiagnosticDescriptors.InvalidElementRuleSignature, location, method.Name, $"the states '{parameter.Name}' and another have the same checkpoint name '{checkpointName}'; rename one");
                return false;
            }

            bool tensorNorm = parameter.GetAttributes().Any(a => OptGenAttributeName(a) == nameof(TensorNormAttribute));
            if (tensorNorm && states.Any(s => s.TensorNorm))
            {
                Report(DiagnosticDescriptors.InvalidElementRuleSignature, location, method.Name, $"'{parameter.Name}' is a second [TensorNorm] state; a two-pass rule takes the norm of one state");
                return false;
            }

            states.Add(new RuleTranslator.StateParameter(stream, checkpointName, initial, tensorNorm));
        }

        if (states.Count > Ir.RuleBuilder.MaxStates)
        {
            Report(DiagnosticDescriptors.InvalidElementRuleSignature, at, method.Name, $"it has {states.Count} states; at most {Ir.RuleBuilder.MaxStates} are supported");
            return false;
        }

        return true;
    }

    private static bool IsStepContext(ITypeSymbol type) =>
        type.Name == StepContextName && type.ContainingNamespace?.ToDisplayString() == AttributeNamespace;

    /// <summary>A short, stable identity of a translated rule for the checkpoint fingerprint: a hash of its equations and states.</summary>
    private static string CustomRuleIdentity(Ir.RuleProgram program)
    {
        var text = new System.Text.StringBuilder();
        foreach (Ir.StreamDecl stream in program.Streams)
        {
            text.Append(stream.Name).Append('=').Append(Show(stream.InitialValue)).Append(';');
        }

        foreach (string line in Ir.RuleFormatter.ScalarLines(program).Concat(Ir.RuleFormatter.BodyLines(program, ElementKind.Double)))
        {
            text.Append(line).Append('\n');
        }

        // FNV-1a, 64 bits: stable across processes and platforms.
        ulong hash = 14695981039346656037;
        foreach (char c in text.ToString())
        {
            hash = unchecked((hash ^ c) * 1099511628211);
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
