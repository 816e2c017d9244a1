using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace OptGen.Tests.Processes;

/// <summary>Programs the tests run as separate processes: the repository's other projects, the MPI launchers, and a program with a time limit.</summary>
internal static class ChildProcess
{
    /// <summary>The message of a test skipped because MPICH is not installed.</summary>
    public const string MpichMissing = "MPICH is not installed (apt-get install -y mpich); this test needs mpirun.mpich.";

    /// <summary>The message of a test skipped because OpenMPI is not installed.</summary>
    public const string OpenMpiMissing = "OpenMPI is not installed (apt-get install -y openmpi-bin); this test needs mpirun.openmpi.";

    /// <summary>
    /// The built assembly of the repository's project <paramref name="folder"/>/<paramref name="name"/> (e.g. "tests",
    /// "OptGen.MpiWorker"), in the configuration and framework of the running test project:
    /// tests/&lt;this project&gt;/bin/&lt;configuration&gt;/&lt;framework&gt;/ → &lt;folder&gt;/&lt;name&gt;/bin/&lt;configuration&gt;/&lt;framework&gt;/&lt;name&gt;.dll.
    /// </summary>
    public static string ProjectOutput(string folder, string name)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = output.Name, configuration = output.Parent!.Name;
        string repository = output.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        string path = Path.Combine(repository, folder, name, "bin", configuration, framework, name + ".dll");
        Assert.True(File.Exists(path), $"{path} is missing; build the solution first.");
        return path;
    }

    /// <summary>
    /// The command line that starts <paramref name="ranks"/> ranks with the launcher of <paramref name="implementation"/>
    /// ("MPICH" or "OpenMPI"), or null if it is not installed. OpenMPI must be told that root may run it and that there
    /// may be more ranks than cores.
    /// </summary>
    public static string[]? MpiLauncher(string implementation, int ranks)
    {
        string count = ranks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return implementation switch
        {
            "MPICH" => FindOnPath("mpirun.mpich") is { } mpich ? [mpich, "-np", count] : null,
            "OpenMPI" => FindOnPath("mpirun.openmpi") is { } openMpi ? [openMpi, "--allow-run-as-root", "--oversubscribe", "-np", count] : null,
            _ => throw new ArgumentException($"Unknown MPI implementation '{implementation}'.", nameof(implementation)),
        };
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);

    /// <summary>Runs <paramref name="program"/>; fails the test, after killing it and its children, if it runs past <paramref name="limit"/>.</summary>
    public static (int ExitCode, string Output, string Error) Run(string program, string[] arguments, TimeSpan limit)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not end within {limit.TotalSeconds} s\n{output.Result}\n{error.Result}");
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
