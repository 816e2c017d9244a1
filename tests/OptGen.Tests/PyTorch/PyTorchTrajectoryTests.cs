using System;
using System.Linq;
using System.Numerics;
using Xunit.Abstractions;

namespace OptGen.Tests.PyTorch;

/// <summary>
/// Every preset and hyperparameter against PyTorch 1.13: 259 parameters, 60 steps, gradients with zeros, outliers and
/// tiny values; every element of every step is compared, in float and in double.
/// </summary>
public sealed class PyTorchTrajectoryTests(ITestOutputHelper output)
{
    /// <summary>
    /// Tolerance in units in the last place. The presets replay PyTorch's CPU kernels operation for operation (FMA where
    /// they fuse, true division where they divide), so the measured distance is 0; a few ulps leave room for a libm
    /// whose pow differs in the last bit.
    /// </summary>
    private const long MaxUlps = 4;

    public static TheoryData<string> Names => new(PyTorchFixtureOptimizers.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Float_trajectory_matches_PyTorch_at_every_step(string name)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        AssertTrajectory(
            name + " float",
            PyTorchFixtureOptimizers.CreateSingle(name, fixture.Length),
            Array.ConvertAll(fixture.InitialParameters, x => (float)x),
            step => Array.ConvertAll(fixture.GradientsOfStep(step).ToArray(), x => (float)x),
            PyTorchFixture.SingleTrajectory(name),
            Ulps.Between);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Double_trajectory_matches_PyTorch_at_every_step(string name)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        AssertTrajectory(
            name + " double",
            PyTorchFixtureOptimizers.CreateDouble(name, fixture.Length),
            fixture.InitialParameters.ToArray(),
            step => fixture.GradientsOfStep(step).ToArray(),
            PyTorchFixture.DoubleTrajectory(name),
            Ulps.Between);
    }

    private void AssertTrajectory<T>(string label, IOptimizer<T> optimizer, T[] parameters, Func<int, T[]> gradientsOfStep, T[] expected, Func<T, T, long> ulpsBetween)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        long worstUlps = 0;
        double worstRelative = 0;
        for (int step = 0; step < fixture.Steps; step++)
        {
            optimizer.Step(parameters, gradientsOfStep(step));
            for (int i = 0; i < parameters.Length; i++)
            {
                T reference = expected[(step * fixture.Length) + i];
                long ulps = ulpsBetween(parameters[i], reference);
                Assert.True(
                    ulps <= MaxUlps,
                    $"{label} step {step + 1} element {i}: OptGen {parameters[i]:R}, PyTorch {reference:R} ({ulps} ulps apart).");
                worstUlps = Math.Max(worstUlps, ulps);
                double actual = double.CreateTruncating(parameters[i]);
                double wanted = double.CreateTruncating(reference);
                worstRelative = Math.Max(worstRelative, Math.Abs(actual - wanted) / Math.Max(Math.Abs(wanted), 1e-30));
            }
        }

        Assert.Equal(fixture.Steps, optimizer.StepCount);
        output.WriteLine($"{label}: worst {worstUlps} ulps, worst relative error {worstRelative:E2} over {fixture.Steps} steps.");
    }
}
