using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace OptGen.CodeFixes;

/// <summary>
/// Removes attributes and named attribute arguments from a syntax tree, leaving the rest of the text as it was written:
/// an attribute list left empty goes with its line, an argument list left empty goes with its parentheses.
/// </summary>
internal static class OptionRemoval
{
    /// <summary>
    /// The attribute, or the named attribute argument, that is exactly at <paramref name="span"/>; null for anything else
    /// (a positional argument cannot go without breaking the constructor call, and [Optimizer] is never removable).
    /// </summary>
    public static SyntaxNode? FindRemovable(SyntaxNode root, TextSpan span)
    {
        if (!root.FullSpan.Contains(span))
        {
            return null;
        }

        foreach (SyntaxNode node in root.FindNode(span).AncestorsAndSelf())
        {
            if (node.Span != span)
            {
                break;
            }

            switch (node)
            {
                case AttributeArgumentSyntax { NameEquals: not null, Parent: AttributeArgumentListSyntax }:
                    return node;
                case AttributeSyntax { Parent: AttributeListSyntax } attribute:
                    return IsOptimizerAttribute(attribute) ? null : attribute;
            }
        }

        return null;
    }

    /// <summary>How the fix is offered: <c>Remove [Epsilon]</c>, <c>Remove 'First = 0.9'</c>.</summary>
    public static string Title(SyntaxNode removable) => removable is AttributeSyntax attribute
        ? $"Remove [{attribute.Name}]"
        : $"Remove '{removable}'";

    /// <summary>
    /// <paramref name="root"/> without <paramref name="removables"/> (from <see cref="FindRemovable"/>); one that lies
    /// inside another goes with it.
    /// </summary>
    public static SyntaxNode RemoveAll(SyntaxNode root, IEnumerable<SyntaxNode> removables)
    {
        List<SyntaxNode> distinct = removables.Distinct().ToList();
        List<SyntaxNode> outermost = distinct.Where(node => !node.Ancestors().Any(distinct.Contains)).ToList();
        root = root.TrackNodes(outermost);
        foreach (SyntaxNode original in outermost)
        {
            if (root.GetCurrentNode(original) is { } current)
            {
                root = Remove(root, current);
            }
        }

        return root;
    }

    private static SyntaxNode Remove(SyntaxNode root, SyntaxNode removable)
    {
        switch (removable)
        {
            case AttributeArgumentSyntax { Parent: AttributeArgumentListSyntax { Parent: AttributeSyntax attribute } arguments } when arguments.Arguments.Count == 1:
                // [MomentDecay(First = 0.9)] becomes [MomentDecay], not [MomentDecay()].
                AttributeSyntax bare = attribute
                    .WithName(attribute.Name.WithoutTrailingTrivia())
                    .WithArgumentList(null)
                    .WithTrailingTrivia(arguments.GetTrailingTrivia());
                return root.ReplaceNode(attribute, bare);

            case AttributeSyntax { Parent: AttributeListSyntax list } when list.Attributes.Count == 1:
                return RemoveAttributeList(root, list);

            default:
                // One of several in a separated list: the separator next to it goes too, with the node's own trivia.
                return root.RemoveNode(removable, SyntaxRemoveOptions.KeepNoTrivia) ?? root;
        }
    }

    /// <summary>
    /// Removes <paramref name="list"/>. On a line of its own the line goes, but not the comments or doc comment above it,
    /// which move to what follows; sharing a line, only the list and the space after it go.
    /// </summary>
    private static SyntaxNode RemoveAttributeList(SyntaxNode root, AttributeListSyntax list)
    {
        AttributeListSyntax original = list;
        root = root.TrackNodes(original);
        list = root.GetCurrentNode(original)!;
        SyntaxToken open = list.OpenBracketToken;
        SyntaxToken close = list.CloseBracketToken;
        SyntaxToken previous = open.GetPreviousToken(includeZeroWidth: true);
        SyntaxToken next = close.GetNextToken(includeZeroWidth: true);

        // The trailing trivia of a token runs to the end of its line, so a list starts a line exactly when the token
        // before it ended one.
        bool startsLine = previous.IsKind(SyntaxKind.None) || previous.TrailingTrivia.Any(SyntaxKind.EndOfLineTrivia);
        bool endsLine = close.TrailingTrivia.Any(SyntaxKind.EndOfLineTrivia);

        var replacements = new Dictionary<SyntaxToken, SyntaxToken>();
        if (!endsLine)
        {
            // `[Epsilon(1e-8)] public partial class Opt;`: what follows takes the list's place on the line.
            SyntaxTriviaList kept = OnlyWhitespace(close.TrailingTrivia) ? default : close.TrailingTrivia;
            replacements[next] = next.WithLeadingTrivia(open.LeadingTrivia.AddRange(kept).AddRange(next.LeadingTrivia));
        }
        else if (startsLine)
        {
            // The list's own line: its indentation goes, anything above it on other lines stays.
            replacements[next] = next.WithLeadingTrivia(WithoutTrailingWhitespace(open.LeadingTrivia).AddRange(next.LeadingTrivia));
        }
        else
        {
            // `[Optimizer(UpdateRule.Sgd)] [Epsilon(1e-8)]`, then a line break: the line now ends after the token before.
            replacements[previous] = previous.WithTrailingTrivia(WithoutTrailingWhitespace(previous.TrailingTrivia).AddRange(close.TrailingTrivia));
        }

        root = root.ReplaceTokens(replacements.Keys, (original, _) => replacements[original]);
        return root.RemoveNode(root.GetCurrentNode(original)!, SyntaxRemoveOptions.KeepNoTrivia) ?? root;
    }

    private static bool IsOptimizerAttribute(AttributeSyntax attribute)
    {
        string name = attribute.Name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => string.Empty,
        };
        return name is "Optimizer" or "OptimizerAttribute";
    }

    private static bool OnlyWhitespace(SyntaxTriviaList trivia) => trivia.All(t => t.IsKind(SyntaxKind.WhitespaceTrivia));

    private static SyntaxTriviaList WithoutTrailingWhitespace(SyntaxTriviaList trivia)
    {
        int end = trivia.Count;
        while (end > 0 && trivia[end - 1].IsKind(SyntaxKind.WhitespaceTrivia))
        {
            end--;
        }

        return SyntaxFactory.TriviaList(trivia.Take(end));
    }
}
