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

    public static TheoryData<string, string> RecordedStates
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach ((string name, string buffer) in PyTorchFixture.RecordedStates())
            {
                data.Add(name, buffer);
            }

            return data;
        }
    }

    /// <summary>A state buffer the parameters never read back (ASGD's averaged parameters) is compared step by step too.</summary>
    [Theory]
    [MemberData(nameof(RecordedStates))]
    public void Float_state_buffer_matches_PyTorch_at_every_step(string name, string buffer)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        output.WriteLine(Trajectory.AssertStateMatches(
            $"{name} {buffer} float",
            PyTorchFixtureOptimizers.CreateSingle(name, fixture.Length),
            buffer,
            Array.ConvertAll(fixture.InitialParameters, x => (float)x),
            step => Array.ConvertAll(fixture.GradientsOfStep(step).ToArray(), x => (float)x),
            PyTorchFixture.SingleStateTrajectory(name, buffer),
            Ulps.Between,
            MaxUlps));
    }

    [Theory]
    [MemberData(nameof(RecordedStates))]
    public void Double_state_buffer_matches_PyTorch_at_every_step(string name, string buffer)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        output.WriteLine(Trajectory.AssertStateMatches(
            $"{name} {buffer} double",
            PyTorchFixtureOptimizers.CreateDouble(name, fixture.Length),
            buffer,
            fixture.InitialParameters.ToArray(),
            step => fixture.GradientsOfStep(step).ToArray(),
            PyTorchFixture.DoubleStateTrajectory(name, buffer),
            Ulps.Between,
            MaxUlps));
    }

    private void AssertTrajectory<T>(string label, IOptimizer<T> optimizer, T[] parameters, Func<int, T[]> gradientsOfStep, T[] expected, Func<T, T, long> ulpsBetween)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        output.WriteLine(Trajectory.AssertMatches(label, optimizer, parameters, gradientsOfStep, expected, ulpsBetween, MaxUlps));
}
