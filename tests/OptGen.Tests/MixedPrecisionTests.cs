using System;
using System.Linq;

namespace OptGen.Tests;

[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2)]
[WeightDecay(0.1)]
internal sealed partial class MixedReferenceAdamW;

[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2, ElementType = typeof(BFloat16))]
[WeightDecay(0.1)]
[MasterWeights]
internal sealed partial class MixedBf16MasterAdamW;

[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2, ElementType = typeof(BFloat16))]
[WeightDecay(0.1)]
internal sealed partial class MixedBf16AdamW;

[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2, ElementType = typeof(Half))]
[WeightDecay(0.1)]
internal sealed partial class MixedHalfAdamW;

[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2)]
[WeightDecay(0.1)]
[StateStorage(StateStorage.BFloat16)]
internal sealed partial class MixedBf16StateAdamW;

[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2)]
[WeightDecay(0.1)]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class Mixed8BitAdamW;

[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2, ElementType = typeof(BFloat16))]
[WeightDecay(0.1)]
[MasterWeights]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class MixedBf16Master8BitAdamW;

[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2, ElementType = typeof(BFloat16))]
[WeightDecay(0.1)]
[StochasticRounding(1234)]
internal sealed partial class MixedBf16StochasticAdamW;

[Optimizer(UpdateRule.Lamb, LearningRate = 1e-2)]
[WeightDecay(0.01, Exclude = new[] { "*.bias" })]
[ClipGradientNorm(1.0)]
[CosineDecay(TotalSteps = 20)]
internal sealed partial class MixedReferenceLamb;

[Optimizer(UpdateRule.Lamb, LearningRate = 1e-2, ElementType = typeof(BFloat16))]
[WeightDecay(0.01, Exclude = new[] { "*.bias" })]
[ClipGradientNorm(1.0)]
[CosineDecay(TotalSteps = 20)]
[MasterWeights]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class MixedBf16Master8BitLamb;

/// <summary>A custom rule (RMSprop by hand) over bfloat16 parameters with 8-bit state.</summary>
[Optimizer(LearningRate = 1e-2, ElementType = typeof(BFloat16))]
[MasterWeights]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class MixedBf16CustomRule
{
    [ElementRule]
    internal static void Update(ref float parameter, float gradient, ref float squareAverage, StepContext step)
    {
        squareAverage = (0.99f * squareAverage) + (0.01f * gradient * gradient);
        parameter -= (float)step.LearningRate * gradient / (MathF.Sqrt(squareAverage) + 1e-8f);
    }
}

/// <summary>
/// Mixed precision against float references built from the float optimizer that the PyTorch fixtures verify: each
/// storage choice must be exactly the float step followed by its rounding (master weights: the float trajectory
/// rounded; bfloat16 or Half parameters: the float step from the widened parameters, rounded; bfloat16 or 8-bit state:
/// the float step from the stored state, stored again).
/// </summary>
public sealed class MixedPrecisionTests
{
    private const int Steps = 12;

    // A length with a partial last quantization block and vector tail, and one that the step splits across threads.
    public static TheoryData<int> Lengths => new() { 1, 1000, 4099 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Bf16WithMasterWeightsIsTheRoundedFloatTrajectory(int length)
    {
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 1);
        var reference = new MixedReferenceAdamW(length);
        float[] expected = (float[])start.Clone();
        var optimizer = new MixedBf16MasterAdamW(length);
        BFloat16[] parameters = ToBf16(start);
        for (int step = 0; step < Steps; step++)
        {
            reference.Step(expected, gradients[step]);
            Assert.True(optimizer.Step(parameters, ToBf16(gradients[step])));
            AssertBits(ToBf16(expected), parameters, step);
        }

        float[] master = new float[length];
        optimizer.ReadStateBuffer(2, master);
        Assert.Equal(expected, master);
        Assert.Equal(["exp_avg", "exp_avg_sq", "master_weights"], optimizer.StateBufferNames);
        Assert.Equal(12.0, optimizer.StateBytesPerParameter);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Bf16ParametersAreTheFloatStepFromTheWidenedParametersRounded(int length)
    {
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 2);
        var reference = new MixedReferenceAdamW(length);
        var optimizer = new MixedBf16AdamW(length);
        BFloat16[] parameters = ToBf16(start);
        for (int step = 0; step < Steps; step++)
        {
            float[] widened = parameters.Select(p => (float)p).ToArray();
            reference.Step(widened, gradients[step]);
            optimizer.Step(parameters, ToBf16(gradients[step]));
            AssertBits(ToBf16(widened), parameters, step);
        }

        // Float32 state (the default): the same values as the float optimizer's.
        Assert.Equal(reference.ExpAvgSq.ToArray(), optimizer.GetStateBuffer<float>(1));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void HalfParametersAreTheFloatStepFromTheWidenedParametersRounded(int length)
    {
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 3);
        var reference = new MixedReferenceAdamW(length);
        var optimizer = new MixedHalfAdamW(length);
        Half[] parameters = start.Select(p => (Half)p).ToArray();
        for (int step = 0; step < Steps; step++)
        {
            float[] widened = parameters.Select(p => (float)p).ToArray();
            Half[] halfGradients = gradients[step].Select(g => (Half)g).ToArray();
            reference.Step(widened, halfGradients.Select(g => (float)g).ToArray());
            optimizer.Step(parameters, halfGradients);
            Assert.Equal(widened.Select(p => BitConverter.HalfToUInt16Bits((Half)p)), parameters.Select(BitConverter.HalfToUInt16Bits));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Bf16StateIsTheFloatStepFromTheStoredState(int length)
    {
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 4);
        var reference = new MixedReferenceAdamW(length);
        var optimizer = new MixedBf16StateAdamW(length);
        float[] expected = (float[])start.Clone();
        float[] parameters = (float[])start.Clone();
        for (int step = 0; step < Steps; step++)
        {
            reference.Step(expected, gradients[step]);
            RoundToBf16(reference.ExpAvg);
            RoundToBf16(reference.ExpAvgSq);
            optimizer.Step(parameters, gradients[step]);
            Assert.Equal(expected, parameters);
        }

        Assert.Equal(reference.ExpAvg.ToArray().Select(v => (BFloat16)v), optimizer.GetStateBuffer<BFloat16>(0).ToArray());
        Assert.Equal(4.0, optimizer.StateBytesPerParameter);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EightBitStateIsTheFloatStepFromTheDequantizedState(int length)
    {
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 5);
        var reference = new MixedReferenceAdamW(length);
        var optimizer = new Mixed8BitAdamW(length);
        float[] expected = (float[])start.Clone();
        float[] parameters = (float[])start.Clone();
        for (int step = 0; step < Steps; step++)
        {
            reference.Step(expected, gradients[step]);
            QuantizeInPlace(reference.ExpAvg, signed: true);
            QuantizeInPlace(reference.ExpAvgSq, signed: false);
            optimizer.Step(parameters, gradients[step]);
            Assert.Equal(expected, parameters);
        }

        float[] state = new float[length];
        optimizer.ReadStateBuffer(1, state);
        Assert.Equal(reference.ExpAvgSq.ToArray(), state);
        Assert.Equal(2 * (1 + (4.0 / 256)), optimizer.StateBytesPerParameter);
        Assert.Equal(8.0, reference.StateBytesPerParameter);
    }

    [Fact]
    public void Bf16WithMasterWeightsAnd8BitStateCombinesBoth()
    {
        const int length = 1000;
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 6);
        var reference = new MixedReferenceAdamW(length);
        float[] expected = (float[])start.Clone();
        var optimizer = new MixedBf16Master8BitAdamW(length);
        BFloat16[] parameters = ToBf16(start);
        for (int step = 0; step < Steps; step++)
        {
            reference.Step(expected, gradients[step]);
            QuantizeInPlace(reference.ExpAvg, signed: true);
            QuantizeInPlace(reference.ExpAvgSq, signed: false);
            optimizer.Step(parameters, ToBf16(gradients[step]));
            AssertBits(ToBf16(expected), parameters, step);
        }

        Assert.Equal(4 + (2 * (1 + (4.0 / 256))), optimizer.StateBytesPerParameter);
    }

    [Fact]
    public void StochasticRoundingUsesTheSeedStepAndIndex()
    {
        const int length = 1000;
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 7);
        var reference = new MixedReferenceAdamW(length);
        var optimizer = new MixedBf16StochasticAdamW(length);
        BFloat16[] parameters = ToBf16(start);
        for (int step = 0; step < Steps; step++)
        {
            float[] widened = parameters.Select(p => (float)p).ToArray();
            reference.Step(widened, gradients[step]);
            var expected = new BFloat16[length];
            StochasticRounding.ToBFloat16(widened, expected, 1234, step + 1, 0);
            optimizer.Step(parameters, ToBf16(gradients[step]));
            AssertBits(expected, parameters, step);
        }
    }

    [Fact]
    public void ThreadCountDoesNotChangeTheResult()
    {
        const int length = (1 << 18) + 77;
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 8);
        BFloat16[] one = ToBf16(start), two = ToBf16(start);
        var single = new MixedBf16Master8BitAdamW(length) { ThreadCount = 1 };
        var parallel = new MixedBf16Master8BitAdamW(length) { ThreadCount = 4 };
        for (int step = 0; step < 3; step++)
        {
            BFloat16[] g = ToBf16(gradients[step]);
            single.Step(one, g);
            parallel.Step(two, g);
        }

        AssertBits(one, two, 3);
    }

    [Fact]
    public void LossScaledGradientsAreUnscaledAndOverflowSkipsTheStep()
    {
        const int length = 1000;
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 9);
        var plain = new MixedBf16MasterAdamW(length);
        var scaled = new MixedBf16MasterAdamW(length);
        BFloat16[] expected = ToBf16(start), parameters = ToBf16(start);
        for (int step = 0; step < 4; step++)
        {
            plain.Step(expected, ToBf16(gradients[step]));
            Assert.True(scaled.Step(parameters, ToBf16(gradients[step].Select(g => g * 1024).ToArray()), 1024));
        }

        AssertBits(expected, parameters, 4);

        BFloat16[] overflow = ToBf16(gradients[4]);
        overflow[17] = BFloat16.PositiveInfinity;
        BFloat16[] before = (BFloat16[])parameters.Clone();
        Assert.False(scaled.Step(parameters, overflow, 65536));
        Assert.Equal(4, scaled.StepCount);
        Assert.Equal(1, scaled.SkippedStepCount);
        AssertBits(before, parameters, 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => scaled.Step(parameters, overflow, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => scaled.Step(parameters, overflow, double.NaN));
    }

    [Fact]
    public void GetStateBufferOfAnotherStorageTypeThrows()
    {
        var optimizer = new Mixed8BitAdamW(10);
        Assert.Throws<NotSupportedException>(() => optimizer.GetStateBuffer(0));
        Assert.Throws<ArgumentException>(() => optimizer.ReadStateBuffer(0, new float[9]));
    }

    [Fact]
    public void ResetTakesTheMasterWeightsFromTheParametersAgain()
    {
        const int length = 300;
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 10);
        var optimizer = new MixedBf16MasterAdamW(length);
        BFloat16[] parameters = ToBf16(start);
        optimizer.Step(parameters, ToBf16(gradients[0]));
        optimizer.Reset();
        BFloat16[] fresh = ToBf16(start);
        optimizer.Step(fresh, ToBf16(gradients[0]));
        var other = new MixedBf16MasterAdamW(length);
        BFloat16[] expected = ToBf16(start);
        other.Step(expected, ToBf16(gradients[0]));
        AssertBits(expected, fresh, 1);
    }

    [Fact]
    public void TwoPassRuleOnAStoreWithFrozenAndExcludedTensorsIsTheRoundedFloatTrajectory()
    {
        // Tensors of whole quantization blocks, so that the frozen one owns its blocks.
        (string, int)[] layout = [("layer0.weight", 1024), ("layer0.bias", 256), ("frozen.weight", 512), ("layer1.weight", 768)];
        var reference = new ParameterStore<float>(layout);
        var store = new ParameterStore<BFloat16>(layout);
        Assert.Equal(reference.Length, store.Length);
        reference.SetLearningRateScale("frozen.*", 0);
        store.SetLearningRateScale("frozen.*", 0);
        reference.SetLearningRateScale("layer1.*", 0.5);
        store.SetLearningRateScale("layer1.*", 0.5);
        (float[] start, float[][] gradients) = Bf16Inputs(store.Length, seed: 11);
        start.CopyTo(reference.Parameters);
        ToBf16(start).CopyTo(store.Parameters);
        var expected = new MixedReferenceLamb(reference.Length);
        var optimizer = new MixedBf16Master8BitLamb(store.Length);
        for (int step = 0; step < Steps; step++)
        {
            gradients[step].CopyTo(reference.Gradients);
            ToBf16(gradients[step]).CopyTo(store.Gradients);
            expected.Step(reference);
            foreach (TensorSlice tensor in reference.Tensors.Where(t => !t.Name.StartsWith("frozen", StringComparison.Ordinal)))
            {
                QuantizeInPlace(expected.GetStateBuffer(0).Slice(tensor.Offset, tensor.Length), signed: true);
                QuantizeInPlace(expected.GetStateBuffer(1).Slice(tensor.Offset, tensor.Length), signed: false);
            }

            optimizer.Step(store);
            AssertBits(ToBf16(reference.Parameters.ToArray()), store.Parameters.ToArray(), step);
            Assert.Equal(expected.LastGradientNorm, optimizer.LastGradientNorm);
        }

        // The frozen tensor's state was never touched: still the quantized zeros it started as.
        float[] state = new float[store.Length];
        optimizer.ReadStateBuffer(1, state);
        Assert.All(state.AsSpan(1280, 512).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void CustomRuleWithEightBitStateIsItsFloatStepRounded()
    {
        const int length = 700;
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 12);
        var optimizer = new MixedBf16CustomRule(length);
        BFloat16[] parameters = ToBf16(start);
        float[] master = (float[])start.Clone();
        float[] square = new float[length];
        for (int step = 0; step < Steps; step++)
        {
            var context = new StepContext(step + 1, 1e-2);
            for (int i = 0; i < length; i++)
            {
                MixedBf16CustomRule.Update(ref master[i], gradients[step][i], ref square[i], context);
            }

            QuantizeInPlace(square, signed: false);
            optimizer.Step(parameters, ToBf16(gradients[step]));
            AssertBits(ToBf16(master), parameters, step);
        }
    }

    [Fact]
    public void CheckpointsHoldEveryStorageBitForBit()
    {
        const int length = 1000;
        (float[] start, float[][] gradients) = Bf16Inputs(length, seed: 13);
        AssertResumes(() => new MixedBf16Master8BitAdamW(length), ToBf16(start), gradients.Select(ToBf16).ToArray(), (o, p, g) => o.Step(p, g));
        AssertResumes(() => new MixedBf16StateAdamW(length), start, gradients, (o, p, g) => o.Step(p, g));
        AssertResumes(() => new Mixed8BitAdamW(length), start, gradients, (o, p, g) => o.Step(p, g));
        AssertResumes(() => new MixedBf16StochasticAdamW(length), ToBf16(start), gradients.Select(ToBf16).ToArray(), (o, p, g) => o.Step(p, g));
        AssertResumes(() => new MixedHalfAdamW(length), start.Select(v => (Half)v).ToArray(), gradients.Select(g => g.Select(v => (Half)v).ToArray()).ToArray(), (o, p, g) => o.Step(p, g));
    }

    [Fact]
    public void ACheckpointLoadsOnlyIntoTheSameStorage()
    {
        var eightBit = new Mixed8BitAdamW(100);
        eightBit.Step(new float[100], Enumerable.Repeat(0.5f, 100).ToArray());
        using var stream = new System.IO.MemoryStream();
        eightBit.SaveCheckpoint(stream);

        // The same rule with bfloat16 state, and the same rule with float state: refused, nothing changed.
        foreach (IOptimizer other in new IOptimizer[] { new MixedBf16StateAdamW(100), new MixedReferenceAdamW(100) })
        {
            stream.Position = 0;
            Assert.Throws<CheckpointException>(() => other.LoadCheckpoint(stream));
            Assert.Equal(0, other.StepCount);
        }

        // A state buffer the 8-bit checkpoint restores exactly, codes and maxima.
        var restored = new Mixed8BitAdamW(100);
        stream.Position = 0;
        restored.LoadCheckpoint(stream);
        Assert.Equal(eightBit.GetStateBuffer<byte>(0).ToArray(), restored.GetStateBuffer<byte>(0).ToArray());
        float[] expected = new float[100], actual = new float[100];
        eightBit.ReadStateBuffer(1, expected);
        restored.ReadStateBuffer(1, actual);
        Assert.Equal(expected, actual);
    }

    /// <summary>Steps 6 times, saves, steps 6 more; a fresh optimizer loaded from the save and stepped 6 more gives the same bits.</summary>
    private static void AssertResumes<TOptimizer, TElement>(Func<TOptimizer> create, TElement[] start, TElement[][] gradients, Action<TOptimizer, TElement[], TElement[]> step)
        where TOptimizer : IOptimizer
        where TElement : unmanaged
    {
        TOptimizer first = create();
        TElement[] parameters = (TElement[])start.Clone();
        for (int i = 0; i < 6; i++)
        {
            step(first, parameters, gradients[i]);
        }

        using var saved = new System.IO.MemoryStream();
        first.SaveCheckpoint(saved);
        TElement[] resumed = (TElement[])parameters.Clone();
        for (int i = 6; i < Steps; i++)
        {
            step(first, parameters, gradients[i]);
        }

        TOptimizer second = create();
        saved.Position = 0;
        second.LoadCheckpoint(saved);
        for (int i = 6; i < Steps; i++)
        {
            step(second, resumed, gradients[i]);
        }

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameters.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(resumed.AsSpan())), typeof(TOptimizer).Name);
        Assert.Equal(first.StepCount, second.StepCount);
    }

    /// <summary>Parameters and gradients that are bfloat16 values, so that every storage starts from the same numbers.</summary>
    internal static (float[] Start, float[][] Gradients) Bf16Inputs(int length, int seed)
    {
        var random = new Random(seed);
        float Next(double scale) => (float)(BFloat16)(float)((random.NextDouble() - 0.5) * scale);
        float[] start = Enumerable.Range(0, length).Select(_ => Next(2)).ToArray();

        // Blocks of very different magnitudes, so that 8-bit blocks have different maxima.
        float[][] gradients = Enumerable.Range(0, Steps).Select(_ => Enumerable.Range(0, length).Select(i => Next(Math.Pow(10, -(i / 256 % 4)))).ToArray()).ToArray();
        return (start, gradients);
    }

    private static BFloat16[] ToBf16(float[] values) => values.Select(v => (BFloat16)v).ToArray();

    private static void RoundToBf16(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(BFloat16)values[i];
        }
    }

    private static void QuantizeInPlace(Span<float> values, bool signed)
    {
        var codes = new byte[values.Length];
        var maxima = new float[BlockwiseQuantization.BlockCount(values.Length)];
        BlockwiseQuantization.Quantize(values, codes, maxima, signed);
        BlockwiseQuantization.Dequantize(codes, maxima, values, signed);
    }

    private static void AssertBits(BFloat16[] expected, BFloat16[] actual, int step)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i].Bits != actual[i].Bits)
            {
                Assert.Fail($"Step {step + 1}, element {i}: expected {expected[i]}, got {actual[i]}.");
            }
        }
    }
}
