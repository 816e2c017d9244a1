using System;
using System.Linq;

namespace OptGen.Tests;

/// <summary>
/// The runtime's Schedule-Free machinery on its own: <see cref="ScheduleFree.Interpolate{T}"/> is PyTorch 1.13's CPU
/// lerp (fused, branching on w &lt; 0.5, negative weights included) at every length and width, and
/// <see cref="ScheduleFree.WriteEvaluationPoint{T}"/> writes x only where asked, refusing bad spans before writing.
/// (Against the reference's eval() itself: PyTorch/EvaluationPointTests.)
/// </summary>
public sealed class ScheduleFreeTests
{
    private static readonly double[] Weights = [-1, -0.7, -0.111, 0, 0.3, 0.49999997, 0.5, 0.7, 1];

    [Fact]
    public void Float_interpolation_is_the_fused_lerp_of_PyTorch_at_every_length()
    {
        var random = new Random(5);
        foreach (int length in new[] { 0, 1, 3, 4, 7, 8, 15, 16, 17, 33, 64, 65, 259 })
        {
            float[] start = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
            float[] end = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
            foreach (double weight in Weights)
            {
                float w = (float)weight;
                float[] expected = start.Select((a, i) => w < 0.5f
                    ? MathF.FusedMultiplyAdd(w, end[i] - a, a)
                    : MathF.FusedMultiplyAdd(-(end[i] - a), 1f - w, end[i])).ToArray();
                float[] actual = (float[])start.Clone();
                ScheduleFree.Interpolate<float>(actual, end, weight);
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void Double_interpolation_is_the_fused_lerp_of_PyTorch_at_every_length()
    {
        var random = new Random(6);
        foreach (int length in new[] { 0, 1, 2, 3, 5, 8, 9, 31, 259 })
        {
            double[] start = Enumerable.Range(0, length).Select(_ => (random.NextDouble() * 4) - 2).ToArray();
            double[] end = Enumerable.Range(0, length).Select(_ => (random.NextDouble() * 4) - 2).ToArray();
            foreach (double w in Weights)
            {
                double[] expected = start.Select((a, i) => w < 0.5
                    ? Math.FusedMultiplyAdd(w, end[i] - a, a)
                    : Math.FusedMultiplyAdd(-(end[i] - a), 1 - w, end[i])).ToArray();
                double[] actual = (double[])start.Clone();
                ScheduleFree.Interpolate<double>(actual, end, w);
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void The_weight_is_rounded_to_float_before_the_branch()
    {
        // 0.5 − 2⁻³⁰ is below 0.5 as a double but rounds to 0.5 as a float, so the float lerp takes the other form.
        double weight = 0.5 - Math.Pow(2, -30);
        float[] start = [0.1f, -3.7f, 1e-3f];
        float[] end = [2.3f, 0.9f, -5.1f];
        float[] expected = start.Select((a, i) => MathF.FusedMultiplyAdd(-(end[i] - a), 0.5f, end[i])).ToArray();
        ScheduleFree.Interpolate<float>(start, end, weight);
        Assert.Equal(expected, start);
    }

    [Fact]
    public void The_evaluation_point_is_y_before_the_first_step_and_x_after_it()
    {
        double[] y = [1, 2, 3, 4, 5];
        double[] z = [0.5, 2.5, -1, 4, 8];
        double[] x = new double[5];
        ScheduleFree.WriteEvaluationPoint<double>(y, z, stepCount: 0, beta1: 0.9, x);
        Assert.Equal(y, x);

        ScheduleFree.WriteEvaluationPoint<double>(y, z, stepCount: 1, beta1: 0.9, x);
        double w = 1 - (1 / 0.9);
        Assert.Equal(y.Select((a, i) => Math.FusedMultiplyAdd(w, z[i] - a, a)), x);
        Assert.Equal([1, 2, 3, 4, 5], y);

        // In place: the parameters become x, as after the reference's eval().
        ScheduleFree.WriteEvaluationPoint<double>(y, z, stepCount: 1, beta1: 0.9, y);
        Assert.Equal(x, y);
    }

    [Fact]
    public void Bad_spans_and_first_decays_throw_before_anything_is_written()
    {
        float[] buffer = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        float[] z = [9, 9, 9, 9];
        float[] y = [1, 2, 3, 4];
        void Untouched(string parameter, Action call)
        {
            float[] before = (float[])buffer.Clone();
            ArgumentException exception = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(parameter, exception.ParamName);
            Assert.Equal(before, buffer);
            Assert.Equal([1f, 2f, 3f, 4f], y);
        }

        Untouched("parameters", () => ScheduleFree.WriteEvaluationPoint<float>(y.AsSpan(0, 3), z, 1, 0.9, buffer.AsSpan(0, 4)));
        Untouched("destination", () => ScheduleFree.WriteEvaluationPoint<float>(y, z, 1, 0.9, buffer.AsSpan(0, 5)));
        Untouched("beta1", () => ScheduleFree.WriteEvaluationPoint<float>(y, z, 1, 0, buffer.AsSpan(0, 4)));
        Untouched("beta1", () => ScheduleFree.WriteEvaluationPoint<float>(y, z, 1, 1, buffer.AsSpan(0, 4)));
        Untouched("beta1", () => ScheduleFree.WriteEvaluationPoint<float>(y, z, 1, double.NaN, buffer.AsSpan(0, 4)));
        Untouched("destination", () => ScheduleFree.WriteEvaluationPoint<float>(y, buffer.AsSpan(2, 4), 1, 0.9, buffer.AsSpan(0, 4)));
        Untouched("destination", () => ScheduleFree.WriteEvaluationPoint<float>(buffer.AsSpan(0, 4), z, 1, 0.9, buffer.AsSpan(1, 4)));
        Untouched("end", () => ScheduleFree.Interpolate<float>(buffer.AsSpan(0, 4), z.AsSpan(0, 3), 0.5));
    }

    [Fact]
    public void A_generated_optimizer_forwards_its_evaluation_point_and_keeps_training_exactly()
    {
        const int Length = 37;
        var random = new Random(9);
        double[] initial = Enumerable.Range(0, Length).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[][] gradients = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, Length).Select(_ => random.NextDouble() - 0.5).ToArray()).ToArray();

        // Training with evaluations in between equals training without them: x is written aside, y is not touched.
        var plain = new TestScheduleFreeDouble(Length);
        var evaluated = new TestScheduleFreeDouble(Length);
        double[] a = (double[])initial.Clone(), b = (double[])initial.Clone(), x = new double[Length];
        foreach (double[] g in gradients)
        {
            plain.Step(a, g);
            evaluated.Step(b, g);
            evaluated.WriteEvaluationPoint(b, x);
        }

        Assert.Equal(a, b);
        Assert.Equal(plain.Z.ToArray(), evaluated.Z.ToArray());
        double w = 1 - (1 / 0.9);
        Assert.Equal(b.Select((y, i) => Math.FusedMultiplyAdd(w, evaluated.Z[i] - y, y)), x);

        // Reset forgets z, so the evaluation point is the parameters again.
        evaluated.Reset();
        evaluated.WriteEvaluationPoint(b, x);
        Assert.Equal(b, x);
        Assert.Throws<ArgumentException>(() => evaluated.WriteEvaluationPoint(b.AsSpan(1), x));
    }
}
