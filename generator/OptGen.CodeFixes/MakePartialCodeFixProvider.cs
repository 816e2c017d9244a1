using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace OptGen.CodeFixes;

/// <summary>
/// OPTG001 and OPTG002: adds <c>partial</c> to the optimizer class, or to the type that contains it, whose identifier
/// the diagnostic points at.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFixProvider))]
[Shared]
public sealed class MakePartialCodeFixProvider : CodeFixProvider
{
    /// <summary>Equivalence key of the fix for OPTG001.</summary>
    public const string MakeOptimizerPartialKey = "OptGen.MakeOptimizerPartial";

    /// <summary>Equivalence key of the fix for OPTG002.</summary>
    public const string MakeContainingTypePartialKey = "OptGen.MakeContainingTypePartial";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticIds.ClassMustBePartial, DiagnosticIds.ContainingTypeMustBePartial);

    /// <summary>
    /// Each fix inserts one keyword before one type's keyword, so fixes of different types never overlap, and the fixes
    /// of one type reported several times (a containing type of two optimizers) are the same insertion, which the batch
    /// fixer applies once.
    /// </summary>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
            if (FindType(root, diagnostic.Location.SourceSpan) is not { } type)
            {
                continue;
            }

            Document document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Make '{type.Identifier.ValueText}' partial",
                    _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(type, AddPartial(type)))),
                    diagnostic.Id == DiagnosticIds.ClassMustBePartial ? MakeOptimizerPartialKey : MakeContainingTypePartialKey),
                diagnostic);
        }
    }

    /// <summary>The type declaration whose identifier is at <paramref name="span"/>, unless it is partial already.</summary>
    private static TypeDeclarationSyntax? FindType(SyntaxNode root, TextSpan span)
    {
        if (!root.FullSpan.Contains(span))
        {
            return null;
        }

        return root.FindToken(span.Start).Parent is TypeDeclarationSyntax type
            && type.Identifier.Span == span
            && !type.Modifiers.Any(SyntaxKind.PartialKeyword)
            ? type
            : null;
    }

    /// <summary>
    /// <paramref name="type"/> with <c>partial</c> as its last modifier, where C# requires it (right before
    /// <c>class</c>, <c>struct</c>, <c>interface</c> or <c>record</c>): <c>public sealed partial class</c>.
    /// </summary>
    private static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax type)
    {
        SyntaxTokenList modifiers = type.Modifiers;
        if (modifiers.Count == 0)
        {
            // The keyword starts the declaration after its attributes: partial takes over its leading trivia (indentation,
            // or the doc comment when there are no attributes).
            SyntaxToken keyword = type.Keyword;
            SyntaxToken partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
            return type
                .ReplaceToken(keyword, keyword.WithLeadingTrivia(SyntaxFactory.TriviaList()))
                .WithModifiers(SyntaxFactory.TokenList(partial));
        }

        // Whatever separated the last modifier from the keyword now separates partial from it.
        SyntaxToken last = modifiers[modifiers.Count - 1];
        SyntaxToken added = SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.PartialKeyword, last.TrailingTrivia);
        return type.WithModifiers(modifiers.Replace(last, last.WithTrailingTrivia(SyntaxFactory.Space)).Add(added));
    }
}
