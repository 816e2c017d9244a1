using System;
using System.Numerics;

namespace OptGen.Tests.PyTorch;

/// <summary>Runs an optimizer over the fixture's gradients and compares every element of every step with PyTorch.</summary>
internal static class Trajectory
{
    /// <summary>
    /// Fails at the first element that is more than <paramref name="maxUlps"/> ulps and more than
    /// <paramref name="absoluteTolerance"/> from PyTorch; returns a summary line.
    /// </summary>
    public static string AssertMatches<T>(
        string label,
        IOptimizer<T> optimizer,
        T[] parameters,
        Func<int, T[]> gradientsOfStep,
        T[] expected,
        Func<T, T, long> ulpsBetween,
        long maxUlps,
        double absoluteTolerance = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        long worstUlps = 0;
        double worstRelative = 0;
        double worstAbsolute = 0;
        for (int step = 0; step < fixture.Steps; step++)
        {
            optimizer.Step(parameters, gradientsOfStep(step));
            for (int i = 0; i < parameters.Length; i++)
            {
                T reference = expected[(step * fixture.Length) + i];
                long ulps = ulpsBetween(parameters[i], reference);
                double actual = double.CreateTruncating(parameters[i]);
                double wanted = double.CreateTruncating(reference);
                double difference = Math.Abs(actual - wanted);
                Assert.True(
                    ulps <= maxUlps || difference <= absoluteTolerance,
                    $"{label} step {step + 1} element {i}: OptGen {parameters[i]:R}, PyTorch {reference:R} ({ulps} ulps, {difference:E2} apart).");
                worstUlps = Math.Max(worstUlps, ulps);
                worstAbsolute = Math.Max(worstAbsolute, difference);
                worstRelative = Math.Max(worstRelative, difference / Math.Max(Math.Abs(wanted), 1e-30));
            }
        }

        Assert.Equal(fixture.Steps, optimizer.StepCount);
        return $"{label}: worst {worstUlps} ulps, worst absolute error {worstAbsolute:E2}, worst relative error {worstRelative:E2} over {fixture.Steps} steps.";
    }

    /// <summary>
    /// Steps <paramref name="optimizer"/> like <see cref="AssertMatches"/> and compares its state buffer
    /// <paramref name="buffer"/> after every step, within <paramref name="maxUlps"/>; returns a summary line.
    /// </summary>
    public static string AssertStateMatches<T>(
        string label,
        IOptimizer<T> optimizer,
        string buffer,
        T[] parameters,
        Func<int, T[]> gradientsOfStep,
        T[] expected,
        Func<T, T, long> ulpsBetween,
        long maxUlps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        int index = -1;
        for (int i = 0; i < optimizer.StateBufferNames.Count; i++)
        {
            index = optimizer.StateBufferNames[i] == buffer ? i : index;
        }

        Assert.True(index >= 0, $"{label}: the optimizer has no state buffer '{buffer}'.");
        long worstUlps = 0;
        for (int step = 0; step < fixture.Steps; step++)
        {
            optimizer.Step(parameters, gradientsOfStep(step));
            ReadOnlySpan<T> state = optimizer.GetStateBuffer(index);
            for (int i = 0; i < state.Length; i++)
            {
                T reference = expected[(step * fixture.Length) + i];
                long ulps = ulpsBetween(state[i], reference);
                Assert.True(ulps <= maxUlps, $"{label} step {step + 1} element {i}: OptGen {state[i]:R}, PyTorch {reference:R} ({ulps} ulps).");
                worstUlps = Math.Max(worstUlps, ulps);
            }
        }

        return $"{label}: worst {worstUlps} ulps over {fixture.Steps} steps.";
    }
}
