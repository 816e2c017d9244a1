using System;
using System.Collections.Generic;
using System.Linq;

namespace OptGen.Benchmarks;

/// <summary>
/// Before anything is timed: every baseline must compute the same rule as the generated optimizer. Three steps (each
/// with its own gradients) from the same start, on a length with a vector tail and on one that the generated step
/// splits over threads; compares the parameters and every state buffer.
/// </summary>
public static class SelfCheck
{
    /// <summary>Largest relative difference of parameters or state allowed after three steps.</summary>
    public const double Tolerance = 1e-4;

    private delegate void StepFunction(float[] p, float[] g, float[][] state, long t);

    /// <summary>Runs every check, prints one line per pair; false if any differs too much.</summary>
    public static bool Run(Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        bool ok = true;
        foreach (int length in new[] { 1_037, 300_007 })
        {
            foreach (SuiteRule rule in Hyper.Rules)
            {
                (float[] p0, float[][] gradients) = Inputs(length);
                (float[] reference, float[][] referenceState) = RunGenerated(rule, p0, gradients);
                foreach ((string name, StepFunction step) in Baselines(rule, length))
                {
                    (float[] p, float[][] state) = RunBaseline(step, referenceState.Length, p0, gradients);
                    double parameterError = MaxRelative(p, reference);
                    double updateError = UpdateError(p, reference, p0);
                    double stateError = 0;
                    for (int s = 0; s < state.Length; s++)
                    {
                        stateError = Math.Max(stateError, MaxRelative(state[s], referenceState[s]));
                    }

                    bool pass = parameterError < Tolerance && stateError < Tolerance && updateError < 10 * Tolerance;
                    ok &= pass;
                    log($"  {(pass ? "ok  " : "FAIL")} {Hyper.Name(rule),-12} {name,-32} n={length,-7} " +
                        $"max |diff| / max |value|: parameters {parameterError:0.0e+0}, state {stateError:0.0e+0}; max |diff| / largest update {updateError:0.0e+0}");
                }
            }
        }

        ok &= CheckRoofline(log);
        ok &= CheckElementRules(log);
        return ok;
    }

    /// <summary>The [ElementRule] rules are timed as the presets' equals: they must compute the presets' bits.</summary>
    private static bool CheckElementRules(Action<string> log)
    {
        bool ok = true;
        foreach ((SuiteRule custom, SuiteRule preset) in new[] { (SuiteRule.CustomLion, SuiteRule.Lion), (SuiteRule.CustomAdamax, SuiteRule.Adamax) })
        {
            (float[] p0, float[][] gradients) = Inputs(10_007);
            (float[] expected, float[][] expectedState) = RunGenerated(preset, p0, gradients);
            (float[] actual, float[][] actualState) = RunGenerated(custom, p0, gradients);
            bool same = expected.AsSpan().SequenceEqual(actual) && expectedState.Length == actualState.Length
                && expectedState.Zip(actualState).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));
            ok &= same;
            log($"  {(same ? "ok  " : "FAIL")} {Hyper.Name(custom)} equals {Hyper.Name(preset)} bit for bit (n=10,007, 3 steps)");
        }

        return ok;
    }

    private static (float[] P0, float[][] Gradients) Inputs(int length)
    {
        var p0 = new float[length];
        TestData.Fill(p0, 101, -1f, 1f);
        var gradients = new float[3][];
        for (int k = 0; k < 3; k++)
        {
            gradients[k] = new float[length];
            TestData.Fill(gradients[k], (uint)(102 + k), -0.5f, 0.5f);
        }

        return (p0, gradients);
    }

    private static (float[] P, float[][] State) RunGenerated(SuiteRule rule, float[] p0, float[][] gradients)
    {
        IOptimizer<float> optimizer = Hyper.CreateGenerated(rule, p0.Length, Environment.ProcessorCount);
        float[] p = (float[])p0.Clone();
        foreach (float[] g in gradients)
        {
            optimizer.Step(p, g);
        }

        var state = new float[optimizer.StateBufferNames.Count][];
        for (int s = 0; s < state.Length; s++)
        {
            state[s] = optimizer.GetStateBuffer(s).ToArray();
        }

        return (p, state);
    }

    private static (float[] P, float[][] State) RunBaseline(StepFunction step, int stateCount, float[] p0, float[][] gradients)
    {
        float[] p = (float[])p0.Clone();
        var state = new float[stateCount][];
        for (int s = 0; s < stateCount; s++)
        {
            state[s] = new float[p0.Length];
        }

        for (int k = 0; k < gradients.Length; k++)
        {
            step(p, gradients[k], state, k + 1);
        }

        return (p, state);
    }

    private static List<(string Name, StepFunction Step)> Baselines(SuiteRule rule, int length)
    {
        var tmp = new float[length];
        var list = new List<(string, StepFunction)>();
        switch (rule)
        {
            case SuiteRule.Adam:
            case SuiteRule.AdamW:
                bool decoupled = rule == SuiteRule.AdamW;
                list.Add((Impl.Scalar, (p, g, s, t) => ScalarLoops.Adam(p, g, s[0], s[1], t, decoupled)));
                list.Add((Impl.TensorPrimitives, (p, g, s, t) => TensorPrimitivesRules.Adam(p, g, s[0], s[1], tmp, t, decoupled)));
                if (!decoupled)
                {
                    list.Add((Impl.Expert, (p, g, s, t) => ExpertAdam.Step(p, g, s[0], s[1], t)));
                }

                break;
            case SuiteRule.RmsProp:
                list.Add((Impl.Scalar, (p, g, s, t) => ScalarLoops.RmsProp(p, g, s[0])));
                list.Add((Impl.TensorPrimitives, (p, g, s, t) => TensorPrimitivesRules.RmsProp(p, g, s[0], tmp)));
                break;
            case SuiteRule.AdaGrad:
                list.Add((Impl.Scalar, (p, g, s, t) => ScalarLoops.AdaGrad(p, g, s[0])));
                list.Add((Impl.TensorPrimitives, (p, g, s, t) => TensorPrimitivesRules.AdaGrad(p, g, s[0], tmp)));
                break;
            case SuiteRule.SgdMomentum:
                list.Add((Impl.Scalar, (p, g, s, t) => ScalarLoops.SgdMomentum(p, g, s[0], t)));
                list.Add((Impl.TensorPrimitives, (p, g, s, t) => TensorPrimitivesRules.SgdMomentum(p, g, s[0], t)));
                break;
            default:
                break; // the roster's rules are checked against PyTorch by the test suite; the suite times no baseline of them
        }

        return list;
    }

    /// <summary>
    /// max |a − b| / max |b|: the largest difference relative to the array's magnitude (elementwise ratios would blow
    /// up wherever a value happens to cancel to nearly zero, e.g. a first moment of gradients of opposite signs).
    /// </summary>
    private static double MaxRelative(float[] a, float[] b)
    {
        double worst = 0, largest = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (!float.IsFinite(a[i]) || !float.IsFinite(b[i]))
            {
                return double.PositiveInfinity;
            }

            worst = Math.Max(worst, Math.Abs((double)a[i] - b[i]));
            largest = Math.Max(largest, Math.Abs((double)b[i]));
        }

        return largest > 0 ? worst / largest : worst;
    }

    /// <summary>
    /// max |a − b| over the largest |b − p₀|: how far the updates differ, measured against the size of the updates
    /// themselves (a check that a difference in the update cannot hide behind the parameters' magnitude).
    /// </summary>
    private static double UpdateError(float[] a, float[] b, float[] p0)
    {
        double worst = 0, largest = 0;
        for (int i = 0; i < a.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)a[i] - b[i]));
            largest = Math.Max(largest, Math.Abs((double)b[i] - p0[i]));
        }

        return largest > 0 ? worst / largest : double.PositiveInfinity;
    }

    private static bool CheckRoofline(Action<string> log)
    {
        const int length = 300_007;
        bool ok = true;
        foreach (bool four in new[] { true, false })
        {
            var roofline = new Roofline(length, four, Environment.ProcessorCount);
            roofline.Step();
            roofline.Step();
            (float[] a, float[] d, float[] b, float[] c) = roofline.Snapshot();
            bool pass = true;
            for (int i = 0; i < length; i++)
            {
                float expected = d[i] + d[i];
                pass &= a[i] == expected && b[i] == expected && (!four || c[i] == expected);
            }

            ok &= pass;
            log($"  {(pass ? "ok  " : "FAIL")} Roofline ({(four ? "4" : "3")} streams, {Environment.ProcessorCount} threads): every element updated twice");
        }

        return ok;
    }
}
