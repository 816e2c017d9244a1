using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace OptGen.CodeFixes;

/// <summary>
/// OPTG016: removes the option that does not apply to the optimizer's update rule, which is the attribute the
/// diagnostic points at (<c>[Epsilon(1e-8)]</c> on SGD) or one named argument of it (<c>First = 0.9</c> of
/// <c>[MomentDecay]</c> on RMSprop).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveNotApplicableOptionCodeFixProvider))]
[Shared]
public sealed class RemoveNotApplicableOptionCodeFixProvider : CodeFixProvider
{
    /// <summary>Equivalence key of the fix.</summary>
    public const string RemoveOptionKey = "OptGen.RemoveNotApplicableOption";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.NotApplicable);

    /// <summary>
    /// All removals of a document at once: two options in one attribute list or argument list would each remove the
    /// separator between them, edits the batch fixer cannot merge and would drop.
    /// </summary>
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        ImmutableArray<SyntaxNode> removables = diagnostics
            .Select(diagnostic => OptionRemoval.FindRemovable(root, diagnostic.Location.SourceSpan))
            .OfType<SyntaxNode>()
            .ToImmutableArray();
        return removables.IsEmpty ? document : document.WithSyntaxRoot(OptionRemoval.RemoveAll(root, removables));
    });

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (OptionRemoval.FindRemovable(root, diagnostic.Location.SourceSpan) is not { } removable)
            {
                continue;
            }

            Document document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    OptionRemoval.Title(removable),
                    _ => Task.FromResult(document.WithSyntaxRoot(OptionRemoval.RemoveAll(root, [removable]))),
                    RemoveOptionKey),
                diagnostic);
        }
    }
}
