using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.Renderer;

namespace OptGen.Generator.Tests;

/// <summary>
/// Minimal snapshot testing: compares text with <c>Snapshots/{name}.verified.cs</c> in the source tree of this project.
/// On a mismatch, writes <c>{name}.received.cs</c> beside it and fails with a unified diff. To accept the received
/// output, set <c>OPTGEN_ACCEPT_SNAPSHOTS=1</c> and rerun: the verified files are overwritten and the tests pass.
/// </summary>
internal static class Snapshot
{
    /// <summary>Environment variable that, set to <c>1</c> (or <c>true</c>), makes every mismatch overwrite its snapshot.</summary>
    public const string AcceptVariable = "OPTGEN_ACCEPT_SNAPSHOTS";

    private const int ContextLines = 3;
    private const int MaxDiffLength = 6000;

    private static readonly Lazy<string> s_directory = new(FindDirectory);

    private static readonly UTF8Encoding s_utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The Snapshots folder in the source tree (not the build output).</summary>
    public static string Directory => s_directory.Value;

    public static bool Accepting =>
        Environment.GetEnvironmentVariable(AcceptVariable) is { } value
        && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    /// <summary>Fails unless <paramref name="actual"/> equals the verified snapshot <paramref name="name"/> (line endings aside).</summary>
    public static void Match(string actual, string name) => Match(actual, name, Directory, Accepting);

    /// <summary><see cref="Match(string, string)"/> against the snapshots in <paramref name="directory"/>.</summary>
    internal static void Match(string actual, string name, string directory, bool accept)
    {
        if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Snapshot name '{name}' must be a plain file name without dots.", nameof(name));
        }

        actual = ScrubVersion(Normalize(actual));
        string verifiedPath = Path.Combine(directory, name + ".verified.cs");
        string receivedPath = Path.Combine(directory, name + ".received.cs");
        string? verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;

        if (verified == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        if (accept)
        {
            File.WriteAllText(verifiedPath, actual, s_utf8NoBom);
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual, s_utf8NoBom);
        string how = $"To accept the received output, rerun with the environment variable {AcceptVariable}=1 "
            + $"(e.g. `{AcceptVariable}=1 dotnet test tests/OptGen.Generator.Tests`), which overwrites the .verified.cs files; "
            + "review the change with `git diff` before committing.";
        if (verified is null)
        {
            Assert.Fail($"Snapshot '{name}' has no verified file ({verifiedPath}). The output was written to {receivedPath}.\n{how}");
        }

        Assert.Fail($"Snapshot '{name}' does not match {verifiedPath}. The output was written to {receivedPath}.\n{how}\n\n{Diff(verified!, actual, name)}");
    }

    /// <summary>The generator's version as <c>%VERSION%</c>, so that a version bump changes no snapshot (as dotnet/runtime's generator tests do).</summary>
    internal static string ScrubVersion(string source) =>
        System.Text.RegularExpressions.Regex.Replace(source, "GeneratedCode\\(\"OptGen\\.Generator\", \"[^\"]*\"\\)", "GeneratedCode(\"OptGen.Generator\", \"%VERSION%\")");

    /// <summary>A unified diff from <paramref name="expected"/> to <paramref name="actual"/>, cut to a readable length.</summary>
    public static string Diff(string expected, string actual, string name)
    {
        string diff = UnidiffRenderer.GenerateUnidiff(
            Normalize(expected),
            Normalize(actual),
            name + ".verified.cs",
            name + ".received.cs",
            ignoreWhitespace: false,
            ignoreCase: false,
            contextLines: ContextLines);
        if (diff.Length <= MaxDiffLength)
        {
            return diff;
        }

        int cut = diff.LastIndexOf('\n', MaxDiffLength);
        int lines = diff.Count(c => c == '\n');
        return diff.Substring(0, cut < 0 ? MaxDiffLength : cut)
            + $"\n... diff cut at {MaxDiffLength} of {diff.Length} characters ({lines} lines); compare the .received.cs file for the rest.";
    }

    public static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    private static string FindDirectory()
    {
        // This file's path as the compiler saw it: the source tree, not bin/.
        string? fromSource = Path.GetDirectoryName(ThisFile());
        if (fromSource is not null && File.Exists(Path.Combine(fromSource, "OptGen.Generator.Tests.csproj")))
        {
            return Path.Combine(fromSource, "Snapshots");
        }

        // Source paths mapped away (deterministic CI builds): walk up from the output folder to the project folder.
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "OptGen.Generator.Tests");
            if (File.Exists(Path.Combine(candidate, "OptGen.Generator.Tests.csproj")))
            {
                return Path.Combine(candidate, "Snapshots");
            }

            if (File.Exists(Path.Combine(dir.FullName, "OptGen.Generator.Tests.csproj")))
            {
                return Path.Combine(dir.FullName, "Snapshots");
            }
        }

        throw new InvalidOperationException($"Cannot find the source folder of OptGen.Generator.Tests from '{ThisFile()}' or '{AppContext.BaseDirectory}'.");
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
