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
}
