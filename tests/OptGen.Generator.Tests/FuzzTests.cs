using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Xunit.Abstractions;

namespace OptGen.Generator.Tests;

/// <summary>
/// Seeded fuzzing of the generator with thousands of valid, boundary and malformed declarations (see
/// <see cref="FuzzInputs"/>). For every input: the generator never throws, never reports OPTG099, never drops an
/// <c>[Optimizer]</c> class without an OPTG diagnostic, and what it generates compiles without warnings.
/// </summary>
public sealed partial class FuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_260_315;
    private const int InputCount = 2_000;

    // Inputs compiled together, one file each (their names never collide, see FuzzInputs); a group with any failure
    // is re-run one input at a time, so every failure is attributed to the input that causes it.
    private const int GroupSize = 8;

    private const int MaxReported = 20;

    [Fact]
    public void Generator_never_crashes_and_never_rejects_silently()
    {
        var clock = Stopwatch.StartNew();
        FuzzInput[] inputs = FuzzInputs.Generate(Seed, InputCount);
        TimeSpan generation = clock.Elapsed;

        // One compilation holds the references; every input compilation derives from it and shares its bound metadata.
        // Inputs already run in parallel, so the compiler's own parallel build would only add contention.
        CSharpCompilation empty = GeneratorHarness.CreateCompilation([], "OptGenFuzz");
        empty = empty.WithOptions(empty.Options.WithConcurrentBuild(false));
        Assert.NotNull(empty.GetTypeByMetadataName("OptGen.OptimizerAttribute"));

        FuzzInput[][] groups = inputs.Chunk(GroupSize).ToArray();
        var outcomes = new GroupOutcome[groups.Length];
        // One worker per core: each compilation is CPU-bound, and the pool would otherwise add threads that only contend.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        Parallel.For(0, groups.Length, parallel, g => outcomes[g] = CheckGroup(empty, groups[g]));
        clock.Stop();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

        InputOutcome[] results = outcomes.SelectMany(o => o.Inputs).ToArray();
        List<Failure> failures = results.SelectMany(r => r.Failures).ToList();
        output.WriteLine(
            $"{inputs.Length} inputs (seed {Seed}) in {clock.Elapsed.TotalSeconds:F1} s, {cpu.TotalSeconds:F1} s CPU on {Environment.ProcessorCount} cores (generating them {generation.TotalSeconds:F2} s); "
            + $"{outcomes.Count(o => o.Rerun)} of {groups.Length} groups of {GroupSize} re-run one by one.");
        output.WriteLine(
            $"[Optimizer] declarations checked: {results.Sum(r => r.Optimizers)}: {results.Sum(r => r.Generated)} generated, "
            + $"{results.Sum(r => r.Reported)} rejected with an OPTG diagnostic, {results.Sum(r => r.Exempt)} exempt (not a class, compiler error at [Optimizer]); "
            + $"{results.Count(r => r.Optimizers == 0)} inputs where no [Optimizer] binds; {results.Count(r => r.Failures.Count > 0)} failing inputs.");

        // Distinct failures: one per category, with the shortest input that shows it.
        var distinct = failures
            .GroupBy(f => f.Category, StringComparer.Ordinal)
            .Select(g => (Category: g.Key, Count: g.Select(f => f.Input.Index).Distinct().Count(), Example: g.OrderBy(f => f.Input.Source.Length).ThenBy(f => f.Input.Index).First()))
            .OrderByDescending(d => d.Count)
            .ThenBy(d => d.Category, StringComparer.Ordinal)
            .ToList();
        foreach ((string category, int count, _) in distinct)
        {
            output.WriteLine($"  {count,5} inputs: {category}");
        }

        if (distinct.Count > 0)
        {
            var message = new StringBuilder();
            message.Append(CultureInfo.InvariantCulture, $"{distinct.Count} distinct failures in {results.Count(r => r.Failures.Count > 0)} of {inputs.Length} inputs");
            message.Append(distinct.Count > MaxReported ? $" (the first {MaxReported} listed):" : ":");
            foreach ((string category, int count, Failure example) in distinct.Take(MaxReported))
            {
                message.Append(CultureInfo.InvariantCulture, $"\n\n=== {category} ({count} inputs; shortest: input {example.Input.Index}, features: {example.Input.Features})\n");
                message.Append(example.Detail).Append("\n--- source ---\n").Append(example.Input.Source);
            }

            Assert.Fail(message.ToString());
        }
    }

    private static GroupOutcome CheckGroup(CSharpCompilation empty, FuzzInput[] group)
    {
        InputOutcome[] together = Check(empty, group);
        if (group.Length == 1 || together.All(r => r.Failures.Count == 0))
        {
            return new GroupOutcome(together, Rerun: false);
        }

        // A generator exception drops every source of the run, and a generated tree is not tied to one file: re-run alone.
        InputOutcome[] alone = group.Select(input => Check(empty, [input])[0]).ToArray();
        if (alone.All(r => r.Failures.Count == 0))
        {
            // Only the combination fails (inputs are built not to interact, so this is a finding in itself): report the
            // group's failures against all its files together.
            var combined = new FuzzInput(
                group[0].Index,
                string.Concat(group.Select(input => $"// ----- file {input.Path}\n{input.Source}\n")),
                "files compiled together: " + string.Join(" | ", group.Select(input => input.Features)));
            alone[0].Failures.AddRange(together.SelectMany(r => r.Failures).Select(f => f with { Input = combined }).DistinctBy(f => (f.Category, f.Detail)));
        }

        return new GroupOutcome(alone, Rerun: true);
    }

    /// <summary>Runs the generator once on <paramref name="inputs"/> (one file each) and checks every [Optimizer] type.</summary>
    private static InputOutcome[] Check(CSharpCompilation empty, FuzzInput[] inputs)
    {
        SyntaxTree[] trees = inputs.Select(input => GeneratorHarness.Parse(input.Source, input.Path)).ToArray();
        CSharpCompilation compilation = empty.AddSyntaxTrees(trees);
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new OptimizerGenerator().AsSourceGenerator()], parseOptions: GeneratorHarness.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation outputCompilation, out ImmutableArray<Diagnostic> generatorDiagnostics);
        var run = new GeneratorRun(driver, driver.GetRunResult(), compilation, outputCompilation, generatorDiagnostics);
        ImmutableArray<Diagnostic> outputDiagnostics = run.OutputDiagnostics;
        var generatedTrees = run.GeneratedSources.Select(s => s.SyntaxTree).ToHashSet();
        InputOutcome[] results = inputs.Select(input => new InputOutcome(input)).ToArray();

        // 1. The generator never throws (the driver turns an exception into CS8784/CS8785 and drops every source).
        if (run.Exception is { } exception)
        {
            string detail = $"{exception.GetType().FullName}: {exception.Message}\n{exception.StackTrace}";
            Array.ForEach(results, r => r.Fail("generator exception: " + exception.GetType().Name + ": " + Normalize(exception.Message), detail));
        }
        else
        {
            foreach (Diagnostic crash in generatorDiagnostics.Concat(outputDiagnostics).Where(d => d.Id is "CS8784" or "CS8785"))
            {
                Array.ForEach(results, r => r.Fail("generator exception: " + crash.Id, crash.ToString()));
            }
        }

        // 4. No internal error, ever.
        foreach (Diagnostic internalError in generatorDiagnostics.Where(d => d.Id == "OPTG099"))
        {
            Array.ForEach(results, r => r.Fail("OPTG099: " + Normalize(internalError.GetMessage(CultureInfo.InvariantCulture)), internalError.ToString()));
        }

        // 3. Generated code compiles without warnings. Only diagnostics located in generated trees count: the inputs'
        // own errors (syntax errors, CS0579 duplicates, ...) are on purpose.
        foreach (SyntaxTree tree in generatedTrees)
        {
            Diagnostic[] problems = outputDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree == tree).ToArray();
            if (problems.Length > 0)
            {
                string ids = string.Join(", ", problems.Select(d => d.Id).Distinct().Order(StringComparer.Ordinal));
                string detail = "In " + System.IO.Path.GetFileName(tree.FilePath) + ":" + GeneratorHarness.Describe(problems.Take(8))
                    + "\n--- generated (excerpt) ---\n" + Excerpt(tree, problems[0]);
                Array.ForEach(results, r => r.Fail("generated code has " + ids, detail));
            }
        }

        // 2. An [Optimizer] type that got no source has at least one OPTG diagnostic of its own.
        INamedTypeSymbol optimizerAttribute = outputCompilation.GetTypeByMetadataName("OptGen.OptimizerAttribute")!;
        for (int k = 0; k < inputs.Length; k++)
        {
            SyntaxTree tree = trees[k];
            SemanticModel model = outputCompilation.GetSemanticModel(tree);
            IEnumerable<INamedTypeSymbol> types = tree.GetRoot().DescendantNodes()
                .Where(n => n is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax)
                .Select(n => model.GetDeclaredSymbol(n) as INamedTypeSymbol)
                .OfType<INamedTypeSymbol>()
                .Distinct<INamedTypeSymbol>(SymbolEqualityComparer.Default);
            foreach (INamedTypeSymbol type in types)
            {
                // Exempt: no attribute binds to OptGen.OptimizerAttribute (unresolved or shadowed name, wrong alias,
                // inactive #if, [return:] target). Neither the compiler nor the generator sees an optimizer there.
                if (!type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, optimizerAttribute)))
                {
                    continue;
                }

                results[k].Optimizers++;
                if (type.DeclaringSyntaxReferences.Any(r => generatedTrees.Contains(r.SyntaxTree)))
                {
                    results[k].Generated++;
                    continue;
                }

                if (run.Exception is not null)
                {
                    continue; // Already failed: an exception drops every source.
                }

                if (generatorDiagnostics.Any(d => d.Id.StartsWith("OPTG", StringComparison.Ordinal) && Concerns(d, type)))
                {
                    results[k].Reported++;
                    continue;
                }

                // Exempt: [Optimizer] on a struct, interface, enum or delegate, which the generator does not look at. The
                // compiler already rejects the attribute there: CS0592 (AttributeUsage(Class)), or, when the arguments
                // do not bind either (e.g. [Optimizer()]), that error instead. An OPTG diagnostic would only repeat it.
                if (type.TypeKind != TypeKind.Class && HasCompilerErrorAtOptimizerAttribute(type, optimizerAttribute, outputDiagnostics))
                {
                    results[k].Exempt++;
                    continue;
                }

                string inputErrors = string.Join(", ", outputDiagnostics
                    .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree == tree)
                    .Select(d => d.Id).Distinct().Order(StringComparer.Ordinal));
                results[k].Fail(
                    $"[Optimizer] {type.TypeKind.ToString().ToLowerInvariant()} rejected without an OPTG diagnostic",
                    $"'{type.ToDisplayString()}' got no generated source and no OPTG diagnostic. Compiler errors in the input: [{inputErrors}]. "
                    + $"Generated: [{string.Join(", ", run.HintNames)}]. Generator diagnostics:{GeneratorHarness.Describe(generatorDiagnostics)}");
            }
        }

        return results;
    }

    /// <summary>
    /// Whether the generator's <paramref name="diagnostic"/> (a path and span, no syntax tree) points into a declaration
    /// of <paramref name="type"/> (its attributes included) or at the name of a type containing it (OPTG002).
    /// </summary>
    private static bool Concerns(Diagnostic diagnostic, INamedTypeSymbol type)
    {
        if (diagnostic.Location == Location.None)
        {
            return false;
        }

        string path = diagnostic.Location.GetLineSpan().Path;
        TextSpan span = diagnostic.Location.SourceSpan;
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences.Where(r => r.SyntaxTree.FilePath == path))
        {
            SyntaxNode declaration = reference.GetSyntax();
            if (declaration.Span.Contains(span)
                || declaration.Ancestors().OfType<BaseTypeDeclarationSyntax>().Any(outer => outer.Identifier.Span.Contains(span)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasCompilerErrorAtOptimizerAttribute(INamedTypeSymbol type, INamedTypeSymbol optimizerAttribute, ImmutableArray<Diagnostic> diagnostics) =>
        type.GetAttributes()
            .Where(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, optimizerAttribute))
            .Select(a => a.ApplicationSyntaxReference)
            .OfType<SyntaxReference>()
            .Any(attribute => diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error
                && d.Id.StartsWith("CS", StringComparison.Ordinal)
                && d.Location.SourceTree == attribute.SyntaxTree
                && attribute.Span.IntersectsWith(d.Location.SourceSpan)));

    /// <summary>A few generated lines around <paramref name="diagnostic"/>.</summary>
    private static string Excerpt(SyntaxTree tree, Diagnostic diagnostic)
    {
        SourceText text = tree.GetText();
        int line = diagnostic.Location.GetLineSpan().StartLinePosition.Line;
        int first = Math.Max(0, line - 3);
        int last = Math.Min(text.Lines.Count - 1, line + 3);
        var excerpt = new StringBuilder();
        for (int l = first; l <= last; l++)
        {
            excerpt.Append(l == line ? ">> " : "   ").Append(text.Lines[l].ToString()).Append('\n');
        }

        return excerpt.ToString();
    }

    // Quoted names and numbers (hint 'Ns123.Opt123.g.cs', Opt123) make otherwise identical messages distinct: drop them.
    private static string Normalize(string message) => Digits().Replace(Quoted().Replace(message.Split('\n')[0], "'…'"), "#");

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    [GeneratedRegex("'[^']*'")]
    private static partial Regex Quoted();

    private sealed record GroupOutcome(InputOutcome[] Inputs, bool Rerun);

    private sealed record Failure(string Category, string Detail, FuzzInput Input);

    private sealed class InputOutcome(FuzzInput input)
    {
        public List<Failure> Failures { get; } = [];

        public int Optimizers { get; set; }

        public int Generated { get; set; }

        public int Reported { get; set; }

        public int Exempt { get; set; }

        public void Fail(string category, string detail) => Failures.Add(new Failure(category, detail, input));
    }
}
