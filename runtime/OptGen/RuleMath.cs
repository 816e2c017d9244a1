using System;

namespace OptGen;

/// <summary>
/// Element functions for <see cref="ElementRuleAttribute"/> rules where C# has no exact equivalent that a vector step
/// can reproduce. Each is ordinary C# (the rule's method stays its own reference) and OptGen translates it to the
/// matching vector operation.
/// </summary>
public static class RuleMath
{
    /// <summary>
    /// <c>torch.sign</c>: 1 above zero, −1 below, +0 otherwise (NaN and −0 give +0). Unlike <see cref="System.Math.Sign(float)"/>
    /// it returns the element type and does not throw on NaN.
    /// </summary>
    /// <param name="x">The value.</param>
    /// <returns>1, −1 or +0.</returns>
    public static float Sign(float x) => x > 0 ? 1f : x < 0 ? -1f : 0f;

    /// <inheritdoc cref="Sign(float)"/>
    public static double Sign(double x) => x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;

    /// <summary>
    /// <c>torch.lerp(start, end, weight)</c> as PyTorch 1.13's CPU kernel computes it: from <paramref name="start"/>
    /// when |weight| &lt; 0.5, from <paramref name="end"/> otherwise, each a fused multiply-add, so that a weight of 1
    /// gives <paramref name="end"/> exactly. Bit for bit PyTorch's for every weight of at least −0.5 (its float kernel
    /// with a tensor of weights tests weight &lt; 0.5 instead, which differs below −0.5). <c>m.lerp_(g, 1 − β)</c> is
    /// <c>m = RuleMath.Lerp(m, g, 1 - β)</c>.
    /// </summary>
    /// <param name="start">The value at weight 0.</param>
    /// <param name="end">The value at weight 1.</param>
    /// <param name="weight">The interpolation weight.</param>
    /// <returns>The interpolated value, in the argument type.</returns>
    public static float Lerp(float start, float end, float weight)
    {
        float difference = end - start;
        return Math.Abs(weight) < 0.5f ? MathF.FusedMultiplyAdd(weight, difference, start) : MathF.FusedMultiplyAdd(-difference, 1 - weight, end);
    }

    /// <inheritdoc cref="Lerp(float, float, float)"/>
    public static double Lerp(double start, double end, double weight)
    {
        double difference = end - start;
        return Math.Abs(weight) < 0.5 ? Math.FusedMultiplyAdd(weight, difference, start) : Math.FusedMultiplyAdd(-difference, 1 - weight, end);
    }
}
