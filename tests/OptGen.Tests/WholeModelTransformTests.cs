using System;
using System.Collections.Generic;
using System.Linq;

namespace OptGen.Tests;

/// <summary>AdamW with the transforms a transformer recipe uses: clipping by the global norm, no decay on biases and norms.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 1e-3)]
[WeightDecay(0.05, Decoupled = true, Exclude = new[] { "*.bias", "*norm*" })]
[ClipGradientNorm(1.0)]
public partial class TransformerAdamW;

/// <summary>The same rule and options without the transforms, to step tensor by tensor as the reference.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 1e-3)]
[WeightDecay(0.05, Decoupled = true)]
public partial class DecayedAdamW;

/// <summary>AdamW without weight decay: what an excluded tensor gets.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 1e-3)]
[WeightDecay(0)]
public partial class UndecayedAdamW;

/// <summary>Adam with coupled L2 on weights only and clipping, in double.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 1e-2, ElementType = typeof(double))]
[WeightDecay(0.01, Exclude = new[] { "*.bias" })]
[ClipGradientNorm(0.5)]
public partial class GroupedAdamDouble;

[Optimizer(UpdateRule.Adam, LearningRate = 1e-2, ElementType = typeof(double))]
[WeightDecay(0.01)]
public partial class L2AdamDouble;

[Optimizer(UpdateRule.Adam, LearningRate = 1e-2, ElementType = typeof(double))]
public partial class NoDecayAdamDouble;

/// <summary>LAMB with clipping and weight decay excluded from biases: two passes, per-tensor trust ratios.</summary>
[Optimizer(UpdateRule.Lamb, LearningRate = 1e-2)]
[WeightDecay(0.01, Exclude = new[] { "*.bias" })]
[ClipGradientNorm(1.0)]
public partial class ClippedLamb;

/// <summary>Clipping with non-finite gradients skipped.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 1e-3)]
[ClipGradientNorm(1.0)]
[NonFiniteGradients(NonFiniteGradientPolicy.SkipStep)]
public partial class ClippedSkippingAdam;

/// <summary>Clipping with PyTorch's propagation of non-finite gradients.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 1e-3)]
[ClipGradientNorm(1.0)]
public partial class ClippedAdam;

/// <summary>
/// <c>[ClipGradientNorm]</c>, <c>[WeightDecay(Exclude = …)]</c> and learning-rate scales on a <see cref="ParameterStore{T}"/>:
/// a store step must equal stepping each tensor by itself with the gradients scaled by the coefficient PyTorch's
/// <c>clip_grad_norm_</c> computes, the tensor's rate, and weight decay or none; the norm must be the same bits on every
/// thread count and every SIMD path.
/// </summary>
public sealed class WholeModelTransformTests
{
    private static readonly (string Name, int Length)[] Model =
        [("layer1.weight", 150), ("layer1.bias", 53), ("norm.weight", 17), ("layer2.weight", 301), ("layer2.bias", 7), ("head.weight", 1000)];

    [Fact]
    public void A_store_step_clips_by_the_global_norm_and_decays_only_the_tensors_not_excluded()
    {
        var store = new ParameterStore<float>(Model);
        var random = new Random(11);
        var optimizer = new TransformerAdamW(store.Length);
        var decayed = Model.ToDictionary(t => t.Name, t => (IOptimizer<float>)(t.Name.EndsWith(".bias", StringComparison.Ordinal) || t.Name.Contains("norm", StringComparison.Ordinal) ? new UndecayedAdamW(t.Length) : new DecayedAdamW(t.Length)));
        var expected = new Dictionary<string, float[]>();
        foreach ((string name, int length) in Model)
        {
            float[] initial = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            initial.CopyTo(store.Parameter(name));
            expected[name] = initial;
        }

        int clipped = 0;
        for (int step = 0; step < 8; step++)
        {
            foreach ((string name, int length) in Model)
            {
                for (int i = 0; i < length; i++)
                {
                    store.Gradient(name)[i] = (float)(((random.NextDouble() * 2) - 1) * (step % 3 == 0 ? 0.01 : 0.2));
                }
            }

            float[] gradientsBefore = store.Gradients.ToArray();
            double norm = ReferenceNorm(store, Model.Select(t => t.Name));
            Assert.True(optimizer.Step(store));
            AssertClose(norm, optimizer.LastGradientNorm);

            // The coefficient from the optimizer's norm (its last bit is the runtime's order of additions, tested below).
            float coefficient = MathF.Min((1f / ((float)optimizer.LastGradientNorm + 1e-6f)) * 1f, 1f);
            clipped += coefficient < 1 ? 1 : 0;
            Assert.Equal(gradientsBefore, store.Gradients.ToArray()); // the caller's gradients are not scaled
            foreach ((string name, int length) in Model)
            {
                float[] scaled = store.Gradient(name).ToArray().Select(g => g * coefficient).ToArray();
                decayed[name].Step(expected[name], scaled);
                Assert.Equal(expected[name].Select(BitConverter.SingleToInt32Bits), store.Parameter(name).ToArray().Select(BitConverter.SingleToInt32Bits));
            }
        }

        Assert.InRange(clipped, 3, 7); // clipping both on and off
        Assert.All(store.Parameters.ToArray().Where((_, i) => !store.Tensors.Any(t => i >= t.Offset && i < t.Offset + t.Length)), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Coupled_L2_is_selected_per_tensor_in_double()
    {
        var store = new ParameterStore<double>(Model);
        var random = new Random(12);
        var optimizer = new GroupedAdamDouble(store.Length);
        var references = Model.ToDictionary(t => t.Name, t => (IOptimizer<double>)(t.Name.EndsWith(".bias", StringComparison.Ordinal) ? new NoDecayAdamDouble(t.Length) : new L2AdamDouble(t.Length)));
        var expected = Model.ToDictionary(t => t.Name, t => Enumerable.Range(0, t.Length).Select(_ => (random.NextDouble() * 2) - 1).ToArray());
        foreach ((string name, _) in Model)
        {
            expected[name].CopyTo(store.Parameter(name));
        }

        for (int step = 0; step < 5; step++)
        {
            foreach ((string name, int length) in Model)
            {
                for (int i = 0; i < length; i++)
                {
                    store.Gradient(name)[i] = i % 9 == 0 ? -0.0 : ((random.NextDouble() * 2) - 1) * 0.1;
                }
            }

            double norm = ReferenceNorm(store, Model.Select(t => t.Name));
            optimizer.Step(store);
            AssertClose(norm, optimizer.LastGradientNorm);
            double coefficient = Math.Min((1.0 / (optimizer.LastGradientNorm + 1e-6)) * 0.5, 1.0);
            foreach ((string name, _) in Model)
            {
                references[name].Step(expected[name], store.Gradient(name).ToArray().Select(g => g * coefficient).ToArray());
                Assert.Equal(expected[name].Select(BitConverter.DoubleToInt64Bits), store.Parameter(name).ToArray().Select(BitConverter.DoubleToInt64Bits));
            }
        }
    }

    [Fact]
    public void Learning_rate_scales_apply_per_tensor_and_a_scale_of_zero_freezes()
    {
        var store = new ParameterStore<float>(Model);
        Assert.Equal(2, store.SetLearningRateScale("layer*.bias", 0.1));
        Assert.Equal(1, store.SetLearningRateScale("norm.weight", 0));
        Assert.Equal(0.1, store.GetLearningRateScale("layer2.bias"));
        Assert.Equal(1, store.GetLearningRateScale("head.weight"));
        Assert.Throws<ArgumentException>(() => store.SetLearningRateScale("encoder.*", 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.SetLearningRateScale("*", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.SetLearningRateScale("*", double.NaN));
        Assert.Throws<KeyNotFoundException>(() => store.GetLearningRateScale("missing"));

        var random = new Random(13);
        foreach ((string name, int length) in Model)
        {
            for (int i = 0; i < length; i++)
            {
                store.Parameter(name)[i] = (float)((random.NextDouble() * 2) - 1);
                store.Gradient(name)[i] = (float)(((random.NextDouble() * 2) - 1) * 0.01);
            }
        }

        var optimizer = new TransformerAdamW(store.Length);
        float[] frozenBefore = store.Parameter("norm.weight").ToArray();
        var biasReference = new UndecayedAdamW(7) { BaseLearningRate = 1e-4 };
        float[] bias = store.Parameter("layer2.bias").ToArray();

        // The clipping norm leaves the frozen tensor out.
        double norm = ReferenceNorm(store, Model.Select(t => t.Name).Where(n => n != "norm.weight"));
        optimizer.Step(store);
        AssertClose(norm, optimizer.LastGradientNorm);
        float coefficient = MathF.Min(1f / ((float)optimizer.LastGradientNorm + 1e-6f), 1f);
        biasReference.Step(bias, store.Gradient("layer2.bias").ToArray().Select(g => g * coefficient).ToArray());
        Assert.Equal(bias, store.Parameter("layer2.bias").ToArray());
        Assert.Equal(frozenBefore, store.Parameter("norm.weight").ToArray());
        int frozenOffset = store.Tensors.Single(t => t.Name == "norm.weight").Offset;
        Assert.All(optimizer.ExpAvg.Slice(frozenOffset, 17).ToArray(), m => Assert.Equal(0f, m));
    }

    [Fact]
    public void Lamb_gives_the_same_bits_on_every_thread_count()
    {
        (string, int)[] model = [("embed.weight", 90_001), ("block.weight", 150_000), ("block.bias", 999), ("head.weight", 70_007)];
        float[]? reference = null;
        foreach (int threads in new[] { 1, 2, 3, 8 })
        {
            var store = new ParameterStore<float>(model);
            Fill(store.Parameters, 31, -1f, 1f);
            var optimizer = new ClippedLamb(store.Length) { ThreadCount = threads };
            for (int step = 0; step < 3; step++)
            {
                Fill(store.Gradients, 50 + step, -0.02f, 0.02f);
                optimizer.Step(store);
            }

            float[] result = [.. store.Parameters.ToArray(), .. optimizer.ExpAvg.ToArray(), .. optimizer.ExpAvgSq.ToArray()];
            reference ??= result;
            Assert.True(reference.AsSpan().SequenceEqual(result), $"{threads} threads differ from 1.");
        }
    }

    [Fact]
    public void A_store_step_gives_the_same_bits_on_every_thread_count()
    {
        // Large enough to split: every tensor crosses chunk boundaries, and some are excluded or scaled.
        (string, int)[] model = [("embed.weight", 90_001), ("block.norm.weight", 513), ("block.weight", 150_000), ("block.bias", 999), ("head.weight", 70_007)];
        float[]? reference = null;
        double referenceNorm = 0;
        foreach (int threads in new[] { 1, 2, 3, 8 })
        {
            var store = new ParameterStore<float>(model);
            store.SetLearningRateScale("embed.*", 0.5);
            Fill(store.Parameters, 31, -1f, 1f);
            var optimizer = new TransformerAdamW(store.Length) { ThreadCount = threads };
            for (int step = 0; step < 3; step++)
            {
                Fill(store.Gradients, 40 + step, -0.02f, 0.02f);
                optimizer.Step(store);
            }

            float[] result = [.. store.Parameters.ToArray(), .. optimizer.ExpAvg.ToArray(), .. optimizer.ExpAvgSq.ToArray()];
            if (reference is null)
            {
                reference = result;
                referenceNorm = optimizer.LastGradientNorm;
                Assert.True(referenceNorm > 1, "The test needs clipping to be active.");
            }
            else
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(referenceNorm), BitConverter.DoubleToInt64Bits(optimizer.LastGradientNorm));
                Assert.True(reference.AsSpan().SequenceEqual(result), $"{threads} threads differ from 1.");
            }
        }
    }

    /// <summary>
    /// The norm's order of additions is defined by the indices alone (blocks of 1024; within a block, lane i mod 32;
    /// lanes combined pairwise; blocks in order): this test's plain loop in that order must give the same bits on the
    /// path that runs (CI runs every path), for every segment layout and thread count.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(1023)]
    [InlineData(1025)]
    [InlineData(300_001)]
    public void The_norm_adds_in_an_order_fixed_by_the_indices(int length)
    {
        float[] values = new float[length];
        Fill(values, 77, -3f, 3f);
        double[] doubles = values.Select(v => (double)v * 1.000001).ToArray();
        foreach (int threads in new[] { 1, 2, 7 })
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(CanonicalSum(values.Select(v => (double)v).ToArray())), BitConverter.DoubleToInt64Bits(GradientNorm.SumOfSquares<float>(values, threads)));
            Assert.Equal(BitConverter.DoubleToInt64Bits(CanonicalSum(doubles)), BitConverter.DoubleToInt64Bits(GradientNorm.SumOfSquares<double>(doubles, threads)));
        }

        // A float's square is exact in double, and their sum exact as an integer multiple of 2⁻³⁰⁰.
        var exactSum = System.Numerics.BigInteger.Zero;
        foreach (float v in values)
        {
            double square = (double)v * v;
            exactSum += new System.Numerics.BigInteger(Math.ScaleB(square, 300));
        }

        double exact = Math.ScaleB((double)exactSum, -300);
        Assert.True(Math.Abs(GradientNorm.SumOfSquares<float>(values) - exact) <= exact * 1e-14, $"{GradientNorm.SumOfSquares<float>(values):R} against the exact {exact:R}");
    }

    /// <summary>Within 1e-12 relative: the norm is computed in double, in another order than the test's plain loop.</summary>
    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12 * expected, $"norm {actual:R}, expected {expected:R}");

    [Fact]
    public void A_non_finite_norm_skips_the_step_or_propagates_as_PyTorch()
    {
        float[] gradients = Enumerable.Range(0, 300).Select(i => i == 17 ? float.NaN : 0.1f).ToArray();
        var skipping = new ClippedSkippingAdam(300);
        float[] parameters = Enumerable.Repeat(0.5f, 300).ToArray();
        Assert.False(skipping.Step(parameters, gradients));
        Assert.Equal(1, skipping.SkippedStepCount);
        Assert.Equal(0, skipping.StepCount);
        Assert.True(double.IsNaN(skipping.LastGradientNorm));
        Assert.All(parameters, p => Assert.Equal(0.5f, p));

        // PyTorch: the coefficient is NaN, every gradient times NaN is NaN, and so is every parameter Adam updates.
        var propagating = new ClippedAdam(300);
        Assert.True(propagating.Step(parameters, gradients));
        Assert.All(parameters, p => Assert.True(float.IsNaN(p)));

        // An infinite gradient: the coefficient is 0, so finite gradients become 0 and the infinite one NaN.
        gradients[17] = float.PositiveInfinity;
        parameters = Enumerable.Repeat(0.5f, 300).ToArray();
        new ClippedAdam(300).Step(parameters, gradients);
        Assert.True(float.IsNaN(parameters[17]));
        Assert.Equal(0.5f, parameters[0]);
    }

    [Fact]
    public void Invalid_store_steps_change_nothing()
    {
        var store = new ParameterStore<float>(Model);
        var optimizer = new TransformerAdamW(store.Length + 16);
        Assert.Throws<ArgumentException>(() => optimizer.Step(store));
        Assert.Equal(0, optimizer.StepCount);
        Assert.True(double.IsNaN(optimizer.LastGradientNorm));
        Assert.Throws<ArgumentNullException>(() => optimizer.Step((ParameterStore<float>)null!));
    }

    [Theory]
    [InlineData("*.bias", "layer1.bias", true)]
    [InlineData("*.bias", "layer1.biases", false)]
    [InlineData("*norm*", "block.norm.weight", true)]
    [InlineData("*norm*", "normal", true)]
    [InlineData("*norm*", "nor", false)]
    [InlineData("layer?.weight", "layer1.weight", false)]
    [InlineData("a*b*c", "aXbYbZc", true)]
    [InlineData("a*b*c", "aXbYc", true)]
    [InlineData("a*b*c", "acb", false)]
    [InlineData("*", "", true)]
    [InlineData("", "", true)]
    [InlineData("", "x", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "Exact", false)]
    public void Tensor_name_patterns_match_whole_names_with_star_wildcards(string pattern, string name, bool matches) =>
        Assert.Equal(matches, TensorNamePattern.IsMatch(pattern, name));

    /// <summary>Seeded uniform values in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    private static void Fill(Span<float> values, int seed, float low, float high)
    {
        var random = new Random(seed);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = low + ((high - low) * (float)random.NextDouble());
        }
    }

    /// <summary>The L2 norm of the named tensors, in double by a plain loop (the test's own, independent of the runtime).</summary>
    private static double ReferenceNorm<T>(ParameterStore<T> store, IEnumerable<string> names)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        double sum = 0;
        foreach (string name in names)
        {
            foreach (T g in store.Gradient(name))
            {
                double x = double.CreateTruncating(g);
                sum += x * x;
            }
        }

        return Math.Sqrt(sum);
    }

    /// <summary>The norm's order of additions, restated as a plain loop (also the reference for 2-byte values in <see cref="GradientNormTests"/>).</summary>
    internal static double CanonicalSum(double[] values)
    {
        double total = 0;
        for (int start = 0; start < values.Length; start += GradientNorm.BlockLength)
        {
            double[] lanes = new double[32];
            for (int i = start; i < Math.Min(start + GradientNorm.BlockLength, values.Length); i++)
            {
                lanes[i % 32] += values[i] * values[i];
            }

            for (int width = 16; width >= 1; width /= 2)
            {
                for (int i = 0; i < width; i++)
                {
                    lanes[i] += lanes[i + width];
                }
            }

            total += lanes[0];
        }

        return total;
    }
}
