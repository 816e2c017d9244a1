using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using OptGen.Tests.Processes;

namespace OptGen.Tests;

/// <summary>
/// Under the runtime's default tiered compilation a method starts unoptimized and is recompiled only after rounds of
/// call counting, each waiting 100 ms after the last new compilation (1 s on a machine or container with one CPU).
/// A step's vector loop compiled that way runs 20–80 times slower, for seconds — tens of thousands of steps of a small
/// model. The step's loops are therefore compiled fully optimized at their first call; this checks it in a fresh
/// process, where nothing has been compiled yet.
/// </summary>
public class TieredCompilationTests
{
    private const int Optimized = 2;
    private const int QuickJitted = 3;

    // Constant-time work per step (accessors, argument checks, per-step bookkeeping) may start unoptimized. Store is the
    // lanes' store of the element loop's overlapping last vector, once per step; on the narrower paths the JIT may leave
    // it out of line.
    private static readonly HashSet<string> ConstantTimeMembers =
        ["BlockCount", "CheckStore", "ClipCoefficient", "NormPartials", "CheckThreadCount", "ThrowIfNoStepLeft", "Add", "Store", ".ctor", ".cctor"];

    [Fact]
    public void Every_loop_of_a_step_is_compiled_optimized_from_the_first_step()
    {
        var compiled = RunProbe();

        // What the probe must have seen for the check to mean anything: the element loop, the mixed-precision chunk
        // step and the gradient norm, compiled during the steps.
        foreach (string method in new[] { "OptGen.ElementLoop::Loop ", "MixedPrecisionState`1[OptGen.BFloat16]::StepChunk ", "OptGen.GradientNorm::SumOfSquares " })
        {
            var matches = compiled.Where(entry => entry.Method.Contains(method, StringComparison.Ordinal)).ToList();
            Assert.True(matches.Count > 0, $"The probe saw no compilation of {method.Trim()}:\n{Listing(compiled)}");
            Assert.All(matches, entry => Assert.True(entry.Tier == Optimized, $"{entry.Method} was compiled at tier {entry.Tier}, not fully optimized."));
        }

        var unoptimized = compiled
            .Where(entry => entry.Tier == QuickJitted && !IsConstantTime(entry.Method))
            .Select(entry => entry.Method)
            .ToList();
        Assert.True(unoptimized.Count == 0, "Compiled unoptimized for the first steps:\n" + string.Join("\n", unoptimized));
    }

    private static bool IsConstantTime(string method)
    {
        string name = method[(method.IndexOf("::", StringComparison.Ordinal) + 2)..].Split(' ')[0];
        return name.StartsWith("get_", StringComparison.Ordinal) || name.StartsWith("set_", StringComparison.Ordinal) || ConstantTimeMembers.Contains(name);
    }

    private static string Listing(List<(int Tier, string Method)> compiled) => string.Join("\n", compiled.Select(entry => $"{entry.Tier} {entry.Method}"));

    private static List<(int Tier, string Method)> RunProbe()
    {
        string probe = ChildProcess.ProjectOutput("tests", "OptGen.TieringProbe");
        var start = new ProcessStartInfo("dotnet", ["exec", probe]) { RedirectStandardOutput = true, RedirectStandardError = true };
        // The runtime's defaults, whatever this process runs under.
        foreach (string variable in new[] { "DOTNET_TieredCompilation", "DOTNET_TC_QuickJitForLoops", "DOTNET_ReadyToRun", "DOTNET_TieredPGO", "DOTNET_OSR_HitLimit", "DOTNET_TC_CallCountingDelayMs" })
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "The probe did not finish within two minutes.");
        Assert.True(process.ExitCode == 0, $"The probe failed ({process.ExitCode}):\n{text}\n{error.Result}");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Tier: int.Parse(line[..line.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture), Method: line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]))
            .ToList();
    }
}
