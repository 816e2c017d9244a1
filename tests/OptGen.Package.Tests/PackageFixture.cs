using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security;
using System.Threading;

namespace OptGen.Package.Tests;

/// <summary>
/// Packs runtime/OptGen once for all tests of <see cref="PackageTests"/>: into a local feed in a temporary folder
/// outside the repository, under a version no cache can hold, and builds the consumer projects from that feed.
/// </summary>
/// <remarks>
/// <para>
/// <c>dotnet test</c> runs the solution's test projects in parallel, so other test projects may still be building
/// runtime/OptGen (its bin/ and obj/) while this one packs it. The pack therefore writes nothing into the repository:
/// <c>--artifacts-path</c> moves every project's bin/ and obj/ (the restore's outputs included) of this build, the
/// generator's too, under the temporary folder, and <c>--output</c> puts the packages in the feed there.
/// </para>
/// <para>
/// The consumers restore into their own empty global packages folder, from a nuget.config that clears every other
/// source and maps the id OptGen to the local feed alone (System.IO.Hashing comes from nuget.org).
/// </para>
/// </remarks>
public sealed class PackageFixture : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(1);

    private readonly Lazy<CommandResult> _pack;
    private readonly Dictionary<string, Consumer> _consumers = new(StringComparer.Ordinal);
    private readonly Lock _consumersLock = new();

    public PackageFixture()
    {
        RepositoryRoot = FindRepositoryRoot();
        WorkDirectory = Path.Combine(Path.GetTempPath(), "optgen-package-tests-" + Guid.NewGuid().ToString("N")[..12]);
        if (IsUnder(WorkDirectory, RepositoryRoot))
        {
            throw new InvalidOperationException(
                $"The temporary folder {WorkDirectory} is inside the repository {RepositoryRoot}: its Directory.Build.props would be used.");
        }
        Directory.CreateDirectory(WorkDirectory);

        FeedDirectory = Path.Combine(WorkDirectory, "feed");
        PackagesDirectory = Path.Combine(WorkDirectory, "packages");
        Version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." +
            Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        // Stops MSBuild's upward search for Directory.Build.props/targets and Directory.Packages.props at the work folder.
        File.WriteAllText(Path.Combine(WorkDirectory, "Directory.Build.props"), """
            <Project>
              <PropertyGroup>
                <ImportDirectoryBuildTargets>false</ImportDirectoryBuildTargets>
                <ImportDirectoryPackagesProps>false</ImportDirectoryPackagesProps>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(WorkDirectory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{SecurityElement.Escape(PackagesDirectory)}" />
              </config>
              <packageSources>
                <clear />
                <add key="optgen-local" value="{SecurityElement.Escape(FeedDirectory)}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <fallbackPackageFolders>
                <clear />
              </fallbackPackageFolders>
              <packageSourceMapping>
                <clear />
                <packageSource key="optgen-local">
                  <package pattern="OptGen" />
                  <package pattern="OptGen.Distributed" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);

        _pack = new Lazy<CommandResult>(Pack, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The folder holding OptGen.sln.</summary>
    public string RepositoryRoot { get; }

    /// <summary>The temporary folder every file of these tests goes into.</summary>
    public string WorkDirectory { get; }

    /// <summary>The local feed: the packed OptGen.*.nupkg and .snupkg.</summary>
    public string FeedDirectory { get; }

    /// <summary>The consumers' global packages folder, empty at the start.</summary>
    public string PackagesDirectory { get; }

    /// <summary>The package version packed, a prerelease unique to this run.</summary>
    public string Version { get; }

    public string PackagePath => Path.Combine(FeedDirectory, $"OptGen.{Version}.nupkg");

    public string SymbolPackagePath => Path.Combine(FeedDirectory, $"OptGen.{Version}.snupkg");

    public string DistributedPackagePath => Path.Combine(FeedDirectory, $"OptGen.Distributed.{Version}.nupkg");

    /// <summary>Packs runtime/OptGen (once) and fails the calling test, with the pack's output, if that failed.</summary>
    internal CommandResult EnsurePacked()
    {
        CommandResult pack = _pack.Value;
        Assert.True(pack.Succeeded, "dotnet pack failed." + Environment.NewLine + pack);
        Assert.True(File.Exists(PackagePath), $"{PackagePath} was not produced.{Environment.NewLine}{pack}");
        Assert.True(File.Exists(DistributedPackagePath), $"{DistributedPackagePath} was not produced.{Environment.NewLine}{pack}");
        return pack;
    }

    /// <summary>
    /// Creates (once per name) a console project that references the package <paramref name="packageId"/> (OptGen or
    /// OptGen.Distributed) and nothing else, with the given Program.cs, and builds it; the build's result is returned
    /// whether it succeeded or not.
    /// </summary>
    internal Consumer BuildConsumer(string name, string program, string extraProperties = "", string packageId = "OptGen")
    {
        EnsurePacked();
        lock (_consumersLock)
        {
            if (_consumers.TryGetValue(name, out Consumer? existing))
            {
                return existing;
            }

            string directory = Path.Combine(WorkDirectory, name);
            Directory.CreateDirectory(directory);
            string project = Path.Combine(directory, name + ".csproj");
            File.WriteAllText(project, $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>disable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <RestorePackagesPath>{SecurityElement.Escape(PackagesDirectory)}</RestorePackagesPath>
                {extraProperties}
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="{packageId}" Version="{Version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(directory, "Program.cs"), program);

            CommandResult build = DotNetCli.Run(
                directory, BuildTimeout, ConsumerEnvironment(),
                "build", project, "-c", "Debug", "-tl:off", "-nodeReuse:false", "--disable-build-servers");
            var consumer = new Consumer(directory, project, build, Path.Combine(directory, "bin", "Debug", "net10.0"));
            _consumers.Add(name, consumer);
            return consumer;
        }
    }

    /// <summary>Runs a built consumer (<c>dotnet run --no-build</c>).</summary>
    internal CommandResult RunConsumer(Consumer consumer) =>
        DotNetCli.Run(consumer.Directory, RunTimeout, ConsumerEnvironment(), "run", "--no-build", "-c", "Debug", "--project", consumer.ProjectPath);

    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary folder left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private CommandResult Pack()
    {
        // --artifacts-path: this build's bin/ and obj/ (restore outputs included) for runtime/OptGen, the generator and
        // runtime/OptGen.Distributed go under the work folder, never into the repository's, which concurrent test builds use.
        CommandResult? result = null;
        foreach (string project in new[] { Path.Combine("runtime", "OptGen", "OptGen.csproj"), Path.Combine("runtime", "OptGen.Distributed", "OptGen.Distributed.csproj") })
        {
            result = DotNetCli.Run(
                RepositoryRoot, BuildTimeout, environment: null,
                "pack", Path.Combine(RepositoryRoot, project),
                "-c", "Release",
                "--output", FeedDirectory,
                "--artifacts-path", Path.Combine(WorkDirectory, "artifacts"),
                "-p:Version=" + Version,
                "-tl:off", "-nodeReuse:false", "--disable-build-servers");
            if (!result.Succeeded)
            {
                break;
            }
        }

        return result!;
    }

    private Dictionary<string, string> ConsumerEnvironment() => new(StringComparer.Ordinal)
    {
        // Takes precedence over the user's NUGET_PACKAGES: no cached OptGen from elsewhere can be used.
        ["NUGET_PACKAGES"] = PackagesDirectory,
    };

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OptGen.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No OptGen.sln above {AppContext.BaseDirectory}.");
    }

    private static bool IsUnder(string path, string root)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        string rootFull = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(rootFull, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }
}

/// <summary>A consumer project and the result of building it.</summary>
internal sealed record Consumer(string Directory, string ProjectPath, CommandResult Build, string OutputDirectory)
{
    /// <summary>Warnings in the build output (MSBuild's canonical "…: warning CODE: …" lines).</summary>
    public IReadOnlyList<string> Warnings =>
        Build.StandardOutput.Split('\n')
            .Concat(Build.StandardError.Split('\n'))
            .Select(line => line.Trim())
            .Where(line => System.Text.RegularExpressions.Regex.IsMatch(line, @":\s*warning\s*[A-Za-z]*[0-9]*\s*:"))
            .Distinct(StringComparer.Ordinal)
            .ToList();
}
