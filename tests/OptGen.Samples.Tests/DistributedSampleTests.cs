using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using OptGen.Samples.Distributed;
using OptGen.Tests.Processes;

namespace OptGen.Samples.Tests;

/// <summary>
/// The distributed sample: alone it trains the digits perceptron as N ranks would; under <c>mpirun -np 2</c> its
/// <c>--check</c> run must print the hash one process prints (skipped where MPICH is not installed).
/// </summary>
public partial class DistributedSampleTests
{
    [Fact]
    public void One_process_standing_in_for_two_ranks_learns_the_digits()
    {
        var log = new StringWriter(CultureInfo.InvariantCulture);
        string hash = DataParallelTraining.Run(new TrainingOptions(Epochs: 3, BatchPerRank: 32, Parts: 2, Seed: 1), log);

        Assert.Matches("^[0-9a-f]{64}$", hash);
        double[] accuracies = [.. Accuracy().Matches(log.ToString()).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
        Assert.Equal(3, accuracies.Length);
        Assert.True(accuracies[^1] > 80, log.ToString());

        // The parts matter: one part of 32 samples per step is another run.
        Assert.NotEqual(hash, DataParallelTraining.Run(new TrainingOptions(3, 32, 1, 1), TextWriter.Null));
    }

    [SkippableFact]
    public void Two_ranks_print_the_hash_of_one_process()
    {
        string[]? launcher = ChildProcess.MpiLauncher("MPICH", 2);
        Skip.If(launcher is null, ChildProcess.MpichMissing);

        string expected = DataParallelTraining.Run(new TrainingOptions(3, 32, 2, 1), TextWriter.Null);
        string sample = ChildProcess.ProjectOutput("samples", "OptGen.Samples.Distributed");
        var (exitCode, output, error) = ChildProcess.Run(launcher![0], [.. launcher[1..], "dotnet", "exec", sample, "--check"], TimeSpan.FromSeconds(120));
        Assert.True(exitCode == 0, $"mpirun exited with {exitCode}\n{output}\n{error}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"parameters sha256 {expected}", lines[^1].TrimEnd('\r'));
    }

    [GeneratedRegex(@"test accuracy ([0-9.]+) ?%")]
    private static partial Regex Accuracy();
}
