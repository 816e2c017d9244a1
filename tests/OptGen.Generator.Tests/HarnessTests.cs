using System;
using System.IO;
using System.Linq;
using OptGen;
using Xunit.Sdk;

namespace OptGen.Generator.Tests;

/// <summary>The test helpers themselves: snapshot matching and running generated code in a collectible context.</summary>
public sealed class HarnessTests
{
    [Fact]
    public void Snapshot_passes_on_equal_text_ignoring_line_endings()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(Path.Combine(folder.Path, "Same.verified.cs"), "a\r\nb\n");
        Snapshot.Match("a\nb\r\n", "Same", folder.Path, accept: false);
        Assert.False(File.Exists(Path.Combine(folder.Path, "Same.received.cs")));
    }

    [Fact]
    public void Snapshot_mismatch_writes_received_file_and_fails_with_a_diff_and_instructions()
    {
        using var folder = new TemporaryFolder();
        string verified = string.Join("\n", Enumerable.Range(0, 40).Select(i => $"line {i}")) + "\n";
        File.WriteAllText(Path.Combine(folder.Path, "Changed.verified.cs"), verified);
        string actual = verified.Replace("line 20\n", "line twenty\n", StringComparison.Ordinal);

        var failure = Assert.Throws<FailException>(() => Snapshot.Match(actual, "Changed", folder.Path, accept: false));

        Assert.Equal(actual, File.ReadAllText(Path.Combine(folder.Path, "Changed.received.cs")));
        Assert.Contains("-line 20", failure.Message, StringComparison.Ordinal);
        Assert.Contains("+line twenty", failure.Message, StringComparison.Ordinal);
        Assert.Contains(" line 17", failure.Message, StringComparison.Ordinal); // three lines of context
        Assert.DoesNotContain("line 10\n", failure.Message, StringComparison.Ordinal);
        Assert.Contains("OPTGEN_ACCEPT_SNAPSHOTS=1", failure.Message, StringComparison.Ordinal);
        Assert.Equal(verified, File.ReadAllText(Path.Combine(folder.Path, "Changed.verified.cs")));
    }

    [Fact]
    public void Snapshot_missing_verified_file_fails()
    {
        using var folder = new TemporaryFolder();
        var failure = Assert.Throws<FailException>(() => Snapshot.Match("new\n", "Missing", folder.Path, accept: false));
        Assert.Contains("no verified file", failure.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder.Path, "Missing.received.cs")));
        Assert.False(File.Exists(Path.Combine(folder.Path, "Missing.verified.cs")));
    }

    [Fact]
    public void Snapshot_accepting_overwrites_verified_file_and_removes_received_file()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(Path.Combine(folder.Path, "Accept.verified.cs"), "old\n");
        File.WriteAllText(Path.Combine(folder.Path, "Accept.received.cs"), "stale\n");
        Snapshot.Match("new\r\n", "Accept", folder.Path, accept: true);
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(folder.Path, "Accept.verified.cs")));
        Assert.False(File.Exists(Path.Combine(folder.Path, "Accept.received.cs")));

        Snapshot.Match("created\n", "Created", folder.Path, accept: true);
        Assert.Equal("created\n", File.ReadAllText(Path.Combine(folder.Path, "Created.verified.cs")));
    }

    [Fact]
    public void Snapshot_diff_is_capped()
    {
        string expected = string.Join("\n", Enumerable.Range(0, 2000).Select(i => $"expected {i}"));
        string actual = string.Join("\n", Enumerable.Range(0, 2000).Select(i => $"actual {i}"));
        string diff = Snapshot.Diff(expected, actual, "Big");
        Assert.True(diff.Length < 7000, $"Diff of {diff.Length} characters.");
        Assert.Contains("diff cut at", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_folder_is_in_the_source_tree()
    {
        Assert.True(File.Exists(Path.Combine(Snapshot.Directory, "..", "OptGen.Generator.Tests.csproj")), Snapshot.Directory);
        Assert.DoesNotContain($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", Snapshot.Directory, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_optimizer_runs_in_a_collectible_context_sharing_the_runtime()
    {
        GeneratorRun run = GeneratorHarness.RunClean("""
            using OptGen;

            namespace Demo;

            [Optimizer(UpdateRule.Sgd, LearningRate = 0.5)]
            public partial class Plain;
            """);

        using (LoadedAssembly loaded = GeneratorHarness.EmitAndLoad(run.OutputCompilation))
        {
            Assert.True(loaded.Context.IsCollectible);

            // The generated type implements the interface of the runtime this test sees, not a second copy.
            IOptimizer<float> optimizer = loaded.Create<IOptimizer<float>>("Demo.Plain", 3);
            Assert.Same(typeof(IOptimizer<float>).Assembly, GeneratorHarness.RuntimeAssembly);
            float[] parameters = [1f, 2f, 3f];
            optimizer.Step(parameters, [2f, -2f, 0f]);
            Assert.Equal([0f, 3f, 3f], parameters);
            Assert.Equal(1, optimizer.StepCount);
            Assert.Equal(0.5, optimizer.BaseLearningRate);
            Assert.Equal(KernelPath.Scalar, optimizer.LastKernelPath);
            Assert.Empty(optimizer.StateBufferNames);
        }
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public TemporaryFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "optgen-snapshots-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
