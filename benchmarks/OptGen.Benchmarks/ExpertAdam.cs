using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OptGen.Benchmarks;

/// <summary>
/// The best Adam step a .NET performance expert writes by hand: one fused pass, Vector256, unrolled four vectors per
/// iteration, fused multiply-adds, every per-step scalar hoisted and broadcast once (the division by √(1 − β₂ᵗ)
/// turned into a multiplication by its reciprocal), unaligned loads through refs (no bounds checks), a scalar tail.
/// </summary>
public static class ExpertAdam
{
    /// <summary>Adam step <paramref name="t"/> (1-based), PyTorch's defaults.</summary>
    public static void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> expAvg, Span<float> expAvgSq, long t)
    {
        if (gradients.Length != parameters.Length || expAvg.Length != parameters.Length || expAvgSq.Length != parameters.Length)
        {
            throw new ArgumentException("All spans must have the parameters' length.", nameof(gradients));
        }

        double lr = Hyper.AdamLearningRate;
        float negativeStepSize = (float)(-lr / (1 - Math.Pow(Hyper.Beta1, t)));
        float inverseBiasCorrection2Sqrt = (float)(1 / Math.Sqrt(1 - Math.Pow(Hyper.Beta2, t)));

        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float m = ref MemoryMarshal.GetReference(expAvg);
        ref float v = ref MemoryMarshal.GetReference(expAvgSq);
        nuint length = (nuint)parameters.Length;
        nuint i = 0;

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> beta1 = Vector256.Create(Hyper.Beta1);
            Vector256<float> oneMinusBeta1 = Vector256.Create(1 - Hyper.Beta1);
            Vector256<float> beta2 = Vector256.Create(Hyper.Beta2);
            Vector256<float> oneMinusBeta2 = Vector256.Create(1 - Hyper.Beta2);
            Vector256<float> epsilon = Vector256.Create(Hyper.Epsilon);
            Vector256<float> scale = Vector256.Create(inverseBiasCorrection2Sqrt);
            Vector256<float> step = Vector256.Create(negativeStepSize);
            nuint w = (nuint)Vector256<float>.Count;

            for (; i + (4 * w) <= length; i += 4 * w)
            {
                Vector256<float> g0 = Vector256.LoadUnsafe(ref g, i);
                Vector256<float> g1 = Vector256.LoadUnsafe(ref g, i + w);
                Vector256<float> g2 = Vector256.LoadUnsafe(ref g, i + (2 * w));
                Vector256<float> g3 = Vector256.LoadUnsafe(ref g, i + (3 * w));
                Vector256<float> m0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, i), beta1, g0 * oneMinusBeta1);
                Vector256<float> m1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, i + w), beta1, g1 * oneMinusBeta1);
                Vector256<float> m2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, i + (2 * w)), beta1, g2 * oneMinusBeta1);
                Vector256<float> m3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, i + (3 * w)), beta1, g3 * oneMinusBeta1);
                Vector256<float> v0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, i), beta2, g0 * g0 * oneMinusBeta2);
                Vector256<float> v1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, i + w), beta2, g1 * g1 * oneMinusBeta2);
                Vector256<float> v2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, i + (2 * w)), beta2, g2 * g2 * oneMinusBeta2);
                Vector256<float> v3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, i + (3 * w)), beta2, g3 * g3 * oneMinusBeta2);
                m0.StoreUnsafe(ref m, i);
                m1.StoreUnsafe(ref m, i + w);
                m2.StoreUnsafe(ref m, i + (2 * w));
                m3.StoreUnsafe(ref m, i + (3 * w));
                v0.StoreUnsafe(ref v, i);
                v1.StoreUnsafe(ref v, i + w);
                v2.StoreUnsafe(ref v, i + (2 * w));
                v3.StoreUnsafe(ref v, i + (3 * w));
                Vector256<float> d0 = Vector256.FusedMultiplyAdd(Vector256.Sqrt(v0), scale, epsilon);
                Vector256<float> d1 = Vector256.FusedMultiplyAdd(Vector256.Sqrt(v1), scale, epsilon);
                Vector256<float> d2 = Vector256.FusedMultiplyAdd(Vector256.Sqrt(v2), scale, epsilon);
                Vector256<float> d3 = Vector256.FusedMultiplyAdd(Vector256.Sqrt(v3), scale, epsilon);
                Vector256.FusedMultiplyAdd(step, m0 / d0, Vector256.LoadUnsafe(ref p, i)).StoreUnsafe(ref p, i);
                Vector256.FusedMultiplyAdd(step, m1 / d1, Vector256.LoadUnsafe(ref p, i + w)).StoreUnsafe(ref p, i + w);
                Vector256.FusedMultiplyAdd(step, m2 / d2, Vector256.LoadUnsafe(ref p, i + (2 * w))).StoreUnsafe(ref p, i + (2 * w));
                Vector256.FusedMultiplyAdd(step, m3 / d3, Vector256.LoadUnsafe(ref p, i + (3 * w))).StoreUnsafe(ref p, i + (3 * w));
            }

            for (; i + w <= length; i += w)
            {
                Vector256<float> g0 = Vector256.LoadUnsafe(ref g, i);
                Vector256<float> m0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, i), beta1, g0 * oneMinusBeta1);
                Vector256<float> v0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, i), beta2, g0 * g0 * oneMinusBeta2);
                m0.StoreUnsafe(ref m, i);
                v0.StoreUnsafe(ref v, i);
                Vector256<float> d0 = Vector256.FusedMultiplyAdd(Vector256.Sqrt(v0), scale, epsilon);
                Vector256.FusedMultiplyAdd(step, m0 / d0, Vector256.LoadUnsafe(ref p, i)).StoreUnsafe(ref p, i);
            }
        }

        for (; i < length; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            float mi = MathF.FusedMultiplyAdd(Unsafe.Add(ref m, i), Hyper.Beta1, gi * (1 - Hyper.Beta1));
            float vi = MathF.FusedMultiplyAdd(Unsafe.Add(ref v, i), Hyper.Beta2, gi * gi * (1 - Hyper.Beta2));
            Unsafe.Add(ref m, i) = mi;
            Unsafe.Add(ref v, i) = vi;
            float di = MathF.FusedMultiplyAdd(MathF.Sqrt(vi), inverseBiasCorrection2Sqrt, Hyper.Epsilon);
            Unsafe.Add(ref p, i) = MathF.FusedMultiplyAdd(negativeStepSize, mi / di, Unsafe.Add(ref p, i));
        }
    }
}
