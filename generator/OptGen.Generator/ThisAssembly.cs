namespace OptGen.Generator;

/// <summary>The version stamped into <c>[GeneratedCode]</c>: this generator assembly's own version.</summary>
internal static class ThisAssembly
{
#pragma warning disable RS0030 // the ban keeps generators out of user assemblies; this reads the generator's own name
    public static readonly string Version = typeof(ThisAssembly).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";
#pragma warning restore RS0030
}
