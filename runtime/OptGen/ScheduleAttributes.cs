using System;

// Compiled into the runtime library (namespace OptGen) and, linked, into the generator (OptGen.Generator.Contracts),
// so that the generator reads rules, options and defaults from the one definition users compile against.
#if OPTGEN_GENERATOR
namespace OptGen.Generator.Contracts;
#else
namespace OptGen;
#endif

// Learning-rate schedules. Step k (k = 0, 1, 2, ... counting Step calls) uses the rate PyTorch's scheduler gives after
// k calls of scheduler.step(); lr₀ is the optimizer's base learning rate. At most one decay schedule per class; a
// [LinearWarmup] may precede it (the decay then starts after the warm-up, as SequentialLR with milestone W).

/// <summary>How <see cref="OneCycleAttribute"/> anneals between its phases.</summary>
public enum AnnealStrategy
{
    /// <summary>Cosine annealing (PyTorch's <c>anneal_strategy='cos'</c>), the default.</summary>
    Cosine,

    /// <summary>Linear annealing (<c>anneal_strategy='linear'</c>).</summary>
    Linear,
}

/// <summary>Whether <see cref="ReduceOnPlateauAttribute"/> watches a metric that should go down or up.</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (a loss), the default.</summary>
    Minimize,

    /// <summary>Higher is better (an accuracy).</summary>
    Maximize,
}

/// <summary>How <see cref="ReduceOnPlateauAttribute.Threshold"/> decides that a metric improved.</summary>
public enum PlateauThresholdMode
{
    /// <summary>Better than best·(1 ∓ threshold) (PyTorch's <c>'rel'</c>), the default.</summary>
    Relative,

    /// <summary>Better than best ∓ threshold (<c>'abs'</c>).</summary>
    Absolute,
}

/// <summary><c>lr(k) = lr₀·γ^⌊k / StepSize⌋</c>, as PyTorch's <c>StepLR</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class StepDecayAttribute : Attribute
{
    /// <summary>Steps between decays, ≥ 1. Required.</summary>
    public int StepSize { get; set; }

    /// <summary>Decay factor γ in (0, 1]. Default 0.1.</summary>
    public double Gamma { get; set; } = 0.1;
}

/// <summary><c>lr(k) = lr₀·γ^(number of milestones ≤ k)</c>, as PyTorch's <c>MultiStepLR</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MultiStepDecayAttribute : Attribute
{
    /// <summary>Strictly increasing, positive step indices. Required.</summary>
    public int[]? Milestones { get; set; }

    /// <summary>Decay factor γ in (0, 1]. Default 0.1.</summary>
    public double Gamma { get; set; } = 0.1;
}

/// <summary>
/// <c>lr(k) = lr₀·γ^(k / DecaySteps)</c>, with <c>⌊k / DecaySteps⌋</c> when <see cref="Staircase"/>. With the default
/// DecaySteps = 1 this is PyTorch's <c>ExponentialLR</c>; DecaySteps and Staircase are Keras's and Optax's form.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ExponentialDecayAttribute : Attribute
{
    /// <summary>Decay factor γ per <see cref="DecaySteps"/> steps, in (0, 1]. Required.</summary>
    public double Gamma { get; set; }

    /// <summary>Steps over which the rate decays by γ, ≥ 1. Default 1.</summary>
    public int DecaySteps { get; set; } = 1;

    /// <summary>Decay in whole intervals (⌊k / DecaySteps⌋) instead of continuously. Default false.</summary>
    public bool Staircase { get; set; }
}

/// <summary>
/// <c>lr(k) = (lr₀ − end)·(1 − min(k, T)/T)^p + end</c>, as PyTorch's <c>PolynomialLR</c> (end = 0) and Keras/Optax's
/// polynomial decay.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class PolynomialDecayAttribute : Attribute
{
    /// <summary>Steps T over which the rate decays, ≥ 1. Default 5 (PyTorch's).</summary>
    public int TotalSteps { get; set; } = 5;

    /// <summary>Power p ≥ 0. Default 1 (linear).</summary>
    public double Power { get; set; } = 1;

    /// <summary>The rate from step T on, ≥ 0 and ≤ the base rate. Default 0.</summary>
    public double EndLearningRate { get; set; }
}

/// <summary>
/// <c>lr(k) = η + (lr₀ − η)·(1 + cos(π·k/T))/2</c>, the closed form of PyTorch's <c>CosineAnnealingLR</c> (periodic
/// past T, as PyTorch's).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class CosineDecayAttribute : Attribute
{
    /// <summary>Half-period T in steps (PyTorch's <c>T_max</c>), ≥ 1. Required.</summary>
    public int TotalSteps { get; set; }

    /// <summary>Minimum rate η (<c>eta_min</c>), ≥ 0 and ≤ the base rate. Default 0.</summary>
    public double MinLearningRate { get; set; }
}

/// <summary>
/// Cosine annealing with warm restarts, as PyTorch's <c>CosineAnnealingWarmRestarts</c>: within a period of Tᵢ steps,
/// <c>lr = η + (lr₀ − η)·(1 + cos(π·t/Tᵢ))/2</c>; periods are T₀, T₀·m, T₀·m², …
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class CosineWarmRestartsAttribute : Attribute
{
    /// <summary>Length T₀ of the first period (<c>T_0</c>), ≥ 1. Required.</summary>
    public int FirstPeriod { get; set; }

    /// <summary>Growth m of each period (<c>T_mult</c>), ≥ 1. Default 1.</summary>
    public int PeriodMultiplier { get; set; } = 1;

    /// <summary>Minimum rate η (<c>eta_min</c>), ≥ 0 and ≤ the base rate. Default 0.</summary>
    public double MinLearningRate { get; set; }
}

/// <summary>
/// The one-cycle policy, as PyTorch's <c>OneCycleLR</c> with the base rate as <c>max_lr</c>: from lr₀/InitialDivisor up
/// to lr₀ over the first WarmupFraction of TotalSteps, then down to lr₀/(InitialDivisor·FinalDivisor). Momentum is not
/// cycled (PyTorch's <c>cycle_momentum=False</c>). From step TotalSteps on (where PyTorch raises) the final rate holds.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class OneCycleAttribute : Attribute
{
    /// <summary>Steps in the cycle (<c>total_steps</c>), ≥ 2, with WarmupFraction·TotalSteps &gt; 1. Required.</summary>
    public int TotalSteps { get; set; }

    /// <summary>Fraction of the cycle spent increasing the rate (<c>pct_start</c>), in (0, 1). Default 0.3.</summary>
    public double WarmupFraction { get; set; } = 0.3;

    /// <summary>Cosine (default) or linear annealing (<c>anneal_strategy</c>).</summary>
    public AnnealStrategy Anneal { get; set; }

    /// <summary>Initial rate = lr₀ / InitialDivisor (<c>div_factor</c>), &gt; 0. Default 25.</summary>
    public double InitialDivisor { get; set; } = 25;

    /// <summary>Final rate = initial rate / FinalDivisor (<c>final_div_factor</c>), &gt; 0. Default 1e4.</summary>
    public double FinalDivisor { get; set; } = 1e4;

    /// <summary>Use PyTorch's three-phase variant (<c>three_phase=True</c>). Default false.</summary>
    public bool ThreePhase { get; set; }
}

/// <summary>
/// The Transformer's inverse square-root schedule, normalised to peak at the base rate:
/// <c>lr(k) = lr₀·min((k + 1)/W, √(W/(k + 1)))</c>: linear warm-up over W steps, then ∝ 1/√step.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InverseSquareRootDecayAttribute : Attribute
{
    /// <summary>Warm-up steps W, ≥ 1. Required.</summary>
    public int WarmupSteps { get; set; }
}

/// <summary>
/// <c>lr(k) = lr₀·(f + (1 − f)·min(k, W)/W)</c>, as PyTorch's <c>LinearLR(start_factor=f, end_factor=1, total_iters=W)</c>.
/// With a decay attribute, the decay starts after the warm-up with its own step count (SequentialLR, milestone W).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LinearWarmupAttribute : Attribute
{
    /// <summary>Warm-up steps W, ≥ 1. Default 5 (PyTorch's <c>total_iters</c>).</summary>
    public int Steps { get; set; } = 5;

    /// <summary>Start factor f in (0, 1]. Default 1/3 (PyTorch's).</summary>
    public double StartFactor { get; set; } = 1.0 / 3;
}

/// <summary>
/// Reduce the rate when a reported metric stops improving, as PyTorch's <c>ReduceLROnPlateau</c>: the generated class
/// gets <c>ReportMetric(double)</c>, to call once per evaluation (e.g. per epoch).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ReduceOnPlateauAttribute : Attribute
{
    /// <summary>Whether lower (default) or higher metrics are better.</summary>
    public PlateauMode Mode { get; set; }

    /// <summary>Factor the rate is multiplied by on a plateau, in (0, 1). Default 0.1.</summary>
    public double Factor { get; set; } = 0.1;

    /// <summary>Reports without improvement tolerated before reducing, ≥ 0. Default 10.</summary>
    public int Patience { get; set; } = 10;

    /// <summary>Minimum improvement that counts, ≥ 0 (and &lt; 1 when relative). Default 1e-4.</summary>
    public double Threshold { get; set; } = 1e-4;

    /// <summary>Relative (default) or absolute threshold.</summary>
    public PlateauThresholdMode ThresholdMode { get; set; }

    /// <summary>Reports to wait after a reduction before counting again, ≥ 0. Default 0.</summary>
    public int Cooldown { get; set; }

    /// <summary>Lower bound of the rate, ≥ 0 and ≤ the base rate. Default 0.</summary>
    public double MinLearningRate { get; set; }

    /// <summary>Reductions smaller than this are ignored (PyTorch's <c>eps</c>), ≥ 0. Default 1e-8.</summary>
    public double MinimumChange { get; set; } = 1e-8;
}
