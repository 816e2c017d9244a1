namespace OptGen.Generator;

/// <summary>Version stamped into <c>[GeneratedCode]</c>; a constant, so output does not depend on build metadata.</summary>
internal static class ThisAssembly
{
    public const string Version = "0.1.0";
}
