using System.Collections.Generic;
using System.Linq;
using OptGen.Generator.Emit;
using OptGen.Generator.Model;

namespace OptGen.Generator.Ir;

/// <summary>Renders a <see cref="RuleProgram"/> as equations with its actual constants, for comments and XML docs.</summary>
internal static class RuleFormatter
{
    /// <summary>One line per per-step scalar definition.</summary>
    public static IEnumerable<string> ScalarLines(RuleProgram program) =>
        program.Scalars.Select(s => s.Kind == StatementKind.Let
            ? $"{s.Target} = {Format(s.Value, ElementKind.Double)}"
            : $"{s.Target} ← {Format(s.Value, ElementKind.Double)}");

    /// <summary>One line per element statement; stores are written <c>stream ← value</c>.</summary>
    public static IEnumerable<string> BodyLines(RuleProgram program, ElementKind element) =>
        program.Body.Select(s => s.Kind == StatementKind.Let
            ? $"{s.Target} = {Format(s.Value, element)}"
            : $"{s.Target} ← {Format(s.Value, element)}");

    public static string Format(Expr e, ElementKind element) =>
        ExprPrinter.Print(e, element == ElementKind.Single ? ReadableStyle.Single : ReadableStyle.Double);
}
