using System;
using System.CommandLine;
using System.IO;
using OptGen.Samples.Digits;

namespace OptGen.Samples.Tests;

public class CommandLineTests
{
    private static (int ExitCode, string Output, string Error) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = DigitsCommand.Invoke(args, new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("--epochs", "0")]
    [InlineData("--epochs", "-3")]
    [InlineData("--epochs", "many")]
    [InlineData("--seed", "x")]
    [InlineData("--output", "")]
    [InlineData("--no-such-option")]
    [InlineData("--optimizers")]
    public void Bad_options_fail_with_a_message(params string[] args)
    {
        (int exitCode, _, string error) = Invoke(args);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Run with --help", error, StringComparison.Ordinal);
        Assert.True(error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 2, error);
    }

    [Fact]
    public void Unknown_optimizer_names_are_listed_with_the_valid_ones()
    {
        (int exitCode, _, string error) = Invoke("--optimizers", "adam,adabelief", "--optimizers", "sgdd");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("'adabelief'", error, StringComparison.Ordinal);
        Assert.Contains("'sgdd'", error, StringComparison.Ordinal);
        Assert.Contains("Valid names: sgd, nesterov, adagrad, rmsprop, adam, adamw, adadelta, adamax, asgd, nadam, radam, rprop, lion, schedule-free-adamw, adam-constant", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_lists_the_options()
    {
        (int exitCode, string output, _) = Invoke("--help");
        Assert.Equal(0, exitCode);
        foreach (string option in new[] { "--epochs", "--optimizers", "--output", "--seed", "--no-sweep", "--no-transforms" })
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_short_run_writes_the_report_and_charts()
    {
        string folder = NewFolderName();
        try
        {
            (int exitCode, _, string error) = Invoke("--epochs", "1", "--optimizers", "ADAM, adam-cosine", "--no-sweep", "--output", folder);
            Assert.True(exitCode == 0, error);
            string markdown = File.ReadAllText(Path.Combine(folder, "results.md"));
            Assert.Contains("| Adam | constant | 0.001 |", markdown, StringComparison.Ordinal);
            Assert.Contains("| Adam | cosine | 0.03 |", markdown, StringComparison.Ordinal);
            Assert.DoesNotContain("| SGD", markdown, StringComparison.Ordinal);
            foreach (string chart in new[] { Plots.LossByOptimizer, Plots.LearningRateBySchedule, Plots.LossBySchedule })
            {
                byte[] png = File.ReadAllBytes(Path.Combine(folder, chart));
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            }

            Assert.False(File.Exists(Path.Combine(folder, Plots.LearningRateSensitivity)));
            Assert.False(File.Exists(Path.Combine(folder, Plots.GradientNorm)));
        }
        finally
        {
            DeleteFolder(folder);
        }
    }

    [Fact]
    public void The_transforms_section_has_its_table_and_charts_and_can_be_skipped()
    {
        string folder = NewFolderName();
        try
        {
            (int exitCode, _, string error) = Invoke("--epochs", "1", "--optimizers", "adamw-plain,adamw-clipped", "--no-sweep", "--output", folder);
            Assert.True(exitCode == 0, error);
            string markdown = File.ReadAllText(Path.Combine(folder, "results.md"));
            Assert.Contains("## Whole-model transforms", markdown, StringComparison.Ordinal);
            Assert.Contains("| AdamW | ", markdown, StringComparison.Ordinal);
            Assert.Contains("| AdamW, clipped | ", markdown, StringComparison.Ordinal);
            Assert.Contains("| Clipped steps | Median ‖g‖ | Max ‖g‖ |", markdown, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(folder, Plots.LossByTransform)));
            Assert.True(File.Exists(Path.Combine(folder, Plots.GradientNorm)));

            (exitCode, _, error) = Invoke("--epochs", "1", "--optimizers", "adam,adamw-clipped", "--no-sweep", "--no-transforms", "--output", folder);
            Assert.True(exitCode == 0, error);
            markdown = File.ReadAllText(Path.Combine(folder, "results.md"));
            Assert.Contains("| Adam | constant | 0.001 |", markdown, StringComparison.Ordinal);
            Assert.DoesNotContain("Whole-model transforms", markdown, StringComparison.Ordinal);
            Assert.Contains("--no-transforms", markdown, StringComparison.Ordinal);
        }
        finally
        {
            DeleteFolder(folder);
        }
    }

    private static string NewFolderName() => Path.Combine(Path.GetTempPath(), "digits-test-" + Guid.NewGuid().ToString("N"));

    private static void DeleteFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
