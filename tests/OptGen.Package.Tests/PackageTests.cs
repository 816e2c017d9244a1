using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace OptGen.Package.Tests;

/// <summary>
/// The OptGen NuGet package as users consume it: its layout and metadata, a console project that references only the
/// package (the generator runs from analyzers/, the runtime comes from lib/) and computes PyTorch's first Adam step, and
/// the package's analyzer rejecting an invalid declaration.
/// </summary>
public sealed class PackageTests(PackageFixture fixture, ITestOutputHelper output) : IClassFixture<PackageFixture>
{
    private const int Length = 37; // several vectors and a tail on every SIMD width

    /// <summary>
    /// Adam with decoupled weight decay, one step on known values; prints "input parameter, gradient, result" per element
    /// (floats, round-trip format) and the step count.
    /// </summary>
    private const string AdamProgram = """
        using System;
        using System.Globalization;
        using OptGen;

        const int Length = 37;
        var parameters = new float[Length];
        var gradients = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            parameters[i] = ((i % 7) - 3) * 0.75f + 0.375f;
            gradients[i] = ((i % 5) - 2) * 0.5f + 0.3f;
        }
        float[] before = (float[])parameters.Clone();

        var optimizer = new PackagedAdam(Length);
        bool stepped = optimizer.Step(parameters, gradients);

        Console.WriteLine($"stepped {stepped} count {optimizer.StepCount}");
        for (int i = 0; i < Length; i++)
        {
            Console.WriteLine(string.Join(' ',
                before[i].ToString("R", CultureInfo.InvariantCulture),
                gradients[i].ToString("R", CultureInfo.InvariantCulture),
                parameters[i].ToString("R", CultureInfo.InvariantCulture)));
        }

        [Optimizer(UpdateRule.Adam, LearningRate = 0.1)]
        [WeightDecay(0.01, Decoupled = true)]
        internal sealed partial class PackagedAdam;
        """;

    private const string InvalidProgram = """
        using OptGen;

        System.Console.WriteLine(new BadRate(1).Length);

        [Optimizer(UpdateRule.Adam, LearningRate = -1)]
        internal sealed partial class BadRate;
        """;

    /// <summary>
    /// Sharded AdamW (OptGen.Distributed) over a two-tensor store against the whole optimizer: run alone, the job has one
    /// rank, whose shard is the whole store, so both must give the same bits. Where no MPI library is installed it
    /// prints the error instead.
    /// </summary>
    private const string DistributedProgram = """
        using System;
        using OptGen;
        using OptGen.Distributed;

        var store = new ParameterStore<float>([("layer.weight", 3000), ("layer.bias", 10)]);
        var reference = new ParameterStore<float>([("layer.weight", 3000), ("layer.bias", 10)]);
        for (int i = 0; i < store.Length; i++)
        {
            store.Parameters[i] = reference.Parameters[i] = ((i % 13) - 6) * 0.125f;
        }

        try
        {
            var sharded = new ShardedOptimizer<float>(store, length => new PackagedClippedAdamW(length));
            var whole = new PackagedClippedAdamW(reference.Length);
            for (int step = 0; step < 3; step++)
            {
                for (int i = 0; i < store.Length; i++)
                {
                    store.Gradients[i] = reference.Gradients[i] = ((i % 7) - 3) * 0.25f * (step + 1);
                }

                sharded.Step();
                whole.Step(reference);
            }

            bool equal = store.Parameters.SequenceEqual(reference.Parameters);
            Console.WriteLine($"ranks {sharded.WorldSize} shard {sharded.ShardLength} equal {equal}");
            Mpi.Shutdown();
        }
        catch (DllNotFoundException e)
        {
            Console.WriteLine("no MPI: " + e.Message);
        }

        [Optimizer(UpdateRule.AdamW, LearningRate = 0.01)]
        [WeightDecay(0.01, Decoupled = true, Exclude = new[] { "*.bias" })]
        [ClipGradientNorm(1.0)]
        internal sealed partial class PackagedClippedAdamW;
        """;

    [Fact]
    public void Distributed_package_depends_on_OptGen_with_its_generator_and_a_consumer_of_it_alone_steps_sharded()
    {
        fixture.EnsurePacked();
        using (ZipArchive package = ZipFile.OpenRead(fixture.DistributedPackagePath))
        {
            var entries = package.Entries.Select(entry => entry.FullName.Replace('\\', '/')).ToHashSet(StringComparer.Ordinal);
            Assert.Contains("lib/net10.0/OptGen.Distributed.dll", entries);
            Assert.Contains("lib/net10.0/OptGen.Distributed.xml", entries);
            Assert.DoesNotContain(entries, entry => entry.StartsWith("lib/", StringComparison.Ordinal) && !entry.StartsWith("lib/net10.0/OptGen.Distributed.", StringComparison.Ordinal));

            XDocument nuspec = XDocument.Parse(ReadEntry(package, "OptGen.Distributed.nuspec"));
            XNamespace ns = nuspec.Root!.Name.Namespace;
            XElement dependency = Assert.Single(nuspec.Descendants(ns + "dependency"));
            Assert.Equal("OptGen", dependency.Attribute("id")?.Value);
            Assert.Equal(fixture.Version, dependency.Attribute("version")?.Value);

            // The generator must come along: excluding Analyzers would leave a consumer's optimizers empty.
            string exclude = dependency.Attribute("exclude")?.Value ?? string.Empty;
            Assert.DoesNotContain("Analyzers", exclude, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Build", exclude, StringComparison.OrdinalIgnoreCase);
        }

        Consumer consumer = fixture.BuildConsumer("DistributedConsumer", DistributedProgram, packageId: "OptGen.Distributed");
        Assert.True(consumer.Build.Succeeded, "The consumer of OptGen.Distributed did not build." + Environment.NewLine + consumer.Build);
        Assert.Empty(consumer.Warnings);

        CommandResult run = fixture.RunConsumer(consumer);
        Assert.True(run.Succeeded, run.ToString());
        bool mpiInstalled = System.Runtime.InteropServices.NativeLibrary.TryLoad("libmpich.so.12", out _) || System.Runtime.InteropServices.NativeLibrary.TryLoad("libmpi.so.40", out _);
        Assert.Contains(mpiInstalled ? "ranks 1 shard 3072 equal True" : "no MPI: No MPI library found", run.StandardOutput, StringComparison.Ordinal);
        if (!mpiInstalled)
        {
            Assert.Contains("apt-get install -y mpich", run.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Package_has_the_runtime_in_lib_the_generator_and_its_code_fixes_in_analyzers_and_complete_metadata()
    {
        CommandResult pack = fixture.EnsurePacked();
        output.WriteLine($"Packed {fixture.Version} in {pack.Elapsed.TotalSeconds:F1} s.");

        using ZipArchive package = ZipFile.OpenRead(fixture.PackagePath);
        var entries = package.Entries.Select(entry => entry.FullName.Replace('\\', '/')).ToHashSet(StringComparer.Ordinal);
        string listing = string.Join(Environment.NewLine, entries.Order(StringComparer.Ordinal));
        output.WriteLine(listing);

        foreach (string expected in new[]
                 {
                     "lib/net10.0/OptGen.dll", "lib/net10.0/OptGen.xml", "analyzers/dotnet/cs/OptGen.Generator.dll",
                     "analyzers/dotnet/cs/OptGen.CodeFixes.dll", "build/OptGen.props", "buildTransitive/OptGen.props", "README.md",
                 })
        {
            Assert.True(entries.Contains(expected), $"{expected} is missing from the package:{Environment.NewLine}{listing}");
        }
        foreach (string analyzer in new[] { "OptGen.Generator.dll", "OptGen.CodeFixes.dll" })
        {
            string[] misplaced = entries
                .Where(entry => entry.EndsWith(analyzer, StringComparison.OrdinalIgnoreCase) && entry != "analyzers/dotnet/cs/" + analyzer)
                .ToArray();
            Assert.True(misplaced.Length == 0, $"{analyzer} must be in analyzers/dotnet/cs only: " + string.Join(", ", misplaced));
        }

        Assert.DoesNotContain(entries, entry => entry.StartsWith("lib/", StringComparison.Ordinal) && !entry.StartsWith("lib/net10.0/OptGen.", StringComparison.Ordinal));

        // build/OptGen.props makes the tuning knob visible to the generator.
        Assert.Contains("<CompilerVisibleProperty Include=\"OptGenUnrollFactor\" />", ReadEntry(package, "build/OptGen.props"), StringComparison.Ordinal);

        XDocument nuspec = XDocument.Parse(ReadEntry(package, "OptGen.nuspec"));
        output.WriteLine(nuspec.ToString());
        XNamespace ns = nuspec.Root!.Name.Namespace;
        XElement metadata = nuspec.Root.Element(ns + "metadata")!;
        string? Metadata(string name) => metadata.Element(ns + name)?.Value;

        Assert.Equal("OptGen", Metadata("id"));
        Assert.Equal(fixture.Version, Metadata("version"));
        Assert.False(string.IsNullOrWhiteSpace(Metadata("description")), "no description");
        Assert.False(string.IsNullOrWhiteSpace(Metadata("authors")), "no authors");
        Assert.Equal("https://github.com/optgen/optgen", Metadata("projectUrl"));
        Assert.Equal("https://github.com/optgen/optgen", metadata.Element(ns + "repository")?.Attribute("url")?.Value);
        Assert.Equal("README.md", Metadata("readme"));
        string tags = Metadata("tags") ?? "";
        foreach (string tag in new[] { "source-generator", "optimizer", "simd", "adam", "sgd", "pytorch", "machine-learning" })
        {
            Assert.Contains(tag, tags.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        XElement license = metadata.Element(ns + "license") ?? throw new Xunit.Sdk.XunitException("no <license> in the nuspec:" + Environment.NewLine + nuspec);
        if (license.Attribute("type")?.Value == "expression")
        {
            Assert.Equal("MIT", license.Value);
        }
        else
        {
            Assert.Equal("file", license.Attribute("type")?.Value);
            Assert.Contains(license.Value, entries);
        }

        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToList();
        Assert.Contains("System.IO.Hashing", dependencies);
        Assert.DoesNotContain(dependencies, id => id.Contains("Generator", StringComparison.OrdinalIgnoreCase));
        Assert.All(
            metadata.Descendants(ns + "group").Select(g => g.Attribute("targetFramework")?.Value),
            framework => Assert.Equal("net10.0", framework));
        Assert.Null(metadata.Element(ns + "developmentDependency"));

        // Symbols: the portable PDB in the .snupkg.
        Assert.True(File.Exists(fixture.SymbolPackagePath), $"{fixture.SymbolPackagePath} was not produced.");
        using ZipArchive symbols = ZipFile.OpenRead(fixture.SymbolPackagePath);
        Assert.Contains(symbols.Entries, entry => entry.FullName.Replace('\\', '/') == "lib/net10.0/OptGen.pdb");
    }

    [Fact]
    public void Consumer_of_the_package_builds_without_warnings_and_its_Adam_step_matches_PyTorch()
    {
        Consumer consumer = fixture.BuildConsumer("AdamConsumer", AdamProgram, "    <OptGenUnrollFactor>2</OptGenUnrollFactor>");
        output.WriteLine($"Consumer built in {consumer.Build.Elapsed.TotalSeconds:F1} s.");
        Assert.True(consumer.Build.Succeeded, "The consumer did not build." + Environment.NewLine + consumer.Build);
        Assert.True(consumer.Warnings.Count == 0, "The consumer's build warned:" + Environment.NewLine + string.Join(Environment.NewLine, consumer.Warnings) + Environment.NewLine + consumer.Build);
        Assert.Matches(@"(?m)^\s*0 Warning\(s\)", consumer.Build.StandardOutput);

        // OptGen came from the local feed into the empty packages folder, at the version just packed.
        string restored = Path.Combine(fixture.PackagesDirectory, "optgen", fixture.Version.ToLowerInvariant());
        Assert.True(Directory.Exists(restored), $"OptGen {fixture.Version} was not restored into {fixture.PackagesDirectory}.");

        // The runtime is a reference; the generator and the code fixes are not (analyzers, for the compiler and the IDE).
        Assert.True(File.Exists(Path.Combine(consumer.OutputDirectory, "OptGen.dll")), "OptGen.dll is not in the consumer's output.");
        Assert.True(File.Exists(Path.Combine(consumer.OutputDirectory, "System.IO.Hashing.dll")), "System.IO.Hashing.dll is not in the consumer's output.");
        string depsJson = File.ReadAllText(Path.Combine(consumer.OutputDirectory, "AdamConsumer.deps.json"));
        foreach (string analyzer in new[] { "OptGen.Generator", "OptGen.CodeFixes" })
        {
            string[] copies = Directory.GetFiles(consumer.Directory, analyzer + ".dll", SearchOption.AllDirectories);
            Assert.True(copies.Length == 0, $"{analyzer} was copied into the consumer: " + string.Join(", ", copies));
            Assert.DoesNotContain(analyzer, depsJson, StringComparison.Ordinal);
        }

        // build/OptGen.props reached the consumer: the tuning knob is visible to the generator.
        string editorConfig = File.ReadAllText(Directory.GetFiles(
            Path.Combine(consumer.Directory, "obj"), "AdamConsumer.GeneratedMSBuildEditorConfig.editorconfig", SearchOption.AllDirectories).Single());
        Assert.Contains("build_property.OptGenUnrollFactor = 2", editorConfig, StringComparison.Ordinal);

        CommandResult run = fixture.RunConsumer(consumer);
        Assert.True(run.Succeeded, "The consumer did not run." + Environment.NewLine + run);
        output.WriteLine(run.StandardOutput);

        string[] lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == Length + 1, "Unexpected output:" + Environment.NewLine + run);
        Assert.Equal("stepped True count 1", lines[0]);

        const double lr = 0.1, weightDecay = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        for (int i = 0; i < Length; i++)
        {
            string[] fields = lines[i + 1].Split(' ');
            double p = float.Parse(fields[0], CultureInfo.InvariantCulture);
            double g = float.Parse(fields[1], CultureInfo.InvariantCulture);
            double actual = float.Parse(fields[2], CultureInfo.InvariantCulture);

            // The inputs are what the program was meant to step (computed as it does, in float).
            Assert.Equal((((i % 7) - 3) * 0.75f) + 0.375f, (float)p);
            Assert.Equal((((i % 5) - 2) * 0.5f) + 0.3f, (float)g);

            // torch.optim.Adam(lr, betas, eps, weight_decay=λ, decoupled_weight_decay=True), step 1, in double:
            // p ← p·(1 − lr·λ); m = (1 − β₁)·g; v = (1 − β₂)·g²; p ← p − lr/(1 − β₁)·m / (√v/√(1 − β₂) + ε).
            double decayed = p * (1 - (lr * weightDecay));
            double m = (1 - beta1) * g;
            double v = (1 - beta2) * g * g;
            double biasCorrection1 = 1 - beta1;
            double biasCorrection2 = 1 - beta2;
            double expected = decayed - (lr / biasCorrection1 * m / ((Math.Sqrt(v) / Math.Sqrt(biasCorrection2)) + eps));

            // The first Adam step moves each parameter by about lr·sign(g).
            Assert.InRange(Math.Abs(decayed - expected), lr * 0.999, lr * 1.001);
            Assert.True(
                Math.Abs(actual - expected) <= 1e-6 * Math.Abs(expected),
                $"element {i}: p = {p:R}, g = {g:R}: got {actual:R}, expected {expected:R} (relative error {Math.Abs(actual - expected) / Math.Abs(expected):E2})");
        }
    }

    [Fact]
    public void Invalid_declaration_in_a_consumer_fails_the_build_with_the_packaged_analyzers_diagnostic()
    {
        Consumer consumer = fixture.BuildConsumer("InvalidConsumer", InvalidProgram);
        output.WriteLine($"Invalid consumer built in {consumer.Build.Elapsed.TotalSeconds:F1} s (failure expected).");
        Assert.False(consumer.Build.Succeeded, "A negative learning rate built." + Environment.NewLine + consumer.Build);
        Assert.Matches(@"error OPTG010\b", consumer.Build.StandardOutput);
    }

    private static string ReadEntry(ZipArchive archive, string name)
    {
        ZipArchiveEntry entry = archive.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"{name} is not in the package.");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }
}
