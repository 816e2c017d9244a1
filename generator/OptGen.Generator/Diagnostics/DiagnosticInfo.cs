using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using OptGen.Generator.Model;

namespace OptGen.Generator.Diagnostics;

/// <summary>
/// A diagnostic as equatable data: its descriptor (equatable by value), a file path and spans, never a
/// <see cref="Location"/>. Carrying the descriptor itself means no list of descriptors can miss one.
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, string FilePath, TextSpan Span, LinePositionSpan LineSpan, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        FileLinePositionSpan lines = location?.GetLineSpan() ?? default;
        return new DiagnosticInfo(
            descriptor,
            lines.Path ?? string.Empty,
            location?.SourceSpan ?? default,
            lines.Span,
            arguments.ToEquatableArray());
    }

    /// <summary>The diagnostic, located in <paramref name="compilation"/>'s syntax tree of the same path when there is one.</summary>
    public Diagnostic ToDiagnostic(Compilation? compilation = null)
    {
        SyntaxTree? tree = FilePath.Length == 0 ? null : compilation?.SyntaxTrees.FirstOrDefault(t => t.FilePath == FilePath);
        Location location = tree is not null && Span.End <= tree.Length ? Location.Create(tree, Span)
            : FilePath.Length == 0 ? Location.None
            : Location.Create(FilePath, Span, LineSpan);
        return Diagnostic.Create(Descriptor, location, Arguments.Cast<object>().ToArray());
    }
}
