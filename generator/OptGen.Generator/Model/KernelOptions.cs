using System.Globalization;

namespace OptGen.Generator.Model;

/// <summary>
/// Code-generation choices that do not change results, only speed; project-wide MSBuild properties, so they can be
/// measured against each other without touching the update rules.
/// </summary>
/// <param name="UnrollFactor">Vectors per main-loop iteration (MSBuild property <c>OptGenUnrollFactor</c>: 1, 2 or 4; default 4).
/// The runtime's element loop runs that many vectors as one block of lanes, so the update's statements interleave across
/// them.</param>
internal sealed record KernelOptions(int UnrollFactor)
{
    public const string UnrollFactorProperty = "build_property.OptGenUnrollFactor";

    public static KernelOptions Default { get; } = new(4);

    /// <summary>Reads the options from the project's properties; invalid or missing values keep the default.</summary>
    public static KernelOptions Read(string? unrollFactor) =>
        int.TryParse(unrollFactor, NumberStyles.Integer, CultureInfo.InvariantCulture, out int unroll) && unroll is 1 or 2 or 4
            ? new KernelOptions(unroll)
            : Default;
}
