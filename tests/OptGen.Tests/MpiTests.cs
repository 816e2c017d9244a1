using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using OptGen.Tests.Processes;

namespace OptGen.Tests;

/// <summary>
/// OptGen.Distributed under a real MPI launcher, with OptGen.MpiWorker: every collective on 2 and 3 ranks against sums
/// computed locally; sharded training (ZeRO-1) against one process stepping the whole store with the ranks' gradients
/// summed in rank order, hash for hash; checkpoints of a sharded run resumed, and refused by a job of another rank
/// count; a rank that fails mid-run must end the job, not leave the others waiting. The binding is run under MPICH and
/// OpenMPI, whose handles differ; each is skipped, with the install command, where its launcher is not installed (CI
/// installs both).
/// </summary>
public sealed partial class MpiTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [SkippableTheory]
    [InlineData("MPICH", 2)]
    [InlineData("MPICH", 3)]
    [InlineData("OpenMPI", 2)]
    [InlineData("OpenMPI", 3)]
    public void Collectives_agree_with_local_sums(string implementation, int ranks)
    {
        var (exitCode, output, error) = Launch(implementation, ranks, "collectives");
        Assert.True(exitCode == 0, $"mpirun exited with {exitCode}\n{output}\n{error}");
        for (int rank = 0; rank < ranks; rank++)
        {
            Assert.Contains($"ok rank {rank} of {ranks} ({implementation})", output, StringComparison.Ordinal);
        }
    }

    [SkippableTheory]
    [InlineData("MPICH")]
    [InlineData("OpenMPI")]
    public void A_failing_rank_ends_the_job_with_an_error(string implementation)
    {
        var (exitCode, output, error) = Launch(implementation, 3, "collectives", "--fail-rank", "1");
        // The failed rank's message is not asserted: the launcher may tear its output stream down before forwarding it.
        Assert.True(exitCode != 0, $"mpirun exited with 0 although rank 1 failed\n{output}\n{error}");
        Assert.DoesNotContain("ok rank", output, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("MPICH", 2, "--element float")]
    [InlineData("MPICH", 3, "--element float")]
    [InlineData("MPICH", 3, "--element float --sum")]
    [InlineData("MPICH", 2, "--element bf16")] // two bfloat16 gradients add in one rounding, whichever comes first
    [InlineData("MPICH", 3, "--optimizer 8bit")] // blockwise 8-bit state: shards hold whole quantization blocks
    [InlineData("MPICH", 3, "--optimizer skipping")] // a NaN from one rank skips the step on every rank
    [InlineData("OpenMPI", 2, "--element float")]
    [InlineData("OpenMPI", 3, "--element float")]
    [InlineData("OpenMPI", 2, "--element bf16")]
    public void Sharded_training_has_the_bits_of_one_process_stepping_the_whole_model(string implementation, int ranks, string options)
    {
        string[] arguments = ["train", "--steps", "5", .. options.Split(' ')];
        string alone = RunAlone([.. arguments, "--reference", ranks.ToString(CultureInfo.InvariantCulture)]);
        string sharded = Succeed(Launch(implementation, ranks, arguments));
        Assert.Equal(Hash(alone), Hash(sharded));

        // Every rank took and skipped the steps the whole optimizer did.
        string counts = Regex.Match(alone, "steps [0-9]+ skipped [0-9]+").Value;
        Assert.NotEmpty(counts);
        for (int rank = 0; rank < ranks; rank++)
        {
            Assert.Contains($"rank {rank} {counts}", sharded, StringComparison.Ordinal);
        }

        Assert.Equal(options.Contains("skipping", StringComparison.Ordinal) ? "steps 4 skipped 1" : "steps 5 skipped 0", counts);
    }

    [SkippableFact]
    public void A_sharded_checkpoint_resumes_where_it_was_saved()
    {
        string directory = Directory.CreateTempSubdirectory("optgen-shards-").FullName;
        try
        {
            string uninterrupted = Hash(RunAlone("train", "--steps", "6", "--reference", "2"));
            string saved = Hash(Succeed(Launch("MPICH", 2, "train", "--steps", "3", "--save", directory)));
            Assert.Equal(["shard-00000-of-00002.optgen", "shard-00001-of-00002.optgen"], Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.NotEqual(uninterrupted, saved);
            Assert.Equal(uninterrupted, Hash(Succeed(Launch("MPICH", 2, "train", "--steps", "3", "--load", directory))));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [SkippableFact]
    public void A_checkpoint_of_another_rank_count_or_a_damaged_shard_is_refused_on_every_rank()
    {
        string directory = Directory.CreateTempSubdirectory("optgen-shards-").FullName;
        try
        {
            Succeed(Launch("MPICH", 2, "train", "--steps", "2", "--save", directory));

            var (exitCode, output, error) = Launch("MPICH", 3, "train", "--steps", "1", "--load", directory);
            Assert.True(exitCode != 0, $"a job of 3 ranks loaded the shards of 2\n{output}\n{error}");
            Assert.Contains("was saved by a job of 2 ranks; this job has 3", error, StringComparison.Ordinal);
            Assert.DoesNotContain("parameters sha256", output, StringComparison.Ordinal);

            string shard = Path.Combine(directory, "shard-00001-of-00002.optgen");
            byte[] bytes = File.ReadAllBytes(shard);
            bytes[bytes.Length / 2] ^= 1;
            File.WriteAllBytes(shard, bytes);
            (exitCode, output, error) = Launch("MPICH", 2, "train", "--steps", "1", "--load", directory);
            Assert.True(exitCode != 0, $"a damaged shard was loaded\n{output}\n{error}");
            Assert.Contains("rank 0: checkpoint refused: Rank 1 could not load its shard", error, StringComparison.Ordinal);
            Assert.Contains("rank 1: checkpoint refused", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Hash(string output)
    {
        Match match = HashLine().Match(output);
        Assert.True(match.Success, $"no hash in:\n{output}");
        return match.Groups[1].Value;
    }

    // Not anchored at the line's start: OpenMPI's launcher may put terminal control characters before a rank's output.
    [GeneratedRegex("parameters sha256 ([0-9a-f]{64})$", RegexOptions.Multiline)]
    private static partial Regex HashLine();

    private static string Succeed((int ExitCode, string Output, string Error) run)
    {
        Assert.True(run.ExitCode == 0, $"exited with {run.ExitCode}\n{run.Output}\n{run.Error}");
        return run.Output;
    }

    private static string RunAlone(params string[] workerArguments) =>
        Succeed(ChildProcess.Run("dotnet", ["exec", ChildProcess.ProjectOutput("tests", "OptGen.MpiWorker"), .. workerArguments], Limit));

    private static (int ExitCode, string Output, string Error) Launch(string implementation, int ranks, params string[] workerArguments)
    {
        string[]? launcher = ChildProcess.MpiLauncher(implementation, ranks);
        Skip.If(launcher is null, implementation == "MPICH" ? ChildProcess.MpichMissing : ChildProcess.OpenMpiMissing);
        return ChildProcess.Run(launcher![0], [.. launcher[1..], "dotnet", "exec", ChildProcess.ProjectOutput("tests", "OptGen.MpiWorker"), .. workerArguments], Limit);
    }
}
