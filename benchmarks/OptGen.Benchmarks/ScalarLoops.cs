using System;

namespace OptGen.Benchmarks;

/// <summary>
/// Each rule as a plain for-loop (over spans, indexed: bounds-checked like arrays), in PyTorch 1.13's order of
/// operations (single-tensor CPU code): what a C# user writes first. Per-step scalars are computed once per step; the
/// JIT is left to vectorise (it does not).
/// </summary>
public static class ScalarLoops
{
    /// <summary>Adam step <paramref name="t"/> (1-based); AdamW when <paramref name="decoupledWeightDecay"/> is set.</summary>
    public static void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, long t, bool decoupledWeightDecay)
    {
        const float beta1 = Hyper.Beta1, beta2 = Hyper.Beta2, epsilon = Hyper.Epsilon;
        double lr = Hyper.AdamLearningRate;
        float stepSize = (float)(lr / (1 - Math.Pow(beta1, t)));
        float biasCorrection2Sqrt = (float)Math.Sqrt(1 - Math.Pow(beta2, t));
        float decay = (float)(1 - (lr * Hyper.AdamWWeightDecay));
        if (decoupledWeightDecay)
        {
            for (int i = 0; i < p.Length; i++)
            {
                p[i] *= decay;
            }
        }

        for (int i = 0; i < p.Length; i++)
        {
            m[i] = (beta1 * m[i]) + ((1 - beta1) * g[i]);
            v[i] = (beta2 * v[i]) + ((1 - beta2) * g[i] * g[i]);
            p[i] -= stepSize * m[i] / ((MathF.Sqrt(v[i]) / biasCorrection2Sqrt) + epsilon);
        }
    }

    /// <summary>RMSprop (no momentum, not centred).</summary>
    public static void RmsProp(Span<float> p, ReadOnlySpan<float> g, Span<float> squareAvg)
    {
        const float alpha = Hyper.RmsAlpha, epsilon = Hyper.Epsilon, lr = Hyper.RmsLearningRate;
        for (int i = 0; i < p.Length; i++)
        {
            squareAvg[i] = (alpha * squareAvg[i]) + ((1 - alpha) * g[i] * g[i]);
            p[i] -= lr * g[i] / (MathF.Sqrt(squareAvg[i]) + epsilon);
        }
    }

    /// <summary>Adagrad (no lr decay).</summary>
    public static void AdaGrad(Span<float> p, ReadOnlySpan<float> g, Span<float> sum)
    {
        const float epsilon = Hyper.AdaGradEpsilon, lr = Hyper.AdaGradLearningRate;
        for (int i = 0; i < p.Length; i++)
        {
            sum[i] += g[i] * g[i];
            p[i] -= lr * g[i] / (MathF.Sqrt(sum[i]) + epsilon);
        }
    }

    /// <summary>SGD with momentum step <paramref name="t"/>: the buffer is the gradient on the first step.</summary>
    public static void SgdMomentum(Span<float> p, ReadOnlySpan<float> g, Span<float> buffer, long t)
    {
        const float momentum = Hyper.Momentum, lr = Hyper.SgdLearningRate;
        if (t == 1)
        {
            for (int i = 0; i < p.Length; i++)
            {
                buffer[i] = g[i];
                p[i] -= lr * buffer[i];
            }

            return;
        }

        for (int i = 0; i < p.Length; i++)
        {
            buffer[i] = (momentum * buffer[i]) + g[i];
            p[i] -= lr * buffer[i];
        }
    }
}
