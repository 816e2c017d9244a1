using System;
using System.Collections.Generic;

namespace OptGen.Tests.PyTorch;

// Adamax, Adadelta, RAdam and Lion written as [ElementRule] methods instead of presets, one class per fixture config and
// element type. Each body repeats its preset's operations (generator/OptGen.Generator/Rules) in the same order and
// precision, so that the generated step reproduces PyTorch 1.13 bit for bit:
// - hyperparameters are double consts, as PyTorch's Python floats; the element constants are those values rounded to
//   the element type, with 1 − β computed in double first (as torch converts the Python float 1 − β);
// - per-step values (bias corrections, step sizes, RAdam's ρₜ and rectification) are computed in double from
//   step.Number and step.LearningRate and rounded to the element type once;
// - where PyTorch fuses (add_ with alpha, addcmul_), the body uses FusedMultiplyAdd with the same operands;
// - PyTorch's coupled L2 weight decay (g + λ·p) is written in the body, after Maximize has negated the gradient;
//   decoupled weight decay (RAdam's decoupled_weight_decay, Lion's) is the [WeightDecay] attribute.

/// <summary>Adamax as an [ElementRule] rule: PyTorch's AdamaxDefault config over float elements.</summary>
[Optimizer(LearningRate = 2e-3)]
internal sealed partial class CustomAdamaxDefaultSingle
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expInf, StepContext step)
    {
        float m = MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        float u = MathF.Max(expInf * B2, MathF.Abs(gradient) + Eps);
        expAvg = m;
        expInf = u;
        float negativeStepSize = (float)(-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
        parameter += negativeStepSize * m / u;
    }
}

/// <summary>Adamax as an [ElementRule] rule: PyTorch's AdamaxBetasEps config over float elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomAdamaxBetasEpsSingle
{
    const double Beta1 = 0.8, Beta2 = 0.99, Epsilon = 1e-6;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expInf, StepContext step)
    {
        float m = MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        float u = MathF.Max(expInf * B2, MathF.Abs(gradient) + Eps);
        expAvg = m;
        expInf = u;
        float negativeStepSize = (float)(-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
        parameter += negativeStepSize * m / u;
    }
}

/// <summary>Adamax as an [ElementRule] rule: PyTorch's AdamaxWeightDecay config over float elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomAdamaxWeightDecaySingle
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, Lambda = 0.05;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, Eps = (float)Epsilon, L2 = (float)Lambda;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expInf, StepContext step)
    {
        float g = MathF.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p
        float m = MathF.FusedMultiplyAdd(g, OneMinusB1, expAvg * B1);
        float u = MathF.Max(expInf * B2, MathF.Abs(g) + Eps);
        expAvg = m;
        expInf = u;
        float negativeStepSize = (float)(-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
        parameter += negativeStepSize * m / u;
    }
}

/// <summary>Adamax as an [ElementRule] rule: PyTorch's AdamaxMaximize config over float elements.</summary>
[Optimizer(LearningRate = 0.01, Maximize = true)]
internal sealed partial class CustomAdamaxMaximizeSingle
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, Lambda = 0.01;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, Eps = (float)Epsilon, L2 = (float)Lambda;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expInf, StepContext step)
    {
        float g = MathF.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p
        float m = MathF.FusedMultiplyAdd(g, OneMinusB1, expAvg * B1);
        float u = MathF.Max(expInf * B2, MathF.Abs(g) + Eps);
        expAvg = m;
        expInf = u;
        float negativeStepSize = (float)(-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
        parameter += negativeStepSize * m / u;
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaDefault config over float elements.</summary>
[Optimizer(LearningRate = 1.0)]
internal sealed partial class CustomAdadeltaDefaultSingle
{
    const double Rho = 0.9, Epsilon = 1e-6;
    const float R = (float)Rho, OneMinusR = (float)(1 - Rho), Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float squareAvg, ref float accDelta, StepContext step)
    {
        float squareAverage = MathF.FusedMultiplyAdd(OneMinusR * gradient, gradient, squareAvg * R);
        float std = MathF.Sqrt(squareAverage + Eps);
        float delta = MathF.Sqrt(accDelta + Eps) / std * gradient;
        squareAvg = squareAverage;
        accDelta = MathF.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = MathF.FusedMultiplyAdd(delta, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaRhoEps config over float elements.</summary>
[Optimizer(LearningRate = 0.5)]
internal sealed partial class CustomAdadeltaRhoEpsSingle
{
    const double Rho = 0.95, Epsilon = 1e-5;
    const float R = (float)Rho, OneMinusR = (float)(1 - Rho), Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float squareAvg, ref float accDelta, StepContext step)
    {
        float squareAverage = MathF.FusedMultiplyAdd(OneMinusR * gradient, gradient, squareAvg * R);
        float std = MathF.Sqrt(squareAverage + Eps);
        float delta = MathF.Sqrt(accDelta + Eps) / std * gradient;
        squareAvg = squareAverage;
        accDelta = MathF.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = MathF.FusedMultiplyAdd(delta, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaRhoZero config over float elements.</summary>
[Optimizer(LearningRate = 0.1)]
internal sealed partial class CustomAdadeltaRhoZeroSingle
{
    const double Rho = 0.0, Epsilon = 1e-6;
    const float R = (float)Rho, OneMinusR = (float)(1 - Rho), Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float squareAvg, ref float accDelta, StepContext step)
    {
        float squareAverage = MathF.FusedMultiplyAdd(OneMinusR * gradient, gradient, squareAvg * R);
        float std = MathF.Sqrt(squareAverage + Eps);
        float delta = MathF.Sqrt(accDelta + Eps) / std * gradient;
        squareAvg = squareAverage;
        accDelta = MathF.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = MathF.FusedMultiplyAdd(delta, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaRhoOne config over float elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomAdadeltaRhoOneSingle
{
    const double Rho = 1.0, Epsilon = 1e-6;
    const float R = (float)Rho, OneMinusR = (float)(1 - Rho), Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float squareAvg, ref float accDelta, StepContext step)
    {
        float squareAverage = MathF.FusedMultiplyAdd(OneMinusR * gradient, gradient, squareAvg * R);
        float std = MathF.Sqrt(squareAverage + Eps);
        float delta = MathF.Sqrt(accDelta + Eps) / std * gradient;
        squareAvg = squareAverage;
        accDelta = MathF.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = MathF.FusedMultiplyAdd(delta, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaWeightDecay config over float elements.</summary>
[Optimizer(LearningRate = 1.0)]
internal sealed partial class CustomAdadeltaWeightDecaySingle
{
    const double Rho = 0.9, Epsilon = 1e-6, Lambda = 0.1;
    const float R = (float)Rho, OneMinusR = (float)(1 - Rho), Eps = (float)Epsilon, L2 = (float)Lambda;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float squareAvg, ref float accDelta, StepContext step)
    {
        float g = MathF.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p
        float squareAverage = MathF.FusedMultiplyAdd(OneMinusR * g, g, squareAvg * R);
        float std = MathF.Sqrt(squareAverage + Eps);
        float delta = MathF.Sqrt(accDelta + Eps) / std * g;
        squareAvg = squareAverage;
        accDelta = MathF.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = MathF.FusedMultiplyAdd(delta, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaMaximize config over float elements.</summary>
[Optimizer(LearningRate = 0.5, Maximize = true)]
internal sealed partial class CustomAdadeltaMaximizeSingle
{
    const double Rho = 0.9, Epsilon = 1e-6, Lambda = 0.01;
    const float R = (float)Rho, OneMinusR = (float)(1 - Rho), Eps = (float)Epsilon, L2 = (float)Lambda;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float squareAvg, ref float accDelta, StepContext step)
    {
        float g = MathF.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p
        float squareAverage = MathF.FusedMultiplyAdd(OneMinusR * g, g, squareAvg * R);
        float std = MathF.Sqrt(squareAverage + Eps);
        float delta = MathF.Sqrt(accDelta + Eps) / std * g;
        squareAvg = squareAverage;
        accDelta = MathF.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = MathF.FusedMultiplyAdd(delta, (float)-step.LearningRate, parameter);
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamDefault config over float elements.</summary>
[Optimizer(LearningRate = 1e-3)]
internal sealed partial class CustomRAdamDefaultSingle
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2), Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, StepContext step)
    {
        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        float m = MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        float v = MathF.FusedMultiplyAdd(OneMinusB2 * gradient, gradient, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        float update = m / (float)biasCorrection1 * (float)step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (MathF.Sqrt(v) + Eps) * (float)Math.Sqrt(biasCorrection2)) * (float)rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamBetasEps config over float elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomRAdamBetasEpsSingle
{
    const double Beta1 = 0.8, Beta2 = 0.99, Epsilon = 1e-6;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2), Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, StepContext step)
    {
        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        float m = MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        float v = MathF.FusedMultiplyAdd(OneMinusB2 * gradient, gradient, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        float update = m / (float)biasCorrection1 * (float)step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (MathF.Sqrt(v) + Eps) * (float)Math.Sqrt(biasCorrection2)) * (float)rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamNeverRectified config over float elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomRAdamNeverRectifiedSingle
{
    const double Beta1 = 0.5, Beta2 = 0.6, Epsilon = 1e-8;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2), Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, StepContext step)
    {
        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        float m = MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        float v = MathF.FusedMultiplyAdd(OneMinusB2 * gradient, gradient, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        float update = m / (float)biasCorrection1 * (float)step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (MathF.Sqrt(v) + Eps) * (float)Math.Sqrt(biasCorrection2)) * (float)rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamWeightDecay config over float elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomRAdamWeightDecaySingle
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, Lambda = 0.02;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2), Eps = (float)Epsilon, L2 = (float)Lambda;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, StepContext step)
    {
        float g = MathF.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p

        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        float m = MathF.FusedMultiplyAdd(g, OneMinusB1, expAvg * B1);
        float v = MathF.FusedMultiplyAdd(OneMinusB2 * g, g, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        float update = m / (float)biasCorrection1 * (float)step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (MathF.Sqrt(v) + Eps) * (float)Math.Sqrt(biasCorrection2)) * (float)rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamDecoupledWeightDecay config over float elements.</summary>
[Optimizer(LearningRate = 0.01)]
[WeightDecay(0.1)]
internal sealed partial class CustomRAdamDecoupledWeightDecaySingle
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2), Eps = (float)Epsilon;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, StepContext step)
    {
        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        float m = MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        float v = MathF.FusedMultiplyAdd(OneMinusB2 * gradient, gradient, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        float update = m / (float)biasCorrection1 * (float)step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (MathF.Sqrt(v) + Eps) * (float)Math.Sqrt(biasCorrection2)) * (float)rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamMaximize config over float elements.</summary>
[Optimizer(LearningRate = 0.01, Maximize = true)]
internal sealed partial class CustomRAdamMaximizeSingle
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, Lambda = 0.01;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2), Eps = (float)Epsilon, L2 = (float)Lambda;

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, ref float expAvgSq, StepContext step)
    {
        float g = MathF.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p

        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        float m = MathF.FusedMultiplyAdd(g, OneMinusB1, expAvg * B1);
        float v = MathF.FusedMultiplyAdd(OneMinusB2 * g, g, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        float update = m / (float)biasCorrection1 * (float)step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (MathF.Sqrt(v) + Eps) * (float)Math.Sqrt(biasCorrection2)) * (float)rectification;
        }

        parameter -= update;
    }
}

/// <summary>Lion as an [ElementRule] rule: the LionDefault config over float elements.</summary>
[Optimizer(LearningRate = 1e-4)]
internal sealed partial class CustomLionDefaultSingle
{
    const double Beta1 = 0.9, Beta2 = 0.99;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2);

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)
    {
        float direction = RuleMath.Sign(MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1));
        expAvg = MathF.FusedMultiplyAdd(gradient, OneMinusB2, expAvg * B2);
        parameter = MathF.FusedMultiplyAdd(direction, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Lion as an [ElementRule] rule: the LionBetas config over float elements.</summary>
[Optimizer(LearningRate = 1e-3)]
internal sealed partial class CustomLionBetasSingle
{
    const double Beta1 = 0.95, Beta2 = 0.98;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2);

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)
    {
        float direction = RuleMath.Sign(MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1));
        expAvg = MathF.FusedMultiplyAdd(gradient, OneMinusB2, expAvg * B2);
        parameter = MathF.FusedMultiplyAdd(direction, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Lion as an [ElementRule] rule: the LionWeightDecay config over float elements.</summary>
[Optimizer(LearningRate = 1e-3)]
[WeightDecay(0.1)]
internal sealed partial class CustomLionWeightDecaySingle
{
    const double Beta1 = 0.9, Beta2 = 0.99;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2);

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)
    {
        float direction = RuleMath.Sign(MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1));
        expAvg = MathF.FusedMultiplyAdd(gradient, OneMinusB2, expAvg * B2);
        parameter = MathF.FusedMultiplyAdd(direction, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Lion as an [ElementRule] rule: the LionMaximize config over float elements.</summary>
[Optimizer(LearningRate = 3e-4, Maximize = true)]
[WeightDecay(0.01)]
internal sealed partial class CustomLionMaximizeSingle
{
    const double Beta1 = 0.9, Beta2 = 0.99;
    const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = (float)Beta2, OneMinusB2 = (float)(1 - Beta2);

    [ElementRule]
    static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)
    {
        float direction = RuleMath.Sign(MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1));
        expAvg = MathF.FusedMultiplyAdd(gradient, OneMinusB2, expAvg * B2);
        parameter = MathF.FusedMultiplyAdd(direction, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Adamax as an [ElementRule] rule: PyTorch's AdamaxDefault config over double elements.</summary>
[Optimizer(LearningRate = 2e-3)]
internal sealed partial class CustomAdamaxDefaultDouble
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expInf, StepContext step)
    {
        double m = Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        double u = Math.Max(expInf * B2, Math.Abs(gradient) + Eps);
        expAvg = m;
        expInf = u;
        double negativeStepSize = (-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
        parameter += negativeStepSize * m / u;
    }
}

/// <summary>Adamax as an [ElementRule] rule: PyTorch's AdamaxBetasEps config over double elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomAdamaxBetasEpsDouble
{
    const double Beta1 = 0.8, Beta2 = 0.99, Epsilon = 1e-6;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expInf, StepContext step)
    {
        double m = Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        double u = Math.Max(expInf * B2, Math.Abs(gradient) + Eps);
        expAvg = m;
        expInf = u;
        double negativeStepSize = (-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
        parameter += negativeStepSize * m / u;
    }
}

/// <summary>Adamax as an [ElementRule] rule: PyTorch's AdamaxWeightDecay config over double elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomAdamaxWeightDecayDouble
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, Lambda = 0.05;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, Eps = Epsilon, L2 = Lambda;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expInf, StepContext step)
    {
        double g = Math.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p
        double m = Math.FusedMultiplyAdd(g, OneMinusB1, expAvg * B1);
        double u = Math.Max(expInf * B2, Math.Abs(g) + Eps);
        expAvg = m;
        expInf = u;
        double negativeStepSize = (-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
        parameter += negativeStepSize * m / u;
    }
}

/// <summary>Adamax as an [ElementRule] rule: PyTorch's AdamaxMaximize config over double elements.</summary>
[Optimizer(LearningRate = 0.01, Maximize = true)]
internal sealed partial class CustomAdamaxMaximizeDouble
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, Lambda = 0.01;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, Eps = Epsilon, L2 = Lambda;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expInf, StepContext step)
    {
        double g = Math.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p
        double m = Math.FusedMultiplyAdd(g, OneMinusB1, expAvg * B1);
        double u = Math.Max(expInf * B2, Math.Abs(g) + Eps);
        expAvg = m;
        expInf = u;
        double negativeStepSize = (-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
        parameter += negativeStepSize * m / u;
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaDefault config over double elements.</summary>
[Optimizer(LearningRate = 1.0)]
internal sealed partial class CustomAdadeltaDefaultDouble
{
    const double Rho = 0.9, Epsilon = 1e-6;
    const double R = Rho, OneMinusR = 1 - Rho, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double squareAvg, ref double accDelta, StepContext step)
    {
        double squareAverage = Math.FusedMultiplyAdd(OneMinusR * gradient, gradient, squareAvg * R);
        double std = Math.Sqrt(squareAverage + Eps);
        double delta = Math.Sqrt(accDelta + Eps) / std * gradient;
        squareAvg = squareAverage;
        accDelta = Math.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = Math.FusedMultiplyAdd(delta, -step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaRhoEps config over double elements.</summary>
[Optimizer(LearningRate = 0.5)]
internal sealed partial class CustomAdadeltaRhoEpsDouble
{
    const double Rho = 0.95, Epsilon = 1e-5;
    const double R = Rho, OneMinusR = 1 - Rho, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double squareAvg, ref double accDelta, StepContext step)
    {
        double squareAverage = Math.FusedMultiplyAdd(OneMinusR * gradient, gradient, squareAvg * R);
        double std = Math.Sqrt(squareAverage + Eps);
        double delta = Math.Sqrt(accDelta + Eps) / std * gradient;
        squareAvg = squareAverage;
        accDelta = Math.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = Math.FusedMultiplyAdd(delta, -step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaRhoZero config over double elements.</summary>
[Optimizer(LearningRate = 0.1)]
internal sealed partial class CustomAdadeltaRhoZeroDouble
{
    const double Rho = 0.0, Epsilon = 1e-6;
    const double R = Rho, OneMinusR = 1 - Rho, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double squareAvg, ref double accDelta, StepContext step)
    {
        double squareAverage = Math.FusedMultiplyAdd(OneMinusR * gradient, gradient, squareAvg * R);
        double std = Math.Sqrt(squareAverage + Eps);
        double delta = Math.Sqrt(accDelta + Eps) / std * gradient;
        squareAvg = squareAverage;
        accDelta = Math.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = Math.FusedMultiplyAdd(delta, -step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaRhoOne config over double elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomAdadeltaRhoOneDouble
{
    const double Rho = 1.0, Epsilon = 1e-6;
    const double R = Rho, OneMinusR = 1 - Rho, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double squareAvg, ref double accDelta, StepContext step)
    {
        double squareAverage = Math.FusedMultiplyAdd(OneMinusR * gradient, gradient, squareAvg * R);
        double std = Math.Sqrt(squareAverage + Eps);
        double delta = Math.Sqrt(accDelta + Eps) / std * gradient;
        squareAvg = squareAverage;
        accDelta = Math.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = Math.FusedMultiplyAdd(delta, -step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaWeightDecay config over double elements.</summary>
[Optimizer(LearningRate = 1.0)]
internal sealed partial class CustomAdadeltaWeightDecayDouble
{
    const double Rho = 0.9, Epsilon = 1e-6, Lambda = 0.1;
    const double R = Rho, OneMinusR = 1 - Rho, Eps = Epsilon, L2 = Lambda;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double squareAvg, ref double accDelta, StepContext step)
    {
        double g = Math.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p
        double squareAverage = Math.FusedMultiplyAdd(OneMinusR * g, g, squareAvg * R);
        double std = Math.Sqrt(squareAverage + Eps);
        double delta = Math.Sqrt(accDelta + Eps) / std * g;
        squareAvg = squareAverage;
        accDelta = Math.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = Math.FusedMultiplyAdd(delta, -step.LearningRate, parameter);
    }
}

/// <summary>Adadelta as an [ElementRule] rule: PyTorch's AdadeltaMaximize config over double elements.</summary>
[Optimizer(LearningRate = 0.5, Maximize = true)]
internal sealed partial class CustomAdadeltaMaximizeDouble
{
    const double Rho = 0.9, Epsilon = 1e-6, Lambda = 0.01;
    const double R = Rho, OneMinusR = 1 - Rho, Eps = Epsilon, L2 = Lambda;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double squareAvg, ref double accDelta, StepContext step)
    {
        double g = Math.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p
        double squareAverage = Math.FusedMultiplyAdd(OneMinusR * g, g, squareAvg * R);
        double std = Math.Sqrt(squareAverage + Eps);
        double delta = Math.Sqrt(accDelta + Eps) / std * g;
        squareAvg = squareAverage;
        accDelta = Math.FusedMultiplyAdd(OneMinusR * delta, delta, accDelta * R);
        parameter = Math.FusedMultiplyAdd(delta, -step.LearningRate, parameter);
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamDefault config over double elements.</summary>
[Optimizer(LearningRate = 1e-3)]
internal sealed partial class CustomRAdamDefaultDouble
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expAvgSq, StepContext step)
    {
        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        double m = Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        double v = Math.FusedMultiplyAdd(OneMinusB2 * gradient, gradient, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        double update = m / biasCorrection1 * step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (Math.Sqrt(v) + Eps) * Math.Sqrt(biasCorrection2)) * rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamBetasEps config over double elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomRAdamBetasEpsDouble
{
    const double Beta1 = 0.8, Beta2 = 0.99, Epsilon = 1e-6;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expAvgSq, StepContext step)
    {
        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        double m = Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        double v = Math.FusedMultiplyAdd(OneMinusB2 * gradient, gradient, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        double update = m / biasCorrection1 * step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (Math.Sqrt(v) + Eps) * Math.Sqrt(biasCorrection2)) * rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamNeverRectified config over double elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomRAdamNeverRectifiedDouble
{
    const double Beta1 = 0.5, Beta2 = 0.6, Epsilon = 1e-8;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expAvgSq, StepContext step)
    {
        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        double m = Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        double v = Math.FusedMultiplyAdd(OneMinusB2 * gradient, gradient, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        double update = m / biasCorrection1 * step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (Math.Sqrt(v) + Eps) * Math.Sqrt(biasCorrection2)) * rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamWeightDecay config over double elements.</summary>
[Optimizer(LearningRate = 0.01)]
internal sealed partial class CustomRAdamWeightDecayDouble
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, Lambda = 0.02;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2, Eps = Epsilon, L2 = Lambda;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expAvgSq, StepContext step)
    {
        double g = Math.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p

        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        double m = Math.FusedMultiplyAdd(g, OneMinusB1, expAvg * B1);
        double v = Math.FusedMultiplyAdd(OneMinusB2 * g, g, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        double update = m / biasCorrection1 * step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (Math.Sqrt(v) + Eps) * Math.Sqrt(biasCorrection2)) * rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamDecoupledWeightDecay config over double elements.</summary>
[Optimizer(LearningRate = 0.01)]
[WeightDecay(0.1)]
internal sealed partial class CustomRAdamDecoupledWeightDecayDouble
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2, Eps = Epsilon;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expAvgSq, StepContext step)
    {
        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        double m = Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        double v = Math.FusedMultiplyAdd(OneMinusB2 * gradient, gradient, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        double update = m / biasCorrection1 * step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (Math.Sqrt(v) + Eps) * Math.Sqrt(biasCorrection2)) * rectification;
        }

        parameter -= update;
    }
}

/// <summary>RAdam as an [ElementRule] rule: PyTorch's RAdamMaximize config over double elements.</summary>
[Optimizer(LearningRate = 0.01, Maximize = true)]
internal sealed partial class CustomRAdamMaximizeDouble
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, Lambda = 0.01;
    const double RhoInfinity = 2 / (1 - Beta2) - 1;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2, Eps = Epsilon, L2 = Lambda;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, ref double expAvgSq, StepContext step)
    {
        double g = Math.FusedMultiplyAdd(parameter, L2, gradient); // PyTorch's coupled L2 weight decay: g + λ·p

        // Per step, in double as PyTorch's Python floats; rectification is NaN on the steps that do not use it.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step.Number);
        double beta2Power = Math.Pow(Beta2, step.Number);
        double biasCorrection2 = 1 - beta2Power;
        double rho = RhoInfinity - 2.0 * step.Number * beta2Power / biasCorrection2;
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * RhoInfinity / ((RhoInfinity - 4) * (RhoInfinity - 2) * rho));

        double m = Math.FusedMultiplyAdd(g, OneMinusB1, expAvg * B1);
        double v = Math.FusedMultiplyAdd(OneMinusB2 * g, g, expAvgSq * B2);
        expAvg = m;
        expAvgSq = v;
        double update = m / biasCorrection1 * step.LearningRate;
        if (rho > 5)
        {
            // PyTorch evaluates √bc₂ / (√v + ε) as reciprocal(√v + ε)·√bc₂.
            update = update * (1 / (Math.Sqrt(v) + Eps) * Math.Sqrt(biasCorrection2)) * rectification;
        }

        parameter -= update;
    }
}

/// <summary>Lion as an [ElementRule] rule: the LionDefault config over double elements.</summary>
[Optimizer(LearningRate = 1e-4)]
internal sealed partial class CustomLionDefaultDouble
{
    const double Beta1 = 0.9, Beta2 = 0.99;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, StepContext step)
    {
        double direction = RuleMath.Sign(Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1));
        expAvg = Math.FusedMultiplyAdd(gradient, OneMinusB2, expAvg * B2);
        parameter = Math.FusedMultiplyAdd(direction, -step.LearningRate, parameter);
    }
}

/// <summary>Lion as an [ElementRule] rule: the LionBetas config over double elements.</summary>
[Optimizer(LearningRate = 1e-3)]
internal sealed partial class CustomLionBetasDouble
{
    const double Beta1 = 0.95, Beta2 = 0.98;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, StepContext step)
    {
        double direction = RuleMath.Sign(Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1));
        expAvg = Math.FusedMultiplyAdd(gradient, OneMinusB2, expAvg * B2);
        parameter = Math.FusedMultiplyAdd(direction, -step.LearningRate, parameter);
    }
}

/// <summary>Lion as an [ElementRule] rule: the LionWeightDecay config over double elements.</summary>
[Optimizer(LearningRate = 1e-3)]
[WeightDecay(0.1)]
internal sealed partial class CustomLionWeightDecayDouble
{
    const double Beta1 = 0.9, Beta2 = 0.99;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, StepContext step)
    {
        double direction = RuleMath.Sign(Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1));
        expAvg = Math.FusedMultiplyAdd(gradient, OneMinusB2, expAvg * B2);
        parameter = Math.FusedMultiplyAdd(direction, -step.LearningRate, parameter);
    }
}

/// <summary>Lion as an [ElementRule] rule: the LionMaximize config over double elements.</summary>
[Optimizer(LearningRate = 3e-4, Maximize = true)]
[WeightDecay(0.01)]
internal sealed partial class CustomLionMaximizeDouble
{
    const double Beta1 = 0.9, Beta2 = 0.99;
    const double B1 = Beta1, OneMinusB1 = 1 - Beta1, B2 = Beta2, OneMinusB2 = 1 - Beta2;

    [ElementRule]
    static void Update(ref double parameter, double gradient, ref double expAvg, StepContext step)
    {
        double direction = RuleMath.Sign(Math.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1));
        expAvg = Math.FusedMultiplyAdd(gradient, OneMinusB2, expAvg * B2);
        parameter = Math.FusedMultiplyAdd(direction, -step.LearningRate, parameter);
    }
}

internal static class CustomRuleOptimizers
{
    /// <summary>The fixture configs (Fixtures/PyTorch/*.bin) these classes reproduce.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "AdamaxDefault",
        "AdamaxBetasEps",
        "AdamaxWeightDecay",
        "AdamaxMaximize",
        "AdadeltaDefault",
        "AdadeltaRhoEps",
        "AdadeltaRhoZero",
        "AdadeltaRhoOne",
        "AdadeltaWeightDecay",
        "AdadeltaMaximize",
        "RAdamDefault",
        "RAdamBetasEps",
        "RAdamNeverRectified",
        "RAdamWeightDecay",
        "RAdamDecoupledWeightDecay",
        "RAdamMaximize",
        "LionDefault",
        "LionBetas",
        "LionWeightDecay",
        "LionMaximize",
    ];

    public static IOptimizer<float> CreateSingle(string name, int length) => name switch
    {
        "AdamaxDefault" => new CustomAdamaxDefaultSingle(length),
        "AdamaxBetasEps" => new CustomAdamaxBetasEpsSingle(length),
        "AdamaxWeightDecay" => new CustomAdamaxWeightDecaySingle(length),
        "AdamaxMaximize" => new CustomAdamaxMaximizeSingle(length),
        "AdadeltaDefault" => new CustomAdadeltaDefaultSingle(length),
        "AdadeltaRhoEps" => new CustomAdadeltaRhoEpsSingle(length),
        "AdadeltaRhoZero" => new CustomAdadeltaRhoZeroSingle(length),
        "AdadeltaRhoOne" => new CustomAdadeltaRhoOneSingle(length),
        "AdadeltaWeightDecay" => new CustomAdadeltaWeightDecaySingle(length),
        "AdadeltaMaximize" => new CustomAdadeltaMaximizeSingle(length),
        "RAdamDefault" => new CustomRAdamDefaultSingle(length),
        "RAdamBetasEps" => new CustomRAdamBetasEpsSingle(length),
        "RAdamNeverRectified" => new CustomRAdamNeverRectifiedSingle(length),
        "RAdamWeightDecay" => new CustomRAdamWeightDecaySingle(length),
        "RAdamDecoupledWeightDecay" => new CustomRAdamDecoupledWeightDecaySingle(length),
        "RAdamMaximize" => new CustomRAdamMaximizeSingle(length),
        "LionDefault" => new CustomLionDefaultSingle(length),
        "LionBetas" => new CustomLionBetasSingle(length),
        "LionWeightDecay" => new CustomLionWeightDecaySingle(length),
        "LionMaximize" => new CustomLionMaximizeSingle(length),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No [ElementRule] optimizer for this fixture config."),
    };

    public static IOptimizer<double> CreateDouble(string name, int length) => name switch
    {
        "AdamaxDefault" => new CustomAdamaxDefaultDouble(length),
        "AdamaxBetasEps" => new CustomAdamaxBetasEpsDouble(length),
        "AdamaxWeightDecay" => new CustomAdamaxWeightDecayDouble(length),
        "AdamaxMaximize" => new CustomAdamaxMaximizeDouble(length),
        "AdadeltaDefault" => new CustomAdadeltaDefaultDouble(length),
        "AdadeltaRhoEps" => new CustomAdadeltaRhoEpsDouble(length),
        "AdadeltaRhoZero" => new CustomAdadeltaRhoZeroDouble(length),
        "AdadeltaRhoOne" => new CustomAdadeltaRhoOneDouble(length),
        "AdadeltaWeightDecay" => new CustomAdadeltaWeightDecayDouble(length),
        "AdadeltaMaximize" => new CustomAdadeltaMaximizeDouble(length),
        "RAdamDefault" => new CustomRAdamDefaultDouble(length),
        "RAdamBetasEps" => new CustomRAdamBetasEpsDouble(length),
        "RAdamNeverRectified" => new CustomRAdamNeverRectifiedDouble(length),
        "RAdamWeightDecay" => new CustomRAdamWeightDecayDouble(length),
        "RAdamDecoupledWeightDecay" => new CustomRAdamDecoupledWeightDecayDouble(length),
        "RAdamMaximize" => new CustomRAdamMaximizeDouble(length),
        "LionDefault" => new CustomLionDefaultDouble(length),
        "LionBetas" => new CustomLionBetasDouble(length),
        "LionWeightDecay" => new CustomLionWeightDecayDouble(length),
        "LionMaximize" => new CustomLionMaximizeDouble(length),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No [ElementRule] optimizer for this fixture config."),
    };
}
