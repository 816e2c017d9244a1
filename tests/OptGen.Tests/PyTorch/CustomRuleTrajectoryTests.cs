using System;
using System.Linq;
using Xunit.Abstractions;

namespace OptGen.Tests.PyTorch;

/// <summary>
/// Adamax, Adadelta, RAdam and Lion written as [ElementRule] methods (CustomRuleOptimizers.cs) against the same PyTorch
/// 1.13 trajectories as their presets: 259 parameters, 60 steps, every element of every step, in float and in double.
/// </summary>
public sealed class CustomRuleTrajectoryTests(ITestOutputHelper output)
{
    /// <summary>
    /// Each method repeats its preset's operations in the same order and precision, so the generated step is expected
    /// to reproduce PyTorch bit for bit: no tolerance.
    /// </summary>
    private const long MaxUlps = 0;

    public static TheoryData<string> Names => new(CustomRuleOptimizers.Names);

    [Fact]
    public void Every_config_has_a_PyTorch_fixture()
    {
        Assert.All(CustomRuleOptimizers.Names, name => Assert.Contains(name, PyTorchFixtureOptimizers.Names));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float_element_rule_matches_PyTorch_at_every_step(string name)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        output.WriteLine(Trajectory.AssertMatches(
            name + " float [ElementRule]",
            CustomRuleOptimizers.CreateSingle(name, fixture.Length),
            Array.ConvertAll(fixture.InitialParameters, x => (float)x),
            step => Array.ConvertAll(fixture.GradientsOfStep(step).ToArray(), x => (float)x),
            PyTorchFixture.SingleTrajectory(name),
            Ulps.Between,
            MaxUlps));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Double_element_rule_matches_PyTorch_at_every_step(string name)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        output.WriteLine(Trajectory.AssertMatches(
            name + " double [ElementRule]",
            CustomRuleOptimizers.CreateDouble(name, fixture.Length),
            fixture.InitialParameters.ToArray(),
            step => fixture.GradientsOfStep(step).ToArray(),
            PyTorchFixture.DoubleTrajectory(name),
            Ulps.Between,
            MaxUlps));
    }
}
