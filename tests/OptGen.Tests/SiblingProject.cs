using System;
using System.IO;

namespace OptGen.Tests;

/// <summary>Programs of this folder's other projects, which the tests run as separate processes.</summary>
internal static class SiblingProject
{
    /// <summary>
    /// The built assembly of project <paramref name="name"/>, in the same configuration and framework as this one:
    /// tests/OptGen.Tests/bin/&lt;configuration&gt;/&lt;framework&gt;/ → tests/&lt;name&gt;/bin/&lt;configuration&gt;/&lt;framework&gt;/&lt;name&gt;.dll.
    /// </summary>
    public static string Output(string name)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = output.Name, configuration = output.Parent!.Name;
        string path = Path.Combine(output.Parent.Parent!.Parent!.Parent!.FullName, name, "bin", configuration, framework, name + ".dll");
        Assert.True(File.Exists(path), $"{path} is missing; build the solution first.");
        return path;
    }
}
