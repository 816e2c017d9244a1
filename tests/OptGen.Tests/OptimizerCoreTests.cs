using System;
using System.IO;
using System.Linq;

namespace OptGen.Tests;

/// <summary>
/// The runtime core of every generated optimizer, driven by a hand-written rule (p ← p − lr·g, one state buffer that
/// counts steps per element), so its sequence of checks, counters, schedule, reset and checkpoints is tested on its own.
/// </summary>
public sealed class OptimizerCoreTests
{
    private static readonly OptimizerDescription<float> Description = new("test-rule float", 0.5, ["visits"], [2f], skipNonFiniteSteps: true);

    [Fact]
    public void A_step_runs_the_ranges_with_the_step_number_and_rate_then_counts_it()
    {
        var rule = new CountingRule(5);
        float[] parameters = [1, 2, 3, 4, 5];
        Assert.True(rule.Core.Step(rule, parameters, [1, 1, 1, 1, 1]));
        Assert.Equal([0.5f, 1.5f, 2.5f, 3.5f, 4.5f], parameters);
        Assert.Equal([3f, 3, 3, 3, 3], rule.Core.Buffer(0).ToArray()); // initial value 2, one visit
        Assert.Equal(1, rule.Core.StepCount);
        Assert.Equal(1, rule.LastStepNumber);
        Assert.Equal(KernelPath.Scalar, rule.Core.LastKernelPath);
    }

    [Fact]
    public void Invalid_calls_change_nothing()
    {
        var rule = new CountingRule(3);
        float[] parameters = [1, 2, 3];
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => rule.Core.Step(rule, new float[2], new float[3])).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => rule.Core.Step(rule, parameters, new float[4])).ParamName);
        Assert.True(rule.Core.Step(rule, parameters, [1, float.NaN, 1]) is false); // skipped
        Assert.Equal([1f, 2, 3], parameters);
        Assert.Equal([2f, 2, 2], rule.Core.Buffer(0).ToArray());
        Assert.Equal((0, 1), (rule.Core.StepCount, rule.Core.SkippedStepCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => rule.Core.BaseLearningRate = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => rule.Core.ThreadCount = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => rule.Core.Buffer(1));
        Assert.Throws<InvalidOperationException>(() => rule.Core.ReportMetric(1)); // no plateau schedule
    }

    [Fact]
    public void The_rate_comes_from_the_plateau_else_the_schedule_else_the_base_rate()
    {
        var constant = new CountingRule(1);
        Assert.Equal(0.5, constant.Core.LearningRate);

        var scheduled = new CountingRule(1, schedule: true);
        scheduled.Core.StepCount = 3;
        Assert.Equal(0.5 / 4, scheduled.Core.LearningRate);

        var plateau = new CountingRule(1, plateau: true);
        Assert.False(plateau.Core.ReportMetric(1));
        Assert.True(plateau.Core.ReportMetric(2)); // patience 0: one bad report halves the rate
        Assert.Equal(0.25, plateau.Core.LearningRate);
        plateau.Core.BaseLearningRate = 0.75; // restarts the plateau's rate there
        Assert.Equal(0.75, plateau.Core.LearningRate);
    }

    [Fact]
    public void Reset_restores_initial_values_and_the_schedule_start()
    {
        var rule = new CountingRule(4, plateau: true);
        rule.Core.Step(rule, new float[4], new float[4]);
        rule.Core.ReportMetric(1);
        rule.Core.ReportMetric(2);
        rule.Core.Reset();
        Assert.Equal([2f, 2, 2, 2], rule.Core.Buffer(0).ToArray());
        Assert.Equal((0, 0), (rule.Core.StepCount, rule.Core.SkippedStepCount));
        Assert.Equal(0.5, rule.Core.LearningRate);
    }

    [Fact]
    public void A_checkpoint_restores_everything_and_a_refused_one_changes_nothing()
    {
        var saved = new CountingRule(6, plateau: true);
        saved.Core.Step(saved, new float[6], new float[6]);
        saved.Core.Step(saved, new float[6], [1, float.PositiveInfinity, 1, 1, 1, 1]);
        saved.Core.ReportMetric(3);
        saved.Core.ReportMetric(4);
        var stream = new MemoryStream();
        saved.Core.SaveCheckpoint(stream);

        var loaded = new CountingRule(6, plateau: true);
        stream.Position = 0;
        loaded.Core.LoadCheckpoint(stream);
        Assert.Equal(saved.Core.Buffer(0).ToArray(), loaded.Core.Buffer(0).ToArray());
        Assert.Equal((1, 1), (loaded.Core.StepCount, loaded.Core.SkippedStepCount));
        Assert.Equal(saved.Core.LearningRate, loaded.Core.LearningRate);
        Assert.Equal(saved.Core.Plateau!.Best, loaded.Core.Plateau!.Best);

        var other = new CountingRule(6); // no plateau: a state mismatch, and nothing changes
        other.Core.Step(other, new float[6], new float[6]);
        stream.Position = 0;
        Assert.Equal(CheckpointError.StateMismatch, Assert.Throws<CheckpointException>(() => other.Core.LoadCheckpoint(stream)).Error);
        Assert.Equal((1, 0), (other.Core.StepCount, other.Core.SkippedStepCount));
        Assert.Equal([3f, 3, 3, 3, 3, 3], other.Core.Buffer(0).ToArray());
    }

    [Fact]
    public void Persistent_scalars_advance_once_per_applied_step_whatever_the_ranges()
    {
        var rule = new ScalarRule(ParallelStep.MinimumParallelLength * 2);
        Assert.Equal(["steps_seen", "rate_sum"], rule.Core.ScalarStateNames);
        Assert.Equal([0.0, 1.0], rule.Core.ScalarState.ToArray());

        // Split across threads: every range reads the values before the step, and they advance once. (A step runs as
        // one range while the shared pool serves another optimizer's step, so it steps until one was split, for at
        // most 10 s.)
        rule.Core.ThreadCount = 4;
        float[] parameters = new float[rule.Core.Length];
        float[] gradients = new float[rule.Core.Length];
        bool split = false;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 0; !split && clock.Elapsed < TimeSpan.FromSeconds(10); step++)
        {
            Assert.True(rule.Core.Step(rule, parameters, gradients));
            split = rule.Ranges > 1;
            Assert.Equal([(double)step], rule.Seen);
            Assert.Equal([step + 1.0, 1.0 + (0.5 * (step + 1))], rule.Core.ScalarState.ToArray());
        }

        Assert.True(split, "No step was split into ranges.");
        double steps = rule.Core.StepCount;

        // A skipped step changes none of them.
        gradients[17] = float.NaN;
        Assert.False(rule.Core.Step(rule, parameters, gradients));
        Assert.Equal([steps, 1.0 + (0.5 * steps)], rule.Core.ScalarState.ToArray());
        Assert.Equal(1.0 + (0.5 * steps), rule.Core.GetScalarState(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rule.Core.GetScalarState(2));

        rule.Core.Reset();
        Assert.Equal([0.0, 1.0], rule.Core.ScalarState.ToArray());
    }

    [Fact]
    public void Persistent_scalars_are_saved_restored_and_must_match()
    {
        var saved = new ScalarRule(8);
        saved.Core.Step(saved, new float[8], new float[8]);
        saved.Core.Step(saved, new float[8], new float[8]);
        var stream = new MemoryStream();
        saved.Core.SaveCheckpoint(stream);

        var loaded = new ScalarRule(8);
        loaded.Core.Step(loaded, new float[8], new float[8]);
        loaded.Core.Step(loaded, new float[8], new float[8]);
        loaded.Core.Step(loaded, new float[8], new float[8]);
        _ = loaded.Seen;
        stream.Position = 0;
        loaded.Core.LoadCheckpoint(stream);
        Assert.Equal([2.0, 2.0], loaded.Core.ScalarState.ToArray());
        Assert.Equal(2, loaded.Core.StepCount);

        // The next step continues from the restored values.
        loaded.Core.Step(loaded, new float[8], new float[8]);
        Assert.Equal([2.0], loaded.Seen);
        Assert.Equal([3.0, 2.5], loaded.Core.ScalarState.ToArray());

        // The same rule without them (same fingerprint and buffers) refuses the checkpoint, and the rule with them
        // refuses one without: nothing changes.
        var without = new CountingRule(8);
        stream.Position = 0;
        Assert.Equal(CheckpointError.StateMismatch, Assert.Throws<CheckpointException>(() => without.Core.LoadCheckpoint(stream)).Error);
        Assert.Equal(0, without.Core.StepCount);
        var plain = new MemoryStream();
        without.Core.SaveCheckpoint(plain);
        plain.Position = 0;
        Assert.Equal(CheckpointError.StateMismatch, Assert.Throws<CheckpointException>(() => loaded.Core.LoadCheckpoint(plain)).Error);
        Assert.Equal([3.0, 2.5], loaded.Core.ScalarState.ToArray());
    }

    [Fact]
    public void A_description_pairs_names_values_and_the_advance_function()
    {
        Assert.Throws<ArgumentException>(() => new OptimizerDescription<float>("r", 0.1, [], [], false, ["a"], [1.0], advanceScalarState: null));
        Assert.Throws<ArgumentException>(() => new OptimizerDescription<float>("r", 0.1, [], [], false, ["a"], [], ScalarRule.Advance));
        Assert.Throws<ArgumentException>(() => new OptimizerDescription<float>("r", 0.1, [], [], false, null, null, ScalarRule.Advance));
    }

    /// <summary>p ← p − lr·g; the state buffer counts visits. Optionally lr₀/(k + 1) as its schedule, or a plateau schedule.</summary>
    private sealed class CountingRule : IPartitionedStep<float>, ILearningRateSchedule
    {
        public CountingRule(int length, bool schedule = false, bool plateau = false)
        {
            Core = new OptimizerCore<float>(
                length,
                Description,
                schedule ? this : null,
                plateau ? new PlateauTracker(Description.DefaultLearningRate, PlateauMode.Minimize, 0.5, 0, 0, PlateauThresholdMode.Absolute, 0, 0, 0) : null);
        }

        public OptimizerCore<float> Core { get; }

        public long LastStepNumber { get; private set; }

        public double LearningRateAt(long stepCount, double baseLearningRate) => baseLearningRate / (stepCount + 1);

        public KernelPath StepRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start)
        {
            LastStepNumber = Core.RangeStep;
            Span<float> visits = Core.Slice(0, start, parameters.Length);
            for (int i = 0; i < parameters.Length; i++)
            {
                parameters[i] -= (float)Core.RangeLearningRate * gradients[i];
                visits[i]++;
            }

            return KernelPath.Scalar;
        }
    }

    /// <summary>Keeps two persistent scalars: the steps seen and 1 + the sum of the rates; every range records the first as it read it.</summary>
    private sealed class ScalarRule : IPartitionedStep<float>
    {
        // CountingRule's fingerprint and buffers: only the persistent scalars differ.
        public static readonly OptimizerDescription<float> Description = new(
            "test-rule float", 0.5, ["visits"], [2f], skipNonFiniteSteps: true, ["steps_seen", "rate_sum"], [0.0, 1.0], Advance);

        public ScalarRule(int length) => Core = new OptimizerCore<float>(length, Description);

        public OptimizerCore<float> Core { get; }

        /// <summary>The distinct values of the first scalar the ranges read since the last look.</summary>
        public double[] Seen
        {
            get
            {
                double[] seen = [.. _seen.Distinct()];
                _seen.Clear();
                return seen;
            }
        }

        /// <summary>The ranges run since the last look at <see cref="Seen"/>.</summary>
        public int Ranges => _seen.Count;

        private readonly System.Collections.Concurrent.ConcurrentBag<double> _seen = [];

        public static void Advance(long step, double learningRate, Span<double> state)
        {
            state[0] += 1;
            state[1] += learningRate;
        }

        public KernelPath StepRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start)
        {
            _seen.Add(Core.ScalarState[0]);
            return KernelPath.Scalar;
        }
    }
}
