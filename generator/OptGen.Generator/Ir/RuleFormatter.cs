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

    /// <summary>One line per element statement; stores are written <c>stream ← value</c>, branch arms indented under their condition.</summary>
    public static IEnumerable<string> BodyLines(RuleProgram program, ElementKind element) => BodyLines(program.Body, element, string.Empty);

    private static IEnumerable<string> BodyLines(IEnumerable<Statement> statements, ElementKind element, string indent)
    {
        foreach (Statement s in statements)
        {
            if (s.Kind == StatementKind.Branch)
            {
                // A two-pass rule's branch is on the pass, not on the step.
                bool passes = s.Value.Kind == ExprKind.Equal && s.Value[0] is { Kind: ExprKind.Input, Name: Expr.PhaseInput };
                yield return passes ? $"{indent}first pass (the runtime then takes each tensor's parameterNorm and updateNorm):" : $"{indent}on steps where {Format(s.Value, ElementKind.Double)}:";
                foreach (string line in BodyLines(s.Then, element, indent + "  "))
                {
                    yield return line;
                }

                yield return passes ? $"{indent}second pass:" : $"{indent}on the other steps:";
                foreach (string line in BodyLines(s.Else, element, indent + "  "))
                {
                    yield return line;
                }

                continue;
            }

            yield return indent + (s.Kind == StatementKind.Let ? $"{s.Target} = {Format(s.Value, element)}" : $"{s.Target} ← {Format(s.Value, element)}");
        }
    }

    public static string Format(Expr e, ElementKind element) =>
        ExprPrinter.Print(e, element == ElementKind.Single ? ReadableStyle.Single : ReadableStyle.Double);
}
