using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Emit;
using OptGen.Generator.Ir;
using OptGen.Generator.Model;
using OptGen.Generator.Parsing;

namespace OptGen.Generator;

/// <summary>The model the emitter consumes: the parsed spec and its rule lowered to the IR.</summary>
internal sealed record GenerationModel(OptimizerSpec Spec, RuleProgram Program);

/// <summary>Names of the pipeline steps, for incrementality tests.</summary>
public static class TrackingNames
{
    /// <summary>Attribute + class → spec and diagnostics.</summary>
    public const string Parse = nameof(Parse);

    /// <summary>Diagnostics of each class.</summary>
    public const string Diagnostics = nameof(Diagnostics);

    /// <summary>Spec and its program (lowered once, while parsing) → the emitter's model.</summary>
    public const string Lower = nameof(Lower);

    /// <summary>Project-wide kernel options (MSBuild properties).</summary>
    public const string Options = nameof(Options);

    /// <summary>Hint names shared by two optimizers (usually none).</summary>
    public const string HintNames = nameof(HintNames);
}

/// <summary>
/// Generates a fused SIMD optimizer step for every class marked <c>[OptGen.Optimizer]</c>. Only wires the pipeline:
/// <see cref="Parser"/> (which lowers the rule to the IR once, with its <see cref="Rules.RuleDefinition"/>) → <see cref="Emitter"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class OptimizerGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "OptGen.OptimizerAttribute",
                predicate: static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                transform: Parser.Parse)
            .WithTrackingName(TrackingNames.Parse);

        // Diagnostics are equatable data (path and span); they are re-attached to the compilation's syntax tree only when
        // reported, so that `#pragma warning disable OPTG0xx` and editorconfig severities apply to them.
        context.RegisterSourceOutput(
            parsed.Select(static (result, _) => result.Diagnostics).WithTrackingName(TrackingNames.Diagnostics)
                .Where(static diagnostics => diagnostics.Count > 0)
                .Combine(context.CompilationProvider),
            static (output, input) =>
            {
                foreach (DiagnosticInfo diagnostic in input.Left)
                {
                    output.ReportDiagnostic(diagnostic.ToDiagnostic(input.Right));
                }
            });

        IncrementalValuesProvider<GenerationModel> models = parsed
            .Where(static result => result.Spec is not null)
            .Select(static (result, _) => new GenerationModel(result.Spec!, result.Program!))
            .WithTrackingName(TrackingNames.Lower);

        IncrementalValueProvider<KernelOptions> options = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => KernelOptions.Read(
                provider.GlobalOptions.TryGetValue(KernelOptions.UnrollFactorProperty, out string? unroll) ? unroll : null))
            .WithTrackingName(TrackingNames.Options);

        IncrementalValueProvider<HintNameConflicts> hintNames = models
            .Select(static (model, _) => model.Spec)
            .Collect()
            .Select(static (specs, _) => HintNameConflicts.Find(specs))
            .WithTrackingName(TrackingNames.HintNames);

        context.RegisterSourceOutput(models.Combine(options).Combine(hintNames), static (output, input) =>
        {
            ((GenerationModel model, KernelOptions kernelOptions), HintNameConflicts conflicts) = input;
            string? hintName = conflicts.HintFor(model.Spec);
            if (hintName is null)
            {
                return; // the same type declared twice: the compiler reports it, and one source per name is all AddSource allows
            }

            string source;
            try
            {
                source = Emitter.Emit(model.Spec, model.Program, kernelOptions);
            }
            catch (Exception exception)
            {
                output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, model.Spec.ClassName, exception.Message));
                return;
            }

            output.AddSource(hintName, source);
        });
    }
}
