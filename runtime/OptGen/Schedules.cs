using System;

namespace OptGen;

/// <summary>
/// Closed forms of the learning-rate schedules, called by generated optimizers once per step with their constants.
/// Step <c>k</c> (0, 1, 2, …) gets the rate PyTorch's scheduler gives after <c>k</c> calls of <c>scheduler.step()</c>;
/// PyTorch mostly computes these recursively, and the closed forms agree with it to about 1e-14 relative.
/// </summary>
public static class Schedules
{
    /// <summary><c>lr₀·γ^⌊k / stepSize⌋</c> (<c>StepLR</c>).</summary>
    public static double Step(double baseRate, long k, int stepSize, double gamma) =>
        baseRate * Math.Pow(gamma, k / stepSize);

    /// <summary><c>lr₀·γ^(milestones ≤ k)</c> (<c>MultiStepLR</c>); <paramref name="milestones"/> strictly increasing.</summary>
    public static double MultiStep(double baseRate, long k, double gamma, ReadOnlySpan<int> milestones)
    {
        int passed = 0;
        while (passed < milestones.Length && milestones[passed] <= k)
        {
            passed++;
        }

        return baseRate * Math.Pow(gamma, passed);
    }

    /// <summary><c>lr₀·γ^(k / decaySteps)</c>, or <c>γ^⌊k / decaySteps⌋</c> in staircase form (<c>ExponentialLR</c> when decaySteps = 1).</summary>
    public static double Exponential(double baseRate, long k, double gamma, int decaySteps, bool staircase) =>
        baseRate * Math.Pow(gamma, staircase ? k / decaySteps : (double)k / decaySteps);

    /// <summary><c>(lr₀ − end)·(1 − min(k, T)/T)^p + end</c> (<c>PolynomialLR</c> when end = 0).</summary>
    public static double Polynomial(double baseRate, long k, int totalSteps, double power, double endRate) =>
        ((baseRate - endRate) * Math.Pow(1.0 - ((double)Math.Min(k, totalSteps) / totalSteps), power)) + endRate;

    /// <summary><c>η + (lr₀ − η)·(1 + cos(π·k/T))/2</c> (<c>CosineAnnealingLR</c>, periodic past T as PyTorch's).</summary>
    public static double Cosine(double baseRate, long k, int totalSteps, double minRate) =>
        minRate + ((baseRate - minRate) * (1 + Math.Cos(Math.PI * k / totalSteps)) / 2);

    /// <summary>
    /// Cosine annealing restarted after periods T₀, T₀·m, T₀·m², … (<c>CosineAnnealingWarmRestarts</c>):
    /// <c>η + (lr₀ − η)·(1 + cos(π·t/Tᵢ))/2</c> with t the step within the current period Tᵢ.
    /// </summary>
    public static double CosineWarmRestarts(double baseRate, long k, int firstPeriod, int periodMultiplier, double minRate)
    {
        long position = k;
        long period = firstPeriod;
        if (periodMultiplier == 1)
        {
            position = k % firstPeriod;
        }
        else
        {
            // Periods grow geometrically, so this loop is short (at most 63 periods fit in a long).
            while (position >= period)
            {
                position -= period;
                if (period > long.MaxValue / periodMultiplier)
                {
                    // The next period is longer than any step count, so k lies in it; it is only needed as a double.
                    return CosineBetween(baseRate, minRate, position, (double)period * periodMultiplier);
                }

                period *= periodMultiplier;
            }
        }

        return CosineBetween(baseRate, minRate, position, period);
    }

    // π·t/T in this order, as PyTorch computes it.
    private static double CosineBetween(double baseRate, double minRate, double position, double period) =>
        minRate + ((baseRate - minRate) * (1 + Math.Cos(Math.PI * position / period)) / 2);

    /// <summary>
    /// The one-cycle policy (<c>OneCycleLR</c> with <c>max_lr</c> = lr₀, phases as PyTorch 1.13 computes them); from
    /// step T on, where PyTorch extrapolates for one more step and then raises, the final rate lr₀/(d·f) holds.
    /// </summary>
    public static double OneCycle(
        double maxRate, long k, int totalSteps, double warmupFraction, AnnealStrategy anneal, double initialDivisor, double finalDivisor, bool threePhase)
    {
        double initialRate = maxRate / initialDivisor;
        double finalRate = initialRate / finalDivisor;
        if (k >= totalSteps)
        {
            return finalRate;
        }

        // (end step, start rate, end rate) of each phase, as PyTorch's _schedule_phases.
        Span<(double End, double Start, double Stop)> phases = stackalloc (double, double, double)[3];
        int count;
        if (threePhase)
        {
            phases[0] = ((warmupFraction * totalSteps) - 1, initialRate, maxRate);
            phases[1] = ((2 * warmupFraction * totalSteps) - 2, maxRate, initialRate);
            phases[2] = (totalSteps - 1, initialRate, finalRate);
            count = 3;
        }
        else
        {
            phases[0] = ((warmupFraction * totalSteps) - 1, initialRate, maxRate);
            phases[1] = (totalSteps - 1, maxRate, finalRate);
            count = 2;
        }

        double phaseStart = 0;
        for (int i = 0; i < count; i++)
        {
            if (k <= phases[i].End || i == count - 1)
            {
                double fraction = (k - phaseStart) / (phases[i].End - phaseStart);
                return anneal == AnnealStrategy.Cosine
                    ? phases[i].Stop + ((phases[i].Start - phases[i].Stop) / 2.0 * (Math.Cos(Math.PI * fraction) + 1))
                    : ((phases[i].Stop - phases[i].Start) * fraction) + phases[i].Start;
            }

            phaseStart = phases[i].End;
        }

        return finalRate;
    }

    /// <summary><c>lr₀·min((k + 1)/W, √(W/(k + 1)))</c>: the Transformer's inverse square-root schedule, peaking at lr₀.</summary>
    public static double InverseSquareRoot(double baseRate, long k, int warmupSteps) =>
        baseRate * Math.Min((k + 1.0) / warmupSteps, Math.Sqrt(warmupSteps / (k + 1.0)));

    /// <summary><c>lr₀·(f + (1 − f)·min(k, W)/W)</c> (<c>LinearLR(start_factor=f, end_factor=1, total_iters=W)</c>).</summary>
    public static double LinearWarmup(double baseRate, long k, int steps, double startFactor) =>
        baseRate * (startFactor + ((1 - startFactor) * Math.Min(k, steps) / steps));
}
