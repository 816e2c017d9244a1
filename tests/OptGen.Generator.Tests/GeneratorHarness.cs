using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace OptGen.Generator.Tests;

/// <summary>One run of <see cref="OptimizerGenerator"/> over an in-memory compilation.</summary>
/// <param name="Driver">The driver after the run: run it again on an edited compilation to test incrementality.</param>
/// <param name="Result">The run result (generated trees, diagnostics, tracked steps).</param>
/// <param name="InputCompilation">The compilation the generator ran on.</param>
/// <param name="OutputCompilation">The input plus the generated sources.</param>
/// <param name="GeneratorDiagnostics">Diagnostics the generator reported, after pragma/options filtering.</param>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    CSharpCompilation InputCompilation,
    Compilation OutputCompilation,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    /// <summary>Generated sources by hint name, in the order the generator added them.</summary>
    public IReadOnlyList<GeneratedSourceResult> GeneratedSources => Result.Results.Single().GeneratedSources;

    /// <summary>The pipeline's models (spec and lowered program), one per valid optimizer, from the tracked Lower step.</summary>
    public IReadOnlyList<GenerationModel> Models => Result.Results.Single().TrackedSteps[TrackingNames.Lower]
        .SelectMany(step => step.Outputs)
        .Select(output => (GenerationModel)output.Value)
        .ToList();

    /// <summary>Hint names of the generated sources.</summary>
    public IEnumerable<string> HintNames => GeneratedSources.Select(s => s.HintName);

    /// <summary>The exception the generator threw, if any (the compiler turns it into CS8784/CS8785).</summary>
    public Exception? Exception => Result.Results.Single().Exception;

    /// <summary>All diagnostics of the output compilation: the input's declarations and bodies plus the generated code.</summary>
    public ImmutableArray<Diagnostic> OutputDiagnostics => OutputCompilation.GetDiagnostics();

    /// <summary>The <see cref="OutputDiagnostics"/> at warning severity or above.</summary>
    public ImmutableArray<Diagnostic> OutputProblems => OutputDiagnostics
        .Where(d => d.Severity >= DiagnosticSeverity.Warning)
        .ToImmutableArray();

    /// <summary>The text of the one generated source; fails unless there is exactly one.</summary>
    public string SingleSource
    {
        get
        {
            Assert.True(
                GeneratedSources.Count == 1,
                $"Expected one generated source but got {GeneratedSources.Count}: [{string.Join(", ", HintNames)}]. Diagnostics: {GeneratorHarness.Describe(GeneratorDiagnostics)}");
            return GeneratedSources[0].SourceText.ToString();
        }
    }

    /// <summary>The text of the source generated under <paramref name="hintName"/>.</summary>
    public string Source(string hintName)
    {
        GeneratedSourceResult? match = GeneratedSources.Where(s => s.HintName == hintName).Cast<GeneratedSourceResult?>().FirstOrDefault();
        Assert.True(match is not null, $"No source '{hintName}' was generated; got [{string.Join(", ", HintNames)}].");
        return match!.Value.SourceText.ToString();
    }

    /// <summary>Fails unless the generator reported nothing and the output compilation has no warning or error.</summary>
    public GeneratorRun AssertClean()
    {
        Assert.Null(Exception);
        Assert.True(GeneratorDiagnostics.IsEmpty, "Generator diagnostics: " + GeneratorHarness.Describe(GeneratorDiagnostics));
        ImmutableArray<Diagnostic> problems = OutputProblems;
        Assert.True(problems.IsEmpty, "The output compilation has warnings or errors: " + GeneratorHarness.Describe(problems));
        return this;
    }
}

/// <summary>Builds in-memory compilations against .NET 10 and the OptGen runtime, and runs the generator on them.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    public static readonly CSharpCompilationOptions CompilationOptions = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
        .WithNullableContextOptions(NullableContextOptions.Enable)
        .WithAllowUnsafe(false)
        .WithDeterministic(true)
        .WithOptimizationLevel(OptimizationLevel.Release);

    /// <summary>The OptGen runtime assembly, loaded in the default context (the test project references it).</summary>
    public static readonly Assembly RuntimeAssembly = typeof(OptGen.UpdateRule).Assembly;

    private static readonly ImmutableArray<MetadataReference> s_references = Net100.References.All
        .Cast<MetadataReference>()
        .Append(MetadataReference.CreateFromFile(RuntimeAssembly.Location))
        .ToImmutableArray();

    private static int s_assemblyCounter;

    /// <summary>.NET 10 reference assemblies plus the OptGen runtime.</summary>
    public static ImmutableArray<MetadataReference> References => s_references;

    /// <summary>Parses <paramref name="source"/> as the file <paramref name="path"/>.</summary>
    public static SyntaxTree Parse(string source, string path) =>
        CSharpSyntaxTree.ParseText(source, ParseOptions, path, Encoding.UTF8);

    /// <summary>A library compilation of <paramref name="sources"/>, named <c>/src/File{i}.cs</c>.</summary>
    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CreateCompilation(sources.Select((source, i) => Parse(source, $"/src/File{i}.cs")));

    /// <summary>A library compilation of <paramref name="trees"/>.</summary>
    public static CSharpCompilation CreateCompilation(IEnumerable<SyntaxTree> trees, string? assemblyName = null) =>
        CSharpCompilation.Create(
            assemblyName ?? "OptGenTestInput" + System.Threading.Interlocked.Increment(ref s_assemblyCounter).ToString(System.Globalization.CultureInfo.InvariantCulture),
            trees,
            s_references,
            CompilationOptions);

    /// <summary>A driver for <see cref="OptimizerGenerator"/> that tracks incremental steps.</summary>
    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new OptimizerGenerator().AsSourceGenerator()],
            additionalTexts: null,
            parseOptions: ParseOptions,
            optionsProvider: null,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator on a fresh compilation of <paramref name="sources"/>.</summary>
    public static GeneratorRun Run(params string[] sources) => Run(CreateCompilation(sources));

    /// <summary>Runs the generator on <paramref name="compilation"/>, with a fresh driver or continuing <paramref name="driver"/>.</summary>
    public static GeneratorRun Run(CSharpCompilation compilation, GeneratorDriver? driver = null)
    {
        GeneratorDriver after = (driver ?? CreateDriver())
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return new GeneratorRun(after, after.GetRunResult(), compilation, output, diagnostics);
    }

    /// <summary>Runs the generator on <paramref name="sources"/> and fails unless everything is clean.</summary>
    public static GeneratorRun RunClean(params string[] sources) => Run(sources).AssertClean();

    /// <summary>
    /// Emits <paramref name="compilation"/> and loads it into a new collectible <see cref="AssemblyLoadContext"/> in
    /// which the OptGen runtime resolves to the copy already loaded in the default context, so generated types
    /// implement the same <c>IOptimizer</c> interfaces the tests see. Dispose to unload.
    /// </summary>
    public static LoadedAssembly EmitAndLoad(Compilation compilation)
    {
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(image);
        Assert.True(result.Success, "Emit failed: " + Describe(result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        image.Position = 0;
        var context = new SharedRuntimeLoadContext(compilation.AssemblyName ?? "OptGenTest");
        return new LoadedAssembly(context, context.LoadFromStream(image));
    }

    /// <summary>One line per diagnostic, with the source text it points at.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics)
    {
        var text = new StringBuilder();
        foreach (Diagnostic diagnostic in diagnostics)
        {
            text.Append('\n').Append(diagnostic.ToString());
        }

        return text.Length == 0 ? "(none)" : text.ToString();
    }

    /// <summary>
    /// The source text a diagnostic points at. The generator's diagnostics carry a file path and span (not a syntax
    /// tree), so the tree is found by path in <paramref name="compilation"/>.
    /// </summary>
    public static string LocatedText(Diagnostic diagnostic, Compilation compilation)
    {
        Location location = diagnostic.Location;
        SyntaxTree? tree = location.SourceTree
            ?? compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == location.GetLineSpan().Path);
        Assert.True(tree is not null, $"{diagnostic.Id} has no location in a source file: {location}");
        return tree!.GetText().ToString(location.SourceSpan);
    }

    private sealed class SharedRuntimeLoadContext(string name) : AssemblyLoadContext(name, isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName) =>
            string.Equals(assemblyName.Name, RuntimeAssembly.GetName().Name, StringComparison.OrdinalIgnoreCase)
                ? RuntimeAssembly
                : null; // Everything else (the framework) comes from the default context.
    }
}

/// <summary>An assembly loaded by <see cref="GeneratorHarness.EmitAndLoad"/>; disposing unloads its context.</summary>
internal sealed class LoadedAssembly(AssemblyLoadContext context, Assembly assembly) : IDisposable
{
    public Assembly Assembly { get; } = assembly;

    public AssemblyLoadContext Context { get; } = context;

    /// <summary>Creates an instance of <paramref name="typeName"/> with <paramref name="arguments"/>.</summary>
    public T Create<T>(string typeName, params object[] arguments)
    {
        Type type = Assembly.GetType(typeName, throwOnError: true)!;
        return (T)Activator.CreateInstance(type, arguments)!;
    }

    public void Dispose() => Context.Unload();
}
