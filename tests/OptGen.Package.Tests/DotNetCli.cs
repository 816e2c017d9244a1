using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading.Tasks;

namespace OptGen.Package.Tests;

/// <summary>The output of one <c>dotnet</c> command.</summary>
internal sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Everything the command printed, for assertion messages.</summary>
    public override string ToString() =>
        $"`{CommandLine}` exited with {ExitCode} after {Elapsed.TotalSeconds:F1} s.{Environment.NewLine}" +
        $"--- stdout ---{Environment.NewLine}{StandardOutput}{Environment.NewLine}" +
        $"--- stderr ---{Environment.NewLine}{StandardError}";
}

/// <summary>
/// Runs the <c>dotnet</c> CLI as a child process with a time limit, no build servers left behind, and an environment
/// cleaned of what the surrounding <c>dotnet test</c> (itself an MSBuild run) sets for its own children.
/// </summary>
internal static class DotNetCli
{
    public static CommandResult Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(DotNetExecutable())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // MSBuild's own variables from the outer `dotnet test` (MSBuildExtensionsPath, MSBuildSDKsPath, MSBUILD*...)
        // would steer the child build to the outer one's settings; the child finds its SDK by itself.
        var inherited = new List<string>();
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            inherited.Add((string)entry.Key);
        }
        foreach (string name in inherited)
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("_MSBUILD", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) ||
                name.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
            {
                startInfo.Environment.Remove(name);
            }
        }
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        startInfo.Environment["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false";
        startInfo.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        startInfo.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        startInfo.Environment["UseSharedCompilation"] = "false";
        if (environment is not null)
        {
            foreach (KeyValuePair<string, string> pair in environment)
            {
                startInfo.Environment[pair.Key] = pair.Value;
            }
        }

        string commandLine = "dotnet " + string.Join(' ', arguments);
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        process.Start();
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit((int)timeout.TotalMilliseconds))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended between the time-out and the kill.
            }
            process.WaitForExit();
            return new CommandResult(
                commandLine, -1, stdout.Result, $"TIMED OUT after {timeout.TotalSeconds:F0} s{Environment.NewLine}{stderr.Result}", clock.Elapsed);
        }
        process.WaitForExit(); // drains the redirected streams
        return new CommandResult(commandLine, process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }

    /// <summary>The dotnet host running these tests, so the child uses the same installation as the test run.</summary>
    private static string DotNetExecutable()
    {
        string? host = Environment.ProcessPath;
        if (host is not null && System.IO.Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return host;
        }
        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root))
        {
            string candidate = System.IO.Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }
        return "dotnet";
    }
}
