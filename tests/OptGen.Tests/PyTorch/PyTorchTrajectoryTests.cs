using System;
using System.Linq;
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
        float[] expected = PyTorchFixture.SingleTrajectory(name);
        IOptimizer<float> optimizer = PyTorchFixtureOptimizers.CreateSingle(name, fixture.Length);
        float[] parameters = fixture.InitialParameters.Select(x => (float)x).ToArray();
        float[] gradients = new float[fixture.Length];

        long worstUlps = 0;
        double worstRelative = 0;
        for (int step = 0; step < fixture.Steps; step++)
        {
            for (int i = 0; i < gradients.Length; i++)
            {
                gradients[i] = (float)fixture.GradientsOfStep(step)[i];
            }

            optimizer.Step(parameters, gradients);
            for (int i = 0; i < parameters.Length; i++)
            {
                float reference = expected[(step * fixture.Length) + i];
                long ulps = Ulps.Between(parameters[i], reference);
                Assert.True(
                    ulps <= MaxUlps,
                    $"{name} float step {step + 1} element {i}: OptGen {parameters[i]:R}, PyTorch {reference:R} ({ulps} ulps apart).");
                worstUlps = Math.Max(worstUlps, ulps);
                worstRelative = Math.Max(worstRelative, Math.Abs(parameters[i] - reference) / Math.Max(Math.Abs(reference), 1e-30));
            }
        }

        Assert.Equal(fixture.Steps, optimizer.StepCount);
        output.WriteLine($"{name} float: worst {worstUlps} ulps, worst relative error {worstRelative:E2} over {fixture.Steps} steps.");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Double_trajectory_matches_PyTorch_at_every_step(string name)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        double[] expected = PyTorchFixture.DoubleTrajectory(name);
        IOptimizer<double> optimizer = PyTorchFixtureOptimizers.CreateDouble(name, fixture.Length);
        double[] parameters = fixture.InitialParameters.ToArray();

        long worstUlps = 0;
        double worstRelative = 0;
        for (int step = 0; step < fixture.Steps; step++)
        {
            optimizer.Step(parameters, fixture.GradientsOfStep(step));
            for (int i = 0; i < parameters.Length; i++)
            {
                double reference = expected[(step * fixture.Length) + i];
                long ulps = Ulps.Between(parameters[i], reference);
                Assert.True(
                    ulps <= MaxUlps,
                    $"{name} double step {step + 1} element {i}: OptGen {parameters[i]:R}, PyTorch {reference:R} ({ulps} ulps apart).");
                worstUlps = Math.Max(worstUlps, ulps);
                worstRelative = Math.Max(worstRelative, Math.Abs(parameters[i] - reference) / Math.Max(Math.Abs(reference), 1e-300));
            }
        }

        output.WriteLine($"{name} double: worst {worstUlps} ulps, worst relative error {worstRelative:E2} over {fixture.Steps} steps.");
    }
}
