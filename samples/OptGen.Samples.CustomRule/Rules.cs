using System;
using OptGen;

namespace OptGen.Samples.CustomRule;

// Update rules that OptGen has no preset for, each written as one [ElementRule] method: the update of one element,
// in plain C#. The generator translates the method into the same fused SIMD step as the presets, and the method stays
// ordinary C# that can be called (and is, by the tests) as the rule's reference. Each learning rate is the one of the
// sweep this sample runs (half a decade apart) with the best test accuracy, ties going to the lower training loss
// (README.md); the other hyperparameters are the papers' defaults unless a comment says otherwise.

/// <summary>
/// AdaBelief (Zhuang et al., 2020, Algorithm 1), without its optional rectification: Adam whose second moment is the
/// EMA of (g − m)², the "belief" in the gradient, rather than of g². β = 0.9, 0.999 and ε = 1e-16 as in the paper's code.
/// </summary>
[Optimizer(LearningRate = 3.16e-3)]
internal sealed partial class AdaBelief
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-16f;

    [ElementRule]
    private static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgVar, StepContext step)
    {
        float m = expAvg * Beta1 + gradient * (1 - Beta1);
        float deviation = gradient - m;
        float s = expAvgVar * Beta2 + deviation * deviation * (1 - Beta2) + Epsilon;
        expAvg = m;
        expAvgVar = s;

        // Per-step values (computed once per step): the bias corrections and the step size.
        float stepSize = (float)(step.LearningRate / (1 - Math.Pow(Beta1, step.Number)));
        float correction2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Beta2, step.Number));
        parameter -= stepSize * m / (MathF.Sqrt(s) / correction2Sqrt + Epsilon);
    }
}

/// <summary>
/// Adan (Xie et al., 2022, Algorithm 1, in the form of the authors' PyTorch code): Nesterov momentum estimated from
/// the difference of successive gradients, which needs the previous gradient as a fourth state. β = 0.98, 0.92, 0.99
/// (the paper's 0.02, 0.08, 0.01 as "1 − β"), ε = 1e-8, and its proximal weight decay 0.02:
/// p ← (p − lr·u) / (1 + lr·λ).
/// </summary>
[Optimizer(LearningRate = 1e-2)]
internal sealed partial class Adan
{
    private const float Beta1 = 0.98f, Beta2 = 0.92f, Beta3 = 0.99f, Epsilon = 1e-8f, WeightDecay = 0.02f;

    [ElementRule]
    private static void Update(
        ref float parameter, float gradient, ref float expAvg, ref float expAvgDiff, ref float expAvgSq, ref float previousGradient, StepContext step)
    {
        // The first step has no previous gradient: the difference is 0 (the reference code sets g₀ = g₁).
        float difference = gradient - previousGradient;
        if (step.Number == 1)
        {
            difference = 0f;
        }

        float m = expAvg * Beta1 + gradient * (1 - Beta1);
        float v = expAvgDiff * Beta2 + difference * (1 - Beta2);
        float nesterov = gradient + difference * Beta2;
        float n = expAvgSq * Beta3 + nesterov * nesterov * (1 - Beta3);
        expAvg = m;
        expAvgDiff = v;
        expAvgSq = n;
        previousGradient = gradient;

        // Per-step values: the bias corrections as factors, so that each element divides once.
        float scale1 = (float)(1 / (1 - Math.Pow(Beta1, step.Number)));
        float scale2 = (float)(Beta2 / (1 - Math.Pow(Beta2, step.Number)));
        float scale3 = (float)(1 / Math.Sqrt(1 - Math.Pow(Beta3, step.Number)));
        float update = (m * scale1 + v * scale2) / (MathF.Sqrt(n) * scale3 + Epsilon);
        float learningRate = (float)step.LearningRate;
        float shrink = (float)(1 / (1 + step.LearningRate * WeightDecay));
        parameter = (parameter - learningRate * update) * shrink;
    }
}

/// <summary>
/// AdEMAMix (Pagliardini et al., 2024, Algorithm 1): Adam whose numerator mixes the usual fast EMA of the gradient with
/// a slow one, m̂₁ + α·m₂. β = 0.9, 0.999, ε = 1e-8 and α = 5 as in the paper; the paper's warm-up schedulers for α
/// and β₃ are left out (both fixed from the first step), and β₃ = 0.999 instead of 0.9999, whose memory of about
/// 10,000 steps would outlast this 1,150-step run.
/// </summary>
[Optimizer(LearningRate = 3.16e-2)]
internal sealed partial class AdEMAMix
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Beta3 = 0.999f, Alpha = 5f, Epsilon = 1e-8f;

    [ElementRule]
    private static void Update(ref float parameter, float gradient, ref float expAvgFast, ref float expAvgSlow, ref float expAvgSq, StepContext step)
    {
        float fast = expAvgFast * Beta1 + gradient * (1 - Beta1);
        float slow = expAvgSlow * Beta3 + gradient * (1 - Beta3);
        float sq = expAvgSq * Beta2 + gradient * gradient * (1 - Beta2);
        expAvgFast = fast;
        expAvgSlow = slow;
        expAvgSq = sq;

        float correction1 = (float)(1 - Math.Pow(Beta1, step.Number));
        float correction2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Beta2, step.Number));
        parameter -= (float)step.LearningRate * (fast / correction1 + Alpha * slow) / (MathF.Sqrt(sq) / correction2Sqrt + Epsilon);
    }
}

/// <summary>
/// Sophia's clipped update (Liu et al., 2023), without its Hessian estimate: p ← p − lr·clip(m / max(ρ·h, ε), 1), where
/// the paper's h, an EMA of a diagonal Hessian estimate refreshed every 10 steps, is stood in for by an EMA of squared
/// gradients (Gauss–Newton-like, but not Sophia's estimator). β = 0.965, 0.99, ε = 1e-15 and decoupled weight decay
/// 0.1 as in the paper's code; ρ is tuned for this stand-in.
/// </summary>
[Optimizer(LearningRate = 1e-3)]
[WeightDecay(0.1)]
internal sealed partial class SophiaClip
{
    private const float Beta1 = 0.965f, Beta2 = 0.99f, Rho = 0.04f, Epsilon = 1e-15f;

    [ElementRule]
    private static void Update(ref float parameter, float gradient, ref float expAvg, ref float hessian, StepContext step)
    {
        float m = expAvg * Beta1 + gradient * (1 - Beta1);
        float h = hessian * Beta2 + gradient * gradient * (1 - Beta2);
        expAvg = m;
        hessian = h;
        parameter -= (float)step.LearningRate * Math.Clamp(m / MathF.Max(Rho * h, Epsilon), -1f, 1f);
    }
}

/// <summary>The Adam preset at PyTorch's defaults (β = 0.9, 0.999, ε = 1e-8) but the rate, tuned as the others' (PyTorch's is 1e-3).</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 3.16e-2)]
internal sealed partial class PresetAdam;

/// <summary>The AdamW preset at PyTorch's defaults (Adam plus decoupled weight decay 0.01) but the rate, tuned as the others'.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 3.16e-2)]
internal sealed partial class PresetAdamW;
