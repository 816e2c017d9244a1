using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit.Abstractions;

namespace OptGen.Tests.PyTorch;

/// <summary>
/// Every schedule against PyTorch 1.13's <c>get_last_lr()</c> sequence (Fixtures/PyTorch/generate_schedules.py), over at
/// least three periods and past TotalSteps; and full parameter trajectories with a schedule for every rule.
/// </summary>
public sealed class ScheduleTests(ITestOutputHelper output)
{
    /// <summary>
    /// PyTorch computes most schedules recursively (each rate from the previous one); OptGen uses the closed form. The two
    /// agree to about 1e-14 relative; the contract is 1e-12.
    /// </summary>
    private const double MaxRelativeError = 1e-12;

    /// <summary>
    /// Trajectories use the scheduled rate, which may differ from PyTorch's in the last bits (see above); the elementwise
    /// arithmetic is PyTorch's exactly. Parameters (of order 1) must be within 64 ulps, or 1e-13 absolute where a value
    /// near zero makes ulps tiny.
    /// </summary>
    private const long MaxUlps = 64;

    private const double AbsoluteTolerance = 1e-13;

    public static TheoryData<string> ScheduleNames => new(PyTorchScheduleOptimizers.ScheduleNames);

    public static TheoryData<string> TrajectoryNames => new(PyTorchScheduleOptimizers.TrajectoryNames);

    [Theory]
    [MemberData(nameof(ScheduleNames))]
    public void Learning_rate_sequence_matches_PyTorch(string name)
    {
        ScheduleConfig config = ScheduleConfig.Load(name);
        IOptimizer<float> optimizer = PyTorchScheduleOptimizers.CreateSchedule(name, 1);
        float[] parameter = [0f];
        double worst = 0;
        for (int k = 0; k < config.LearningRates.Length; k++)
        {
            if (k > 0)
            {
                if (config.Metrics is { } metrics)
                {
                    PyTorchScheduleOptimizers.ReportMetric(optimizer, metrics[k - 1]);
                }
                else
                {
                    optimizer.Step(parameter, [0f]);
                }
            }

            worst = Math.Max(worst, AssertClose(name, k, config.LearningRates[k], optimizer.LearningRate));
        }

        output.WriteLine($"{name} ({config.Torch ?? "closed form, no PyTorch equivalent"}): {config.LearningRates.Length} rates, worst relative error {worst:E2}.");
    }

    [Theory]
    [MemberData(nameof(ScheduleNames))]
    public void Setting_the_step_count_jumps_to_the_same_rate(string name)
    {
        ScheduleConfig config = ScheduleConfig.Load(name);
        if (config.Metrics is not null)
        {
            return; // The plateau schedule follows reported metrics, not the step count.
        }

        IOptimizer<float> optimizer = PyTorchScheduleOptimizers.CreateSchedule(name, 1);
        for (int k = config.LearningRates.Length - 1; k >= 0; k -= 3)
        {
            optimizer.StepCount = k;
            AssertClose(name, k, config.LearningRates[k], optimizer.LearningRate);
        }
    }

    [Theory]
    [MemberData(nameof(TrajectoryNames))]
    public void Float_trajectory_with_schedule_matches_PyTorch(string name)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        IOptimizer<float> optimizer = PyTorchScheduleOptimizers.CreateSingle(name, fixture.Length);
        AssertScheduleFollowed(name, optimizer);
        output.WriteLine(Trajectory.AssertMatches(
            name + " float",
            optimizer,
            Array.ConvertAll(fixture.InitialParameters, x => (float)x),
            step => Array.ConvertAll(fixture.GradientsOfStep(step).ToArray(), x => (float)x),
            PyTorchFixture.SingleTrajectory(name + ".schedule"),
            Ulps.Between,
            MaxUlps));
    }

    [Theory]
    [MemberData(nameof(TrajectoryNames))]
    public void Double_trajectory_with_schedule_matches_PyTorch(string name)
    {
        PyTorchFixture fixture = PyTorchFixture.Instance;
        IOptimizer<double> optimizer = PyTorchScheduleOptimizers.CreateDouble(name, fixture.Length);
        output.WriteLine(Trajectory.AssertMatches(
            name + " double",
            optimizer,
            fixture.InitialParameters.ToArray(),
            step => fixture.GradientsOfStep(step).ToArray(),
            PyTorchFixture.DoubleTrajectory(name + ".schedule"),
            Ulps.Between,
            MaxUlps,
            AbsoluteTolerance));
    }

    /// <summary>The rates the trajectory fixture's optimizer was given equal the generated schedule's.</summary>
    private static void AssertScheduleFollowed(string name, IOptimizer optimizer)
    {
        double[] rates = TrajectoryRates(name);
        for (int k = 0; k < rates.Length; k++)
        {
            optimizer.StepCount = k;
            AssertClose(name, k, rates[k], optimizer.LearningRate);
        }

        optimizer.StepCount = 0;
    }

    private static double AssertClose(string name, int k, double expected, double actual)
    {
        double error = expected == 0 ? Math.Abs(actual) : Math.Abs(actual - expected) / Math.Abs(expected);
        Assert.True(error <= MaxRelativeError, $"{name}, step {k}: OptGen {actual:R}, PyTorch {expected:R} (relative error {error:E2}).");
        return error;
    }

    private static double[] TrajectoryRates(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(PyTorchFixture.Folder, "schedule_trajectories.json")));
        JsonElement config = document.RootElement.GetProperty("configs").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        return config.GetProperty("learning_rates").EnumerateArray().Select(e => e.GetDouble()).ToArray();
    }

    private sealed record ScheduleConfig(string? Torch, double[] LearningRates, double[]? Metrics)
    {
        private static readonly Lazy<Dictionary<string, ScheduleConfig>> All = new(() =>
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(PyTorchFixture.Folder, "schedules.json")));
            return document.RootElement.GetProperty("configs").EnumerateArray().ToDictionary(
                c => c.GetProperty("name").GetString()!,
                c => new ScheduleConfig(
                    c.GetProperty("torch").ValueKind == JsonValueKind.Null ? null : c.GetProperty("torch").GetString(),
                    c.GetProperty("learning_rates").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
                    c.TryGetProperty("metrics", out JsonElement metrics) ? metrics.EnumerateArray().Select(e => e.GetDouble()).ToArray() : null));
        });

        public static ScheduleConfig Load(string name) => All.Value[name];
    }
}
