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

/// <summary>The five rules the suite measures.</summary>
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
    public static IReadOnlyList<SuiteRule> Rules { get; } = [SuiteRule.Adam, SuiteRule.AdamW, SuiteRule.RmsProp, SuiteRule.AdaGrad, SuiteRule.SgdMomentum];

    /// <summary>The rule's name in the JSON.</summary>
    public static string Name(SuiteRule rule) => rule switch
    {
        SuiteRule.Adam => "Adam",
        SuiteRule.AdamW => "AdamW",
        SuiteRule.RmsProp => "RMSprop",
        SuiteRule.AdaGrad => "AdaGrad",
        SuiteRule.SgdMomentum => "SGD momentum",
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };

    /// <summary>Float arrays the rule streams: parameters, gradients and the state buffers.</summary>
    public static int Streams(SuiteRule rule) => rule is SuiteRule.Adam or SuiteRule.AdamW ? 4 : 3;

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
