using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Xunit.Abstractions;

namespace OptGen.Tests;

[Optimizer(UpdateRule.Adam, LearningRate = 1e-3)]
[StateStorage(StateStorage.Blockwise8Bit)]
public partial class Adam8BitFixtureOptimizer;

[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2)]
[MomentDecay(First = 0.9, Second = 0.99)]
[Epsilon(1e-8)]
[WeightDecay(0.01)]
[StateStorage(StateStorage.Blockwise8Bit)]
public partial class AdamW8BitFixtureOptimizer;

/// <summary>
/// Adam and AdamW with blockwise 8-bit state against bitsandbytes' pure-torch reference update
/// (Fixtures/Blockwise8Bit/generate_adam8bit.py, adam8bit.bin): 50 steps over 1000 parameters (a partial last block) and
/// 4096, the recorded gradients fed in, parameters and dequantized states compared at steps 1, 10, 20, 30, 40 and 50 with
/// the tolerances of bitsandbytes' tests/test_optim.py <c>test_optimizer8bit</c> (float32 gradients), and the distance
/// to the float32 <c>torch.optim</c> trajectory held within <see cref="MaxDistanceToFloat32"/> and
/// <see cref="TotalDistanceToFloat32"/>.
/// </summary>
/// <remarks>
/// bitsandbytes' test re-synchronises its two optimizers after every step (parameters and states copied across); here
/// the trajectories run free for 50 steps, so the zero-error parameter check assumes an implementation that rounds as
/// the reference does (PyTorch's order of operations); a code that flips at a map midpoint changes that element's
/// trajectory by up to a map step.
/// </remarks>
public sealed class Adam8BitTrajectoryTests(ITestOutputHelper output)
{
    /// <summary>bitsandbytes' <c>patol, prtol = 1e-5, 1e-3</c> (float32), with <c>max_error_count=0</c>.</summary>
    private const double ParameterAbsoluteTolerance = 1e-5, ParameterRelativeTolerance = 1e-3;

    /// <summary>bitsandbytes' per-step bounds on the mean absolute and mean relative parameter error (float32 gradients).</summary>
    private const double MeanAbsoluteError = 6e-5, MeanRelativeError = 6e-4;

    /// <summary>bitsandbytes' <c>atol, rtol = 3e-3, 1e-3</c> for dequantized states, fewer than 20 values not close.</summary>
    private const double StateAbsoluteTolerance = 3e-3, StateRelativeTolerance = 1e-3;

    private const int StateMismatchesAllowed = 19;

    /// <summary>
    /// After t steps, no parameter of the 8-bit trajectory is further than this times lr·t from the float32 one. The
    /// reference's largest is 0.0293 (AdamW, 4096 parameters, step 10); after step 1 it is 0 (the first update uses the
    /// unquantized moments).
    /// </summary>
    private const double MaxDistanceToFloat32 = 0.04;

    /// <summary>
    /// After t steps, Σ|p₈ − p₃₂| is at most this fraction of Σ|p₃₂ − p₀|, how far the float32 trajectory moved. The
    /// reference's largest is 0.0222 (1000 parameters, step 50).
    /// </summary>
    private const double TotalDistanceToFloat32 = 0.03;

    public static TheoryData<string> Cases => new(Adam8BitFixture.Instance.Cases.Select(c => c.Name));

    [Fact]
    public void The_fixture_maps_are_BlockwiseQuantization_maps()
    {
        Adam8BitFixture fixture = Adam8BitFixture.Instance;
        Assert.Equal(BlockwiseQuantization.BlockLength, fixture.BlockLength);
        Assert.Equal(BlockwiseQuantization.SignedMap.ToArray().Select(BitConverter.SingleToInt32Bits), fixture.SignedMap.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(BlockwiseQuantization.UnsignedMap.ToArray().Select(BitConverter.SingleToInt32Bits), fixture.UnsignedMap.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(4, fixture.Cases.Count);
        Assert.Contains(fixture.Cases, c => c.Inputs.Length % BlockwiseQuantization.BlockLength != 0);
    }

    /// <summary>After step 1 the first moment is (1 − β₁)·g exactly; its stored codes and maxima are BlockwiseQuantization's.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_reference_first_step_state_is_BlockwiseQuantization_of_the_first_moment(string name)
    {
        Adam8BitCase c = Adam8BitFixture.Instance.Case(name);
        Adam8BitRecord first = c.Records[0];
        Assert.Equal(1, first.Step);
        float alpha = (float)(1 - c.Beta1);
        float[] moment = c.Inputs.GradientsOfStep(0).ToArray().Select(g => alpha * g).ToArray();
        var codes = new byte[moment.Length];
        var maxima = new float[BlockwiseQuantization.BlockCount(moment.Length)];
        BlockwiseQuantization.Quantize(moment, codes, maxima, signed: true);
        Assert.Equal(first.FirstMomentMaxima, maxima);
        int mismatches = Enumerable.Range(0, codes.Length).Count(i => codes[i] != first.FirstMomentCodes[i]);
        Assert.True(mismatches == 0, $"{name}: {mismatches} of {codes.Length} first-moment codes differ from BlockwiseQuantization's");
    }

    /// <summary>The recorded 8-bit reference itself stays within the stated distance of the float32 trajectory.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_reference_8bit_trajectory_stays_near_float32(string name)
    {
        Adam8BitCase c = Adam8BitFixture.Instance.Case(name);
        foreach (Adam8BitRecord record in c.Records)
        {
            AssertNearFloat32($"{name} reference", c, record, record.Parameters8Bit);
        }
    }

    private delegate bool StepFunction(Span<float> parameters, ReadOnlySpan<float> gradients);

    private delegate void ReadFunction(int index, Span<float> destination);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Trajectory_matches_the_bitsandbytes_reference_within_its_test_tolerances(string name)
    {
        Adam8BitFixture fixture = Adam8BitFixture.Instance;
        Adam8BitCase c = fixture.Case(name);
        int n = c.Inputs.Length;
        (StepFunction step, ReadFunction read, double learningRate) = Create(c);
        Assert.Equal(c.LearningRate, learningRate);

        float[] parameters = c.Inputs.InitialParameters.ToArray();
        var state = new float[n];
        int next = 0;
        for (int t = 1; t <= fixture.Steps; t++)
        {
            Assert.True(step(parameters, c.Inputs.GradientsOfStep(t - 1)), $"{name}: step {t} was skipped");
            if (next == c.Records.Count || c.Records[next].Step != t)
            {
                continue;
            }

            Adam8BitRecord record = c.Records[next++];
            AssertParameters($"{name} step {t}", parameters, record.Parameters8Bit);
            read(0, state);
            AssertState($"{name} step {t} exp_avg", state, record.FirstMoment(fixture), record.FirstMomentMaxima);
            read(1, state);
            AssertState($"{name} step {t} exp_avg_sq", state, record.SecondMoment(fixture), record.SecondMomentMaxima);
            AssertNearFloat32($"{name} OptGen", c, record, parameters);
        }

        Assert.Equal(c.Records.Count, next);
    }

    private static (StepFunction Step, ReadFunction Read, double LearningRate) Create(Adam8BitCase c)
    {
        if (c.Decoupled)
        {
            Assert.Equal((0.9, 0.99, 1e-8, 0.01), (c.Beta1, c.Beta2, c.Epsilon, c.WeightDecay));
            var adamW = new AdamW8BitFixtureOptimizer(c.Inputs.Length);
            return (adamW.Step, adamW.ReadStateBuffer, adamW.BaseLearningRate);
        }

        Assert.Equal((0.9, 0.999, 1e-8, 0.0), (c.Beta1, c.Beta2, c.Epsilon, c.WeightDecay));
        var adam = new Adam8BitFixtureOptimizer(c.Inputs.Length);
        return (adam.Step, adam.ReadStateBuffer, adam.BaseLearningRate);
    }

    /// <summary>
    /// bitsandbytes' parameter checks: <c>assert_most_approx_close(p1, p2, patol, prtol, max_error_count=0)</c>, i.e.
    /// |a − b| ≤ atol + rtol·|b| everywhere, and the mean absolute and relative errors (relative to |b| + 1e-9).
    /// </summary>
    private void AssertParameters(string what, float[] actual, float[] expected)
    {
        int outside = 0, identical = 0, worst = 0;
        double maxAbs = 0, maxRel = 0, sumAbs = 0, sumRel = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], b = expected[i], error = Math.Abs(a - b), relative = error / (Math.Abs(b) + 1e-9);
            outside += error > ParameterAbsoluteTolerance + ParameterRelativeTolerance * Math.Abs(b) || double.IsNaN(a) ? 1 : 0;
            identical += BitConverter.SingleToInt32Bits(actual[i]) == BitConverter.SingleToInt32Bits(expected[i]) ? 1 : 0;
            sumAbs += error;
            sumRel += relative;
            maxRel = Math.Max(maxRel, relative);
            if (error > maxAbs || double.IsNaN(error))
            {
                maxAbs = error;
                worst = i;
            }
        }

        double meanAbs = sumAbs / actual.Length, meanRel = sumRel / actual.Length;
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{what}: parameters {identical}/{actual.Length} bit-identical, {outside} outside |Δ| ≤ {ParameterAbsoluteTolerance:G3} + {ParameterRelativeTolerance:G3}·|ref| (none allowed); max abs error {maxAbs:G4} at {worst} (OptGen {actual[worst]:R}, reference {expected[worst]:R}), max rel {maxRel:G4}, mean abs {meanAbs:G4} (< {MeanAbsoluteError:G3}), mean rel {meanRel:G4} (< {MeanRelativeError:G3})");
        output.WriteLine(summary);
        Assert.True(outside == 0 && meanAbs < MeanAbsoluteError && meanRel < MeanRelativeError, summary);
    }

    /// <summary>bitsandbytes' state check: fewer than 20 values with |a − b| &gt; atol + rtol·|b|.</summary>
    private void AssertState(string what, float[] actual, float[] expected, float[] maxima)
    {
        int notClose = 0, identical = 0, worst = 0;
        double maxAbs = 0, maxOverBlock = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], b = expected[i], error = Math.Abs(a - b);
            notClose += error > StateAbsoluteTolerance + StateRelativeTolerance * Math.Abs(b) || double.IsNaN(a) ? 1 : 0;
            identical += BitConverter.SingleToInt32Bits(actual[i]) == BitConverter.SingleToInt32Bits(expected[i]) ? 1 : 0;
            float maximum = maxima[i / BlockwiseQuantization.BlockLength];
            maxOverBlock = Math.Max(maxOverBlock, maximum == 0 ? error : error / maximum);
            if (error > maxAbs || double.IsNaN(error))
            {
                maxAbs = error;
                worst = i;
            }
        }

        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{what}: {identical}/{actual.Length} dequantized values bit-identical, {notClose} not within {StateAbsoluteTolerance:G3} + {StateRelativeTolerance:G3}·|ref| (fewer than 20 allowed); max abs error {maxAbs:G4} at {worst} (OptGen {actual[worst]:R}, reference {expected[worst]:R}), max error over the block's absmax {maxOverBlock:G4}");
        output.WriteLine(summary);
        Assert.True(notClose <= StateMismatchesAllowed, summary);
    }

    /// <summary>The 8-bit parameters <paramref name="parameters"/> after <paramref name="record"/>'s step against the float32 trajectory's.</summary>
    private void AssertNearFloat32(string what, Adam8BitCase c, Adam8BitRecord record, float[] parameters)
    {
        float[] initial = c.Inputs.InitialParameters, float32 = record.Parameters32;
        double maxAbs = 0, sumAbs = 0, moved = 0, maxRel = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            double error = Math.Abs((double)parameters[i] - float32[i]);
            maxAbs = Math.Max(maxAbs, error);
            maxRel = Math.Max(maxRel, error / (Math.Abs(float32[i]) + 1e-9));
            sumAbs += error;
            moved += Math.Abs((double)float32[i] - initial[i]);
        }

        double scale = c.LearningRate * record.Step, total = sumAbs / moved;
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{what} step {record.Step} vs float32 torch.optim: max abs {maxAbs:G4} = {maxAbs / scale:G4}·lr·t (≤ {MaxDistanceToFloat32}), max rel {maxRel:G4}, mean abs {sumAbs / parameters.Length:G4}, Σ|Δ| / Σ|p₃₂ − p₀| = {total:G4} (≤ {TotalDistanceToFloat32})");
        output.WriteLine(summary);
        Assert.True(maxAbs <= MaxDistanceToFloat32 * scale && total <= TotalDistanceToFloat32, summary);
    }
}

/// <summary>The inputs a set of trajectories shares: initial parameters and every step's gradients.</summary>
internal sealed class Adam8BitInputs(float[] initialParameters, float[] gradients)
{
    public int Length => InitialParameters.Length;

    public float[] InitialParameters { get; } = initialParameters;

    /// <summary>Steps × Length, step 1 first.</summary>
    public float[] Gradients { get; } = gradients;

    /// <summary>The gradients of step <paramref name="index"/> + 1.</summary>
    public ReadOnlySpan<float> GradientsOfStep(int index) => Gradients.AsSpan(index * Length, Length);
}

/// <summary>The reference after one checkpoint step: both trajectories' parameters and the 8-bit states.</summary>
internal sealed record Adam8BitRecord(
    int Step,
    float[] Parameters8Bit,
    float[] Parameters32,
    byte[] FirstMomentCodes,
    byte[] SecondMomentCodes,
    float[] FirstMomentMaxima,
    float[] SecondMomentMaxima)
{
    /// <summary>exp_avg dequantized with the fixture's signed map: map[code]·absmax.</summary>
    public float[] FirstMoment(Adam8BitFixture fixture) => Dequantize(FirstMomentCodes, FirstMomentMaxima, fixture.SignedMap);

    /// <summary>exp_avg_sq dequantized with the fixture's unsigned map.</summary>
    public float[] SecondMoment(Adam8BitFixture fixture) => Dequantize(SecondMomentCodes, SecondMomentMaxima, fixture.UnsignedMap);

    private static float[] Dequantize(byte[] codes, float[] maxima, float[] map)
    {
        var values = new float[codes.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            values[i] = map[codes[i]] * maxima[i / BlockwiseQuantization.BlockLength];
        }

        return values;
    }
}

/// <summary>One trajectory: its hyperparameters, its inputs and its checkpoints.</summary>
internal sealed record Adam8BitCase(
    string Name,
    Adam8BitInputs Inputs,
    bool Decoupled,
    double LearningRate,
    double Beta1,
    double Beta2,
    double Epsilon,
    double WeightDecay,
    IReadOnlyList<Adam8BitRecord> Records);

/// <summary>Fixtures/Blockwise8Bit/adam8bit.bin, in the format generate_adam8bit.py documents.</summary>
internal sealed class Adam8BitFixture
{
    private static readonly Lazy<Adam8BitFixture> Shared = new(() => Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Blockwise8Bit", "adam8bit.bin")));

    private Adam8BitFixture(int blockLength, int steps, float[] signedMap, float[] unsignedMap, IReadOnlyList<Adam8BitCase> cases)
    {
        BlockLength = blockLength;
        Steps = steps;
        SignedMap = signedMap;
        UnsignedMap = unsignedMap;
        Cases = cases;
    }

    public static Adam8BitFixture Instance => Shared.Value;

    public int BlockLength { get; }

    public int Steps { get; }

    public float[] SignedMap { get; }

    public float[] UnsignedMap { get; }

    public IReadOnlyList<Adam8BitCase> Cases { get; }

    public Adam8BitCase Case(string name) => Cases.Single(c => c.Name == name);

    private static Adam8BitFixture Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (Encoding.ASCII.GetString(reader.ReadBytes(4)) != "OA8B" || reader.ReadUInt32() != 1)
        {
            throw new InvalidDataException($"{path}: not an adam8bit fixture of version 1");
        }

        int blockLength = checked((int)reader.ReadUInt32());
        int steps = checked((int)reader.ReadUInt32());
        int[] checkpoints = Enumerable.Range(0, checked((int)reader.ReadUInt32())).Select(_ => checked((int)reader.ReadUInt32())).ToArray();
        float[] signedMap = Floats(reader, 256), unsignedMap = Floats(reader, 256);
        var sets = new Adam8BitInputs[reader.ReadUInt32()];
        for (int s = 0; s < sets.Length; s++)
        {
            int n = checked((int)reader.ReadUInt32());
            sets[s] = new Adam8BitInputs(Floats(reader, n), Floats(reader, checked(steps * n)));
        }

        var cases = new Adam8BitCase[reader.ReadUInt32()];
        for (int c = 0; c < cases.Length; c++)
        {
            string name = Encoding.UTF8.GetString(reader.ReadBytes(checked((int)reader.ReadUInt32())));
            Adam8BitInputs inputs = sets[reader.ReadUInt32()];
            bool decoupled = reader.ReadUInt32() != 0;
            double lr = reader.ReadDouble(), beta1 = reader.ReadDouble(), beta2 = reader.ReadDouble(), eps = reader.ReadDouble(), weightDecay = reader.ReadDouble();
            int n = inputs.Length, blocks = (n + blockLength - 1) / blockLength;
            var records = new Adam8BitRecord[checkpoints.Length];
            for (int k = 0; k < records.Length; k++)
            {
                records[k] = new Adam8BitRecord(
                    checkpoints[k],
                    Floats(reader, n),
                    Floats(reader, n),
                    reader.ReadBytes(n),
                    reader.ReadBytes(n),
                    Floats(reader, blocks),
                    Floats(reader, blocks));
            }

            cases[c] = new Adam8BitCase(name, inputs, decoupled, lr, beta1, beta2, eps, weightDecay, records);
        }

        if (reader.BaseStream.Position != reader.BaseStream.Length)
        {
            throw new InvalidDataException($"{path}: {reader.BaseStream.Length - reader.BaseStream.Position} bytes after the last case");
        }

        return new Adam8BitFixture(blockLength, steps, signedMap, unsignedMap, cases);
    }

    private static float[] Floats(BinaryReader reader, int count)
    {
        byte[] bytes = reader.ReadBytes(checked(count * sizeof(float)));
        if (bytes.Length != count * sizeof(float))
        {
            throw new EndOfStreamException("adam8bit fixture truncated");
        }

        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return values;
    }
}
