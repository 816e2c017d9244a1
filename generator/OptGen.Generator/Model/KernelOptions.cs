using System.Globalization;

namespace OptGen.Generator.Model;

/// <summary>
/// Code-generation choices that do not change results, only speed; project-wide MSBuild properties, so they can be
/// measured against each other without touching the update rules.
/// </summary>
/// <param name="UnrollFactor">Vectors per main-loop iteration (MSBuild property <c>OptGenUnrollFactor</c>: 1, 2 or 4; default 4).
/// The runtime's element loop runs that many vectors as one block of lanes, so the update's statements interleave across
/// them.</param>
/// <param name="IsExplicit">Whether the project set <c>OptGenUnrollFactor</c>; if not, a kernel may choose less unrolling (<see cref="UnrollFor"/>).</param>
internal sealed record KernelOptions(int UnrollFactor, bool IsExplicit = false)
{
    public const string UnrollFactorProperty = "build_property.OptGenUnrollFactor";

    public static KernelOptions Default { get; } = new(4);

    /// <summary>Reads the options from the project's properties; invalid or missing values keep the default.</summary>
    public static KernelOptions Read(string? unrollFactor) =>
        int.TryParse(unrollFactor, NumberStyles.Integer, CultureInfo.InvariantCulture, out int unroll) && unroll is 1 or 2 or 4
            ? new KernelOptions(unroll, IsExplicit: true)
            : Default;

    /// <summary>
    /// The unrolling of a kernel with <paramref name="stateCount"/> state buffers: the project's, if it set one;
    /// otherwise 4, or 2 for four states. Four Vector512 blocks of six streams make the JIT keep the lanes on the stack:
    /// a four-state rule (Adan) stepped 7× slower unrolled by 4 than by 2 (15.5 against 2.2 µs for 4,810 floats), while
    /// rules of up to three states are 10–25 % faster by 4.
    /// </summary>
    public int UnrollFor(int stateCount) => IsExplicit || stateCount < 4 ? UnrollFactor : 2;
}
