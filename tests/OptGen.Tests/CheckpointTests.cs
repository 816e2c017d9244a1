using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace OptGen.Tests;

/// <summary>
/// Checkpoints of generated optimizers: resuming equals never stopping, bit for bit; refused and damaged checkpoints
/// change nothing. (The file format on its own is tested in <see cref="CheckpointFormatTests"/>.)
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private const int Length = 23; // vector loops and an overlapping last vector
    private const int GoodSteps = 16;

    private readonly ITestOutputHelper _output;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "optgen-checkpoint-tests-" + Guid.NewGuid().ToString("N"));

    public CheckpointTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_directory);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> ResumableOptimizers => new(
        "Adam", "AdamWDouble", "Nesterov", "CenteredRmsProp", "AdaGrad", "WarmupCosineAdam", "PlateauMomentumSgd", "SkipStepScheduledAdam", "NAdamDouble", "RAdam", "Lion", "ScheduleFreeDouble");

    [Theory]
    [MemberData(nameof(ResumableOptimizers))]
    public void Resuming_from_a_checkpoint_equals_never_stopping_bit_for_bit(string name)
    {
        int resumes = name switch
        {
            "Adam" => Resume(() => new TestAdam(Length)),
            "AdamWDouble" => Resume(() => new TestAdamWDouble(Length)),
            "Nesterov" => Resume(() => new TestNesterov(Length)),
            "CenteredRmsProp" => Resume(() => new TestCenteredRmsProp(Length)),
            "AdaGrad" => Resume(() => new TestAdaGrad(Length)),
            "WarmupCosineAdam" => Resume(() => new WarmupCosineAdam(Length)),
            "PlateauMomentumSgd" => Resume(() => new PlateauMomentumSgd(Length), plateau: true),
            "SkipStepScheduledAdam" => Resume(() => new SkipStepScheduledAdam(Length), skippedSteps: true),
            "NAdamDouble" => Resume(() => new TestNAdamDouble(Length)),
            "RAdam" => Resume(() => new TestRAdam(Length)),
            "Lion" => Resume(() => new TestLion(Length)),
            "ScheduleFreeDouble" => Resume(() => new TestScheduleFreeDouble(Length)),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        _output.WriteLine($"{name}: resumed at {resumes} save points");
    }

    [Fact]
    public void The_plateau_script_reduces_the_rate_around_the_save_points()
    {
        // Guards the resume test against a script that never exercises the plateau state.
        var optimizer = new PlateauMomentumSgd(Length);
        var rates = new List<double>();
        float[] parameters = OptimizerTestData.InitialParameters<float>(Length);
        foreach (Action<IOptimizer<float>, float[]> action in Script(optimizer, plateau: true, skippedSteps: false))
        {
            action(optimizer, parameters);
            rates.Add(optimizer.LearningRate);
        }

        Assert.True(rates.Distinct().Count() >= 3, $"the rate took only the values {string.Join(", ", rates.Distinct())}");
        Assert.True(optimizer.PlateauTracker.LearningRate < optimizer.BaseLearningRate);
    }

    [Fact]
    public void Adam_checkpoint_is_refused_by_AdamW_and_changes_nothing()
    {
        byte[] checkpoint = Save(Stepped(new PlainAdam(7), 5));
        var target = Stepped(new PlainAdamW(7), 3, baseLearningRate: 0.003);

        CheckpointException e = AssertRefused(target, checkpoint);

        Assert.Equal(CheckpointError.RuleMismatch, e.Error);
        Assert.Contains("optgen-state/1 Adam float", e.Message, StringComparison.Ordinal);
        Assert.Contains("optgen-state/1 AdamW float", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_of_the_same_rule_with_another_beta2_is_refused_both_ways()
    {
        CheckpointException e = AssertRefused(Stepped(new PlainAdamOtherBeta2(7), 3, 0.004), Save(Stepped(new PlainAdam(7), 5)));
        Assert.Equal(CheckpointError.RuleMismatch, e.Error);
        Assert.Contains("beta2=0.999 ", e.Message, StringComparison.Ordinal);
        Assert.Contains("beta2=0.99 ", e.Message, StringComparison.Ordinal);

        e = AssertRefused(Stepped(new PlainAdam(7), 3, 0.004), Save(Stepped(new PlainAdamOtherBeta2(7), 5)));
        Assert.Equal(CheckpointError.RuleMismatch, e.Error);
    }

    [Fact]
    public void Checkpoint_of_the_same_rule_with_another_initial_learning_rate_is_refused()
    {
        CheckpointException e = AssertRefused(Stepped(new PlainAdamOtherLearningRate(7), 3, 0.004), Save(Stepped(new PlainAdam(7), 5)));
        Assert.Equal(CheckpointError.RuleMismatch, e.Error);
        Assert.Contains("lr=0.001 ", e.Message, StringComparison.Ordinal);
        Assert.Contains("lr=0.002 ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Float_checkpoint_is_refused_by_the_double_optimizer_and_the_reverse()
    {
        // The same rule over the other element type: the element size is compared before the fingerprint (which names
        // the type too), so the error says what is wrong.
        CheckpointException e = AssertRefused(Stepped(new PlainAdamDouble(7), 3, 0.004), Save(Stepped(new PlainAdam(7), 5)));
        Assert.Equal(CheckpointError.ElementTypeMismatch, e.Error);
        Assert.Contains("holds float (4-byte) elements but this optimizer uses double (8-byte)", e.Message, StringComparison.Ordinal);

        e = AssertRefused(Stepped(new PlainAdam(7), 3, 0.004), Save(Stepped(new PlainAdamDouble(7), 5)));
        Assert.Equal(CheckpointError.ElementTypeMismatch, e.Error);
    }

    [Fact]
    public void Checkpoint_of_another_length_is_refused()
    {
        CheckpointException e = AssertRefused(Stepped(new PlainAdam(8), 3, 0.004), Save(Stepped(new PlainAdam(7), 5)));
        Assert.Equal(CheckpointError.LengthMismatch, e.Error);
        Assert.Contains("7", e.Message, StringComparison.Ordinal);
        Assert.Contains("8", e.Message, StringComparison.Ordinal);

        e = AssertRefused(Stepped(new PlainAdam(0), 3, 0.004), Save(Stepped(new PlainAdam(7), 5)));
        Assert.Equal(CheckpointError.LengthMismatch, e.Error);
    }

    [Fact]
    public void Refusals_leave_plateau_state_unchanged()
    {
        var target = Stepped(new PlateauMomentumSgd(7), 3, baseLearningRate: 0.2);
        foreach (double metric in new[] { 1.0, 0.5, 0.5, 0.5, 0.5 })
        {
            target.ReportMetric(metric);
        }

        Assert.NotEqual(target.BaseLearningRate, target.LearningRate); // a reduction happened, so the tracker is not at its start
        Assert.NotEqual(0, target.PlateauTracker.CooldownRemaining + target.PlateauTracker.BadReports);

        var otherLength = Stepped(new PlateauMomentumSgd(9), 5);
        otherLength.ReportMetric(3);
        Assert.Equal(CheckpointError.LengthMismatch, AssertRefused(target, Save(otherLength)).Error);
        Assert.Equal(CheckpointError.RuleMismatch, AssertRefused(target, Save(Stepped(new PlainAdam(7), 5))).Error);
        Assert.Equal(CheckpointError.RuleMismatch, AssertRefused(Stepped(new PlainAdam(7), 2), Save(target)).Error);
    }

    [Fact]
    public void Truncation_at_every_byte_is_refused_and_changes_nothing()
    {
        byte[] checkpoint = Save(Stepped(new PlainAdam(7), 5, baseLearningRate: 0.002));
        var target = Stepped(new PlainAdam(7), 3, baseLearningRate: 0.004);
        BitSnapshot before = BitSnapshot.Of(target);
        int tried = 0;
        for (int cut = 0; cut < checkpoint.Length; cut++)
        {
            byte[] truncated = checkpoint[..cut];
            foreach (bool seekable in new[] { true, false })
            {
                Stream source = seekable ? new MemoryStream(truncated) : new ForwardOnlyStream(truncated, maxReadLength: 5);
                var e = Assert.Throws<CheckpointException>(() => target.LoadCheckpoint(source));
                Assert.True(e.Error == CheckpointError.Truncated, $"cut at {cut} of {checkpoint.Length} (seekable: {seekable}): {e.Error}: {e.Message}");
                BitSnapshot.AssertIdentical(before, BitSnapshot.Of(target), $"after the load of {cut} bytes");
                tried++;
            }
        }

        _output.WriteLine($"{tried} truncations of a {checkpoint.Length}-byte checkpoint refused");
        Assert.Equal(2 * checkpoint.Length, tried);
        AssertLoadable(target, checkpoint); // the intact file does load: the refusals above were not of everything
    }

    [Fact]
    public void Bit_flips_and_byte_damage_are_refused_and_change_nothing()
    {
        byte[] checkpoint = Save(Stepped(new PlainAdam(7), 5, baseLearningRate: 0.002));
        var target = Stepped(new PlainAdam(7), 3, baseLearningRate: 0.004);
        BitSnapshot before = BitSnapshot.Of(target);
        var errors = new Dictionary<CheckpointError, int>();

        void Refuse(byte[] damaged, string what)
        {
            var e = Assert.Throws<CheckpointException>(() => target.LoadCheckpoint(new MemoryStream(damaged)));
            Assert.True(
                e.Error is CheckpointError.Corrupt or CheckpointError.NotACheckpoint or CheckpointError.UnsupportedVersion or CheckpointError.Truncated,
                $"{what}: {e.Error}: {e.Message}");
            BitSnapshot.AssertIdentical(before, BitSnapshot.Of(target), what);
            errors[e.Error] = errors.GetValueOrDefault(e.Error) + 1;
        }

        // Every single-bit flip of the whole file.
        int flips = 0;
        for (int bit = 0; bit < checkpoint.Length * 8; bit++)
        {
            byte[] damaged = (byte[])checkpoint.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            Refuse(damaged, $"bit {bit % 8} of byte {bit / 8} flipped");
            flips++;
        }

        // Random single-bit flips (with repeats of offsets) and whole-byte replacements at seeded offsets.
        var random = new Random(20240917);
        int randomFlips = 0, randomBytes = 0;
        for (int i = 0; i < 400; i++)
        {
            byte[] damaged = (byte[])checkpoint.Clone();
            int offset = random.Next(damaged.Length);
            damaged[offset] ^= (byte)(1 << random.Next(8));
            Refuse(damaged, $"random flip {i} at byte {offset}");
            randomFlips++;

            damaged = (byte[])checkpoint.Clone();
            offset = random.Next(damaged.Length);
            damaged[offset] ^= (byte)random.Next(1, 256);
            Refuse(damaged, $"random byte {i} at {offset}");
            randomBytes++;
        }

        Refuse(checkpoint[..^1], "last byte cut off");
        _output.WriteLine(
            $"{checkpoint.Length}-byte checkpoint: {flips} exhaustive single-bit flips, {randomFlips} random single-bit flips, " +
            $"{randomBytes} random byte replacements and 1 cut-off byte refused ({flips + randomFlips + randomBytes + 1} in all); " +
            string.Join(", ", errors.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key}: {pair.Value}")));
        Assert.Equal(checkpoint.Length * 8, flips);
        Assert.True(randomFlips >= 300);
        AssertLoadable(target, checkpoint);
    }

    [Fact]
    public void Saving_to_a_path_overwrites_the_previous_checkpoint_atomically()
    {
        string path = Path.Combine(_directory, "adam.ckpt");
        File.WriteAllText(path, "not a checkpoint");
        var optimizer = Stepped(new PlainAdam(7), 2);
        optimizer.SaveCheckpoint(path);
        byte[] first = File.ReadAllBytes(path);

        Stepped(optimizer, 3, baseLearningRate: 0.0005);
        BitSnapshot second = BitSnapshot.Of(optimizer);
        optimizer.SaveCheckpoint(path);

        Assert.NotEqual(first, File.ReadAllBytes(path));
        Assert.Equal(new[] { "adam.ckpt" }, Directory.GetFiles(_directory).Select(file => Path.GetFileName(file))); // no temporary left
        var loaded = new PlainAdam(7);
        loaded.LoadCheckpoint(path);
        BitSnapshot.AssertIdentical(second, BitSnapshot.Of(loaded), "the second checkpoint loaded");
    }

    [Fact]
    public void Loading_a_missing_path_throws_FileNotFoundException_and_changes_nothing()
    {
        var optimizer = Stepped(new PlainAdam(7), 2);
        BitSnapshot before = BitSnapshot.Of(optimizer);
        Assert.Throws<FileNotFoundException>(() => optimizer.LoadCheckpoint(Path.Combine(_directory, "missing.ckpt")));
        BitSnapshot.AssertIdentical(before, BitSnapshot.Of(optimizer), "after the failed load");
        Assert.Empty(Directory.GetFiles(_directory));
    }

    /// <summary>Runs the script once uninterrupted and once interrupted by a checkpoint at every point; returns how many.</summary>
    private int Resume<T>(Func<IOptimizer<T>> create, bool plateau = false, bool skippedSteps = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        List<Action<IOptimizer<T>, T[]>> script = Script(create(), plateau, skippedSteps);

        IOptimizer<T> uninterrupted = create();
        T[] uninterruptedParameters = OptimizerTestData.InitialParameters<T>(Length);
        var snapshots = new List<BitSnapshot> { BitSnapshot.Of(uninterrupted, uninterruptedParameters) };
        foreach (Action<IOptimizer<T>, T[]> action in script)
        {
            action(uninterrupted, uninterruptedParameters);
            snapshots.Add(BitSnapshot.Of(uninterrupted, uninterruptedParameters));
        }

        Assert.Equal(GoodSteps, uninterrupted.StepCount);
        Assert.Equal(skippedSteps ? 4 : 0, uninterrupted.SkippedStepCount);
        Assert.NotEqual(create().BaseLearningRate, uninterrupted.BaseLearningRate);

        // Through a file at a few points (each save flushes to disk), through a stream at every other one.
        var throughFiles = new HashSet<int> { 0, 4, script.Count / 2, script.Count - 1, script.Count };
        for (int k = 0; k <= script.Count; k++)
        {
            IOptimizer<T> first = create();
            T[] parameters = OptimizerTestData.InitialParameters<T>(Length);
            for (int i = 0; i < k; i++)
            {
                script[i](first, parameters);
            }

            IOptimizer<T> resumed = create();
            if (throughFiles.Contains(k))
            {
                string path = Path.Combine(_directory, $"resume-{k}.ckpt");
                first.SaveCheckpoint(path);
                resumed.LoadCheckpoint(path);
            }
            else
            {
                var stream = new MemoryStream();
                first.SaveCheckpoint(stream);
                stream.Position = 0;
                resumed.LoadCheckpoint(stream);
            }

            BitSnapshot.AssertIdentical(snapshots[k], BitSnapshot.Of(resumed, parameters), $"just after loading the checkpoint saved after {k} actions");
            for (int i = k; i < script.Count; i++)
            {
                script[i](resumed, parameters);
            }

            BitSnapshot.AssertIdentical(snapshots[^1], BitSnapshot.Of(resumed, parameters), $"at the end, resumed after {k} of {script.Count} actions");
        }

        return script.Count + 1;
    }

    /// <summary>
    /// The same actions for both runs: 16 steps with step-dependent gradients, a run-time change of the base rate after the
    /// second, and optionally a metric report after every step (decreasing, then flat) and skipped non-finite steps.
    /// </summary>
    private static List<Action<IOptimizer<T>, T[]>> Script<T>(IOptimizer<T> prototype, bool plateau, bool skippedSteps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double changedBaseRate = prototype.BaseLearningRate * 0.625;
        var script = new List<Action<IOptimizer<T>, T[]>>();
        for (int step = 0; step < GoodSteps; step++)
        {
            int s = step;
            if (s == 2)
            {
                script.Add((optimizer, _) => optimizer.BaseLearningRate = changedBaseRate);
            }

            if (skippedSteps && s is 1 or 5 or 6 or 11)
            {
                script.Add((optimizer, parameters) =>
                {
                    T[] gradients = OptimizerTestData.Gradient<T>(s, Length);
                    gradients[(s * 7) % Length] = s % 2 == 0 ? T.NaN : T.NegativeInfinity;
                    Assert.False(optimizer.Step(parameters, gradients));
                });
            }

            script.Add((optimizer, parameters) => Assert.True(optimizer.Step(parameters, OptimizerTestData.Gradient<T>(s, Length))));
            if (plateau)
            {
                double metric = s < 5 ? 1.0 - (0.1 * s) : 0.6;
                script.Add((optimizer, _) => ((PlateauMomentumSgd)(object)optimizer).ReportMetric(metric));
            }
        }

        return script;
    }

    /// <summary>Takes <paramref name="steps"/> steps with the shared test data; also used by the checkpoint file tests.</summary>
    internal static TOptimizer Stepped<TOptimizer>(TOptimizer optimizer, int steps, double? baseLearningRate = null)
        where TOptimizer : IOptimizer
    {
        if (baseLearningRate is double rate)
        {
            optimizer.BaseLearningRate = rate;
        }

        switch (optimizer)
        {
            case IOptimizer<float> single:
                StepWith(single, steps);
                break;
            case IOptimizer<double> twice:
                StepWith(twice, steps);
                break;
            default:
                throw new ArgumentException("Neither float nor double.", nameof(optimizer));
        }

        return optimizer;

        static void StepWith<T>(IOptimizer<T> optimizer, int steps)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] parameters = OptimizerTestData.InitialParameters<T>(optimizer.Length);
            long offset = optimizer.StepCount + optimizer.Length; // different optimizers take different steps
            for (int s = 0; s < steps; s++)
            {
                Assert.True(optimizer.Step(parameters, OptimizerTestData.Gradient<T>((int)offset + s, optimizer.Length)));
            }
        }
    }

    private static byte[] Save(IOptimizer optimizer)
    {
        var stream = new MemoryStream();
        optimizer.SaveCheckpoint(stream);
        return stream.ToArray();
    }

    private static CheckpointException AssertRefused(IOptimizer target, byte[] checkpoint)
    {
        BitSnapshot before = BitSnapshot.Of(target);
        var e = Assert.Throws<CheckpointException>(() => target.LoadCheckpoint(new MemoryStream(checkpoint)));
        BitSnapshot.AssertIdentical(before, BitSnapshot.Of(target), $"after the refused load ({e.Error})");
        return e;
    }

    /// <summary>Loads an intact checkpoint into a copy of <paramref name="target"/>'s type and checks it changed the state.</summary>
    private static void AssertLoadable(IOptimizer target, byte[] checkpoint)
    {
        BitSnapshot before = BitSnapshot.Of(target);
        target.LoadCheckpoint(new MemoryStream(checkpoint));
        Assert.False(before.IdenticalTo(BitSnapshot.Of(target)), "the intact checkpoint should have changed the target's state");
    }

}

/// <summary>Deterministic inputs shared by the checkpoint, invalid-call, non-finite and concurrency tests.</summary>
internal static class OptimizerTestData
{
    public static T[] Values<T>(int length, Func<int, double> value)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = T.CreateChecked(value(i));
        }

        return values;
    }

    public static T[] InitialParameters<T>(int length)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Values<T>(length, i => Math.Cos(0.5 * i) * 0.8);

    public static T[] Gradient<T>(int step, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Values<T>(length, i => Math.Sin((0.7 * step) + (0.37 * i) + 0.1) * (1 + (i % 3)));
}

/// <summary>
/// The bits of everything an optimizer's future depends on: parameters (optional), every state buffer, step counts,
/// learning rates and the plateau tracker. Compared bit for bit, so -0.0 ≠ 0.0 and NaN payloads count.
/// </summary>
internal sealed class BitSnapshot
{
    private readonly List<(string Name, int ElementSize, byte[] Bits, string Display, bool Scalar)> _fields = [];

    public static BitSnapshot Of(IOptimizer optimizer, bool includeSkippedStepCount = true) => optimizer switch
    {
        IOptimizer<float> single => Capture(single, ReadOnlySpan<float>.Empty, includeParameters: false, includeSkippedStepCount),
        IOptimizer<double> twice => Capture(twice, ReadOnlySpan<double>.Empty, includeParameters: false, includeSkippedStepCount),
        _ => throw new ArgumentException("Neither float nor double.", nameof(optimizer)),
    };

    public static BitSnapshot Of<T>(IOptimizer<T> optimizer, ReadOnlySpan<T> parameters, bool includeSkippedStepCount = true)
        where T : unmanaged
        => Capture(optimizer, parameters, includeParameters: true, includeSkippedStepCount);

    public static void AssertIdentical(BitSnapshot expected, BitSnapshot actual, string context)
    {
        Assert.Equal(expected._fields.Select(f => f.Name), actual._fields.Select(f => f.Name));
        for (int f = 0; f < expected._fields.Count; f++)
        {
            var (name, elementSize, expectedBits, expectedDisplay, scalar) = expected._fields[f];
            byte[] actualBits = actual._fields[f].Bits;
            if (expectedBits.AsSpan().SequenceEqual(actualBits))
            {
                continue;
            }

            if (scalar)
            {
                Assert.Fail($"{context}: {name} is {actual._fields[f].Display}, expected {expectedDisplay} (compared bit for bit).");
            }

            if (expectedBits.Length != actualBits.Length)
            {
                Assert.Fail($"{context}: {name} has {actualBits.Length / elementSize} elements, expected {expectedBits.Length / elementSize}.");
            }

            int element = expectedBits.AsSpan().CommonPrefixLength(actualBits) / elementSize;
            Assert.Fail(
                $"{context}: {name} differs at element {element}: expected {Element(expectedBits, elementSize, element)}, " +
                $"got {Element(actualBits, elementSize, element)} ({expectedDisplay} expected).");
        }
    }

    public bool IdenticalTo(BitSnapshot other)
        => _fields.Count == other._fields.Count
            && _fields.Zip(other._fields).All(pair => pair.First.Name == pair.Second.Name && pair.First.Bits.AsSpan().SequenceEqual(pair.Second.Bits));

    private static BitSnapshot Capture<T>(IOptimizer<T> optimizer, ReadOnlySpan<T> parameters, bool includeParameters, bool includeSkippedStepCount)
        where T : unmanaged
    {
        var snapshot = new BitSnapshot();
        int size = Unsafe.SizeOf<T>();
        if (includeParameters)
        {
            snapshot.Add("parameters", size, MemoryMarshal.AsBytes(parameters), $"{parameters.Length} elements");
        }

        for (int i = 0; i < optimizer.StateBufferNames.Count; i++)
        {
            ReadOnlySpan<T> buffer = optimizer.GetStateBuffer(i);
            snapshot.Add($"state buffer '{optimizer.StateBufferNames[i]}'", size, MemoryMarshal.AsBytes(buffer), $"{buffer.Length} elements");
        }

        snapshot.Add(nameof(optimizer.StepCount), optimizer.StepCount);
        if (includeSkippedStepCount)
        {
            snapshot.Add(nameof(optimizer.SkippedStepCount), optimizer.SkippedStepCount);
        }

        snapshot.Add(nameof(optimizer.LearningRate), optimizer.LearningRate);
        snapshot.Add(nameof(optimizer.BaseLearningRate), optimizer.BaseLearningRate);
        if (optimizer.GetType().GetProperty("PlateauTracker")?.GetValue(optimizer) is PlateauTracker plateau)
        {
            snapshot.Add("PlateauTracker.LearningRate", plateau.LearningRate);
            snapshot.Add("PlateauTracker.Best", plateau.Best);
            snapshot.Add("PlateauTracker.BadReports", plateau.BadReports);
            snapshot.Add("PlateauTracker.CooldownRemaining", plateau.CooldownRemaining);
        }

        return snapshot;
    }

    private static string Element(byte[] bits, int elementSize, int index)
    {
        ReadOnlySpan<byte> element = bits.AsSpan(index * elementSize, elementSize);
        return elementSize switch
        {
            4 => $"{BitConverter.ToSingle(element):R} (0x{BitConverter.ToUInt32(element):X8})",
            8 => $"{BitConverter.ToDouble(element):R} (0x{BitConverter.ToUInt64(element):X16})",
            _ => Convert.ToHexString(element),
        };
    }

    private void Add(string name, long value)
        => _fields.Add((name, 8, BitConverter.GetBytes(value), value.ToString(System.Globalization.CultureInfo.InvariantCulture), true));

    private void Add(string name, double value)
        => _fields.Add((name, 8, BitConverter.GetBytes(BitConverter.DoubleToInt64Bits(value)), value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), true));

    private void Add(string name, int elementSize, ReadOnlySpan<byte> bits, string display) => _fields.Add((name, elementSize, bits.ToArray(), display, false));
}
