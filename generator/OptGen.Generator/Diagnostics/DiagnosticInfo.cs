using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using OptGen.Generator.Model;

namespace OptGen.Generator.Diagnostics;

/// <summary>A diagnostic as equatable data: a descriptor ID, a file path and spans, never a <see cref="Location"/>.</summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan LineSpan, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        FileLinePositionSpan lines = location?.GetLineSpan() ?? default;
        return new DiagnosticInfo(
            descriptor.Id,
            lines.Path ?? string.Empty,
            location?.SourceSpan ?? default,
            lines.Span,
            arguments.ToEquatableArray());
    }

    public Diagnostic ToDiagnostic()
    {
        DiagnosticDescriptor descriptor = DiagnosticDescriptors.ById(Id);
        Location location = FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, LineSpan);
        return Diagnostic.Create(descriptor, location, Arguments.Cast<object>().ToArray());
    }
}
