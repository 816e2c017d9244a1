using System;
using System.Linq;
using System.Numerics;
using Xunit.Abstractions;

namespace OptGen.Tests.PyTorch;

/// <summary>
/// Schedule-Free's evaluation point against its reference: after the 60 steps of each trajectory, the x that
/// <see cref="IEvaluationPoint{T}.WriteEvaluationPoint"/> writes equals the parameters after the reference's
/// <c>eval()</c>, in float and in double, and the parameters (y) are left as they were.
/// </summary>
public sealed class EvaluationPointTests(ITestOutputHelper output)
{
    /// <summary>As the trajectories': the evaluation point is one more fused operation on the same bits.</summary>
    private const long MaxUlps = 4;

    public static TheoryData<string> Names => new(PyTorchFixtureOptimizers.EvaluationPointNames);

    [Theory]
    [MemberData(nameof(Names))]
    public void Float_evaluation_point_matches_the_reference_eval(string name)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        Check(
            name + " float",
            PyTorchFixtureOptimizers.CreateSingle(name, fixture.Length),
            Array.ConvertAll(fixture.InitialParameters, x => (float)x),
            step => Array.ConvertAll(fixture.GradientsOfStep(step).ToArray(), x => (float)x),
            PyTorchFixture.SingleTrajectory(name),
            PyTorchFixture.SingleEvaluationPoint(name),
            Ulps.Between);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Double_evaluation_point_matches_the_reference_eval(string name)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        Check(
            name + " double",
            PyTorchFixtureOptimizers.CreateDouble(name, fixture.Length),
            fixture.InitialParameters.ToArray(),
            step => fixture.GradientsOfStep(step).ToArray(),
            PyTorchFixture.DoubleTrajectory(name),
            PyTorchFixture.DoubleEvaluationPoint(name),
            Ulps.Between);
    }

    private void Check<T>(string label, IOptimizer<T> optimizer, T[] parameters, Func<int, T[]> gradientsOfStep, T[] trajectory, T[] expected, Func<T, T, long> ulpsBetween)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var evaluation = Assert.IsAssignableFrom<IEvaluationPoint<T>>(optimizer);

        // Before any step, x is the parameters themselves (the reference's eval() has no z to move them to).
        T[] before = new T[parameters.Length];
        evaluation.WriteEvaluationPoint(parameters, before);
        Assert.Equal(parameters, before);

        output.WriteLine(Trajectory.AssertMatches(label, optimizer, parameters, gradientsOfStep, trajectory, ulpsBetween, MaxUlps));
        T[] y = (T[])parameters.Clone();
        T[] x = new T[parameters.Length];
        evaluation.WriteEvaluationPoint(parameters, x);
        Assert.Equal(y, parameters);
        long worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            long ulps = ulpsBetween(x[i], expected[i]);
            Assert.True(ulps <= MaxUlps, $"{label} x element {i}: OptGen {x[i]:R}, reference eval() {expected[i]:R} ({ulps} ulps).");
            worst = Math.Max(worst, ulps);
        }

        // In place, as the reference's eval(): the same bits.
        evaluation.WriteEvaluationPoint(parameters, parameters);
        Assert.Equal(x, parameters);
        output.WriteLine($"{label}: evaluation point worst {worst} ulps from the reference's eval().");
    }
}
