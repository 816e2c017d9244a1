using System;
using System.Collections.Generic;

namespace OptGen.Benchmarks;

/// <summary>PyTorch's default Adam (lr 1e-3, β 0.9/0.999, ε 1e-8).</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 1e-3)]
public sealed partial class SuiteAdam;

/// <summary>PyTorch's default AdamW (lr 1e-3, β 0.9/0.999, ε 1e-8, decoupled weight decay 0.01).</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 1e-3)]
public sealed partial class SuiteAdamW;

/// <summary>PyTorch's default RMSprop (lr 1e-2, α 0.99, ε 1e-8).</summary>
[Optimizer(UpdateRule.RMSprop, LearningRate = 1e-2)]
public sealed partial class SuiteRmsProp;

/// <summary>PyTorch's default Adagrad (lr 1e-2, ε 1e-10, no lr decay, initial accumulator 0).</summary>
[Optimizer(UpdateRule.AdaGrad, LearningRate = 1e-2)]
public sealed partial class SuiteAdaGrad;

/// <summary>PyTorch's SGD with momentum 0.9 (lr 1e-3, no dampening, not Nesterov).</summary>
[Optimizer(UpdateRule.Sgd, LearningRate = 1e-3)]
[Momentum(0.9)]
public sealed partial class SuiteSgdMomentum;

/// <summary>PyTorch's default Adadelta (lr 1.0, ρ 0.9, ε 1e-6).</summary>
[Optimizer(UpdateRule.Adadelta)]
public sealed partial class SuiteAdadelta;

/// <summary>PyTorch's default Adamax (lr 2e-3, β 0.9/0.999, ε 1e-8).</summary>
[Optimizer(UpdateRule.Adamax)]
public sealed partial class SuiteAdamax;

/// <summary>PyTorch's default ASGD (lr 1e-2, λ 1e-4, α 0.75, t₀ 1e6).</summary>
[Optimizer(UpdateRule.Asgd)]
public sealed partial class SuiteAsgd;

/// <summary>PyTorch's default NAdam (lr 2e-3, β 0.9/0.999, ε 1e-8, momentum decay 4e-3).</summary>
[Optimizer(UpdateRule.NAdam)]
public sealed partial class SuiteNAdam;

/// <summary>PyTorch's default RAdam (lr 1e-3, β 0.9/0.999, ε 1e-8).</summary>
[Optimizer(UpdateRule.RAdam)]
public sealed partial class SuiteRAdam;

/// <summary>PyTorch's default Rprop (lr 1e-2, η 0.5/1.2, step sizes 1e-6 to 50).</summary>
[Optimizer(UpdateRule.Rprop)]
public sealed partial class SuiteRprop;

/// <summary>Lion at its paper's defaults (lr 1e-4, β 0.9/0.99).</summary>
[Optimizer(UpdateRule.Lion)]
public sealed partial class SuiteLion;

/// <summary>Schedule-Free AdamW at the reference's defaults (lr 2.5e-3, β 0.9/0.999, ε 1e-8).</summary>
[Optimizer(UpdateRule.ScheduleFreeAdamW)]
public sealed partial class SuiteScheduleFreeAdamW;

/// <summary>
/// Lion written as an <see cref="ElementRuleAttribute"/> method in the preset's order of operations (the same IR as
/// <see cref="SuiteLion"/>, so the same kernel): it must step as fast as the preset.
/// </summary>
[Optimizer(LearningRate = 1e-4)]
public sealed partial class SuiteCustomLion
{
    private const float Beta1 = 0.9f, OneMinusBeta1 = (float)(1 - 0.9), Beta2 = 0.99f, OneMinusBeta2 = (float)(1 - 0.99);

    [ElementRule]
    private static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)
    {
        float direction = RuleMath.Sign(MathF.FusedMultiplyAdd(gradient, OneMinusBeta1, expAvg * Beta1));
        expAvg = MathF.FusedMultiplyAdd(gradient, OneMinusBeta2, expAvg * Beta2);
        parameter = MathF.FusedMultiplyAdd(direction, (float)-step.LearningRate, parameter);
    }
}

/// <summary>Adamax written as an <see cref="ElementRuleAttribute"/> method in PyTorch's order of operations, as <see cref="SuiteAdamax"/>.</summary>
[Optimizer(LearningRate = 2e-3)]
public sealed partial class SuiteCustomAdamax
{
    private const double Beta1 = 0.9;
    private const float B1 = (float)Beta1, OneMinusB1 = (float)(1 - Beta1), B2 = 0.999f, Eps = 1e-8f;

    [ElementRule]
    private static void Update(ref float parameter, float gradient, ref float expAvg, ref float expInf, StepContext step)
    {
        float m = MathF.FusedMultiplyAdd(gradient, OneMinusB1, expAvg * B1);
        float u = MathF.Max(expInf * B2, MathF.Abs(gradient) + Eps);
        expAvg = m;
        expInf = u;
        float negativeStepSize = (float)(-(step.LearningRate / (1 - Math.Pow(Beta1, step.Number))));
        parameter += negativeStepSize * m / u;
    }
}

/// <summary>The rules the suite measures.</summary>
public enum SuiteRule
{
    /// <summary>Adam.</summary>
    Adam,

    /// <summary>AdamW.</summary>
    AdamW,

    /// <summary>RMSprop.</summary>
    RmsProp,

    /// <summary>AdaGrad.</summary>
    AdaGrad,

    /// <summary>SGD with momentum.</summary>
    SgdMomentum,

    /// <summary>Adadelta.</summary>
    Adadelta,

    /// <summary>Adamax.</summary>
    Adamax,

    /// <summary>ASGD.</summary>
    Asgd,

    /// <summary>NAdam.</summary>
    NAdam,

    /// <summary>RAdam.</summary>
    RAdam,

    /// <summary>Rprop.</summary>
    Rprop,

    /// <summary>Lion.</summary>
    Lion,

    /// <summary>Schedule-Free AdamW.</summary>
    ScheduleFreeAdamW,

    /// <summary>Lion written as an [ElementRule] method.</summary>
    CustomLion,

    /// <summary>Adamax written as an [ElementRule] method.</summary>
    CustomAdamax,
}

/// <summary>The hyperparameters every implementation of the suite uses (PyTorch's defaults), and per-rule facts.</summary>
public static class Hyper
{
    /// <summary>Adam/AdamW β₁.</summary>
    public const float Beta1 = 0.9f;

    /// <summary>Adam/AdamW β₂.</summary>
    public const float Beta2 = 0.999f;

    /// <summary>Adam/AdamW/RMSprop ε.</summary>
    public const float Epsilon = 1e-8f;

    /// <summary>Adam/AdamW learning rate.</summary>
    public const double AdamLearningRate = 1e-3;

    /// <summary>AdamW decoupled weight decay.</summary>
    public const double AdamWWeightDecay = 0.01;

    /// <summary>RMSprop α.</summary>
    public const float RmsAlpha = 0.99f;

    /// <summary>RMSprop learning rate.</summary>
    public const float RmsLearningRate = 1e-2f;

    /// <summary>Adagrad ε.</summary>
    public const float AdaGradEpsilon = 1e-10f;

    /// <summary>Adagrad learning rate.</summary>
    public const float AdaGradLearningRate = 1e-2f;

    /// <summary>SGD momentum μ.</summary>
    public const float Momentum = 0.9f;

    /// <summary>SGD learning rate.</summary>
    public const float SgdLearningRate = 1e-3f;

    /// <summary>All rules, in report order.</summary>
    public static IReadOnlyList<SuiteRule> Rules { get; } =
    [
        SuiteRule.Adam, SuiteRule.AdamW, SuiteRule.RmsProp, SuiteRule.AdaGrad, SuiteRule.SgdMomentum, SuiteRule.Adadelta, SuiteRule.Adamax,
        SuiteRule.Asgd, SuiteRule.NAdam, SuiteRule.RAdam, SuiteRule.Rprop, SuiteRule.Lion, SuiteRule.ScheduleFreeAdamW,
        SuiteRule.CustomLion, SuiteRule.CustomAdamax,
    ];

    /// <summary>Whether the suite has a scalar loop and a TensorPrimitives composition of the rule (the first five).</summary>
    public static bool HasBaselines(SuiteRule rule) => rule <= SuiteRule.SgdMomentum;

    /// <summary>The rule's name in the JSON.</summary>
    public static string Name(SuiteRule rule) => rule switch
    {
        SuiteRule.Adam => "Adam",
        SuiteRule.AdamW => "AdamW",
        SuiteRule.RmsProp => "RMSprop",
        SuiteRule.AdaGrad => "AdaGrad",
        SuiteRule.SgdMomentum => "SGD momentum",
        SuiteRule.Adadelta => "Adadelta",
        SuiteRule.Adamax => "Adamax",
        SuiteRule.Asgd => "ASGD",
        SuiteRule.NAdam => "NAdam",
        SuiteRule.RAdam => "RAdam",
        SuiteRule.Rprop => "Rprop",
        SuiteRule.Lion => "Lion",
        SuiteRule.ScheduleFreeAdamW => "Schedule-Free AdamW",
        SuiteRule.CustomLion => "Lion ([ElementRule])",
        SuiteRule.CustomAdamax => "Adamax ([ElementRule])",
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };

    /// <summary>Float arrays the rule streams: parameters, gradients and the state buffers.</summary>
    public static int Streams(SuiteRule rule) => rule switch
    {
        SuiteRule.RmsProp or SuiteRule.AdaGrad or SuiteRule.SgdMomentum or SuiteRule.Asgd or SuiteRule.Lion or SuiteRule.CustomLion => 3,
        _ => 4,
    };

    /// <summary>Bytes moved per parameter per step: every stream read, every stream but the gradients written.</summary>
    public static int BytesPerParameter(SuiteRule rule) => Streams(rule) == 4 ? 28 : 20;

    /// <summary>A new generated optimizer for the rule.</summary>
    public static IOptimizer<float> CreateGenerated(SuiteRule rule, int length, int threads)
    {
        IOptimizer<float> optimizer = rule switch
        {
            SuiteRule.Adam => new SuiteAdam(length),
            SuiteRule.AdamW => new SuiteAdamW(length),
            SuiteRule.RmsProp => new SuiteRmsProp(length),
            SuiteRule.AdaGrad => new SuiteAdaGrad(length),
            SuiteRule.SgdMomentum => new SuiteSgdMomentum(length),
            SuiteRule.Adadelta => new SuiteAdadelta(length),
            SuiteRule.Adamax => new SuiteAdamax(length),
            SuiteRule.Asgd => new SuiteAsgd(length),
            SuiteRule.NAdam => new SuiteNAdam(length),
            SuiteRule.RAdam => new SuiteRAdam(length),
            SuiteRule.Rprop => new SuiteRprop(length),
            SuiteRule.Lion => new SuiteLion(length),
            SuiteRule.ScheduleFreeAdamW => new SuiteScheduleFreeAdamW(length),
            SuiteRule.CustomLion => new SuiteCustomLion(length),
            SuiteRule.CustomAdamax => new SuiteCustomAdamax(length),
            _ => throw new ArgumentOutOfRangeException(nameof(rule)),
        };
        optimizer.ThreadCount = threads;
        return optimizer;
    }
}

/// <summary>The implementation names of the JSON.</summary>
public static class Impl
{
    /// <summary>The generated step.</summary>
    public const string Generated = "OptGen generated";

    /// <summary>A plain for-loop.</summary>
    public const string Scalar = "Scalar C# loop";

    /// <summary>Composed from TensorPrimitives calls.</summary>
    public const string TensorPrimitives = "TensorPrimitives";

    /// <summary>Hand-written fused Vector256 Adam.</summary>
    public const string Expert = "Expert Adam kernel (Vector256)";

    /// <summary>The STREAM-style memory kernel.</summary>
    public const string Roofline = "Roofline";

    /// <summary>The generated ranges driven by Parallel.For.</summary>
    public const string GeneratedParallelFor = "OptGen generated via Parallel.For";

    /// <summary>A ParameterStore of 200 tensors, one step.</summary>
    public const string StoreOf200 = "200 tensors, one store";

    /// <summary>One array of the same total length.</summary>
    public const string OneTensor = "Same total, one tensor";

    /// <summary>200 optimizers stepped in a loop.</summary>
    public const string Optimizers200 = "200 tensors, 200 optimizers";
}
