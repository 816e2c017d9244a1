using System;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace OptGen.Benchmarks;

/// <summary>
/// Each rule composed from System.Numerics.Tensors.TensorPrimitives calls: what a .NET user writes without OptGen.
/// Every call is a vectorised pass over whole arrays; a temporary of the parameters' length (allocated once, by the
/// caller) holds intermediate results. The same order of operations as PyTorch's single-tensor code.
/// </summary>
public static class TensorPrimitivesRules
{
    /// <summary>Adam step <paramref name="t"/>; AdamW when <paramref name="decoupledWeightDecay"/> is set. 10 (11) passes.</summary>
    public static void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> tmp, long t, bool decoupledWeightDecay)
    {
        double lr = Hyper.AdamLearningRate;
        float stepSize = (float)(lr / (1 - Math.Pow(Hyper.Beta1, t)));
        float biasCorrection2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Hyper.Beta2, t));
        if (decoupledWeightDecay)
        {
            TP.Multiply(p, (float)(1 - (lr * Hyper.AdamWWeightDecay)), p);
        }

        TP.Multiply(m, Hyper.Beta1, m);                       // m = β₁m
        TP.MultiplyAdd(g, 1 - Hyper.Beta1, m, m);             // m += (1 − β₁)g
        TP.Multiply(v, Hyper.Beta2, v);                       // v = β₂v
        TP.Multiply(g, g, tmp);                               // g²
        TP.MultiplyAdd(tmp, 1 - Hyper.Beta2, v, v);           // v += (1 − β₂)g²
        TP.Sqrt(v, tmp);                                      // √v
        TP.Divide(tmp, biasCorrection2Sqrt, tmp);             // √v / √(1 − β₂ᵗ)
        TP.Add(tmp, Hyper.Epsilon, tmp);                      // + ε
        TP.Divide(m, tmp, tmp);                               // m / denominator
        TP.MultiplyAdd(tmp, -stepSize, p, p);                 // p −= stepSize · m / denominator
    }

    /// <summary>RMSprop. 7 passes.</summary>
    public static void RmsProp(Span<float> p, ReadOnlySpan<float> g, Span<float> squareAvg, Span<float> tmp)
    {
        TP.Multiply(squareAvg, Hyper.RmsAlpha, squareAvg);
        TP.Multiply(g, g, tmp);
        TP.MultiplyAdd(tmp, 1 - Hyper.RmsAlpha, squareAvg, squareAvg);
        TP.Sqrt(squareAvg, tmp);
        TP.Add(tmp, Hyper.Epsilon, tmp);
        TP.Divide(g, tmp, tmp);
        TP.MultiplyAdd(tmp, -Hyper.RmsLearningRate, p, p);
    }

    /// <summary>Adagrad. 5 passes.</summary>
    public static void AdaGrad(Span<float> p, ReadOnlySpan<float> g, Span<float> sum, Span<float> tmp)
    {
        TP.MultiplyAdd(g, g, sum, sum);                       // sum += g²
        TP.Sqrt(sum, tmp);
        TP.Add(tmp, Hyper.AdaGradEpsilon, tmp);
        TP.Divide(g, tmp, tmp);
        TP.MultiplyAdd(tmp, -Hyper.AdaGradLearningRate, p, p);
    }

    /// <summary>SGD with momentum step <paramref name="t"/>. 2 passes.</summary>
    public static void SgdMomentum(Span<float> p, ReadOnlySpan<float> g, Span<float> buffer, long t)
    {
        if (t == 1)
        {
            g.CopyTo(buffer);
        }
        else
        {
            TP.MultiplyAdd(buffer, Hyper.Momentum, g, buffer); // b = μb + g
        }

        TP.MultiplyAdd(buffer, -Hyper.SgdLearningRate, p, p); // p −= lr·b
    }
}
