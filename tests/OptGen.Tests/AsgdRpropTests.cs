using System;
using System.IO;
using System.Linq;

namespace OptGen.Tests;

/// <summary>
/// What PyTorch's trajectories alone do not show: when ASGD and Rprop read the learning rate, their state's names, and
/// that Reset and checkpoints keep ASGD's per-step scalars η and μ and Rprop's first-step initialisation.
/// </summary>
public sealed class AsgdRpropTests
{
    [Fact]
    public void Rprop_takes_its_step_sizes_from_the_rate_of_the_first_step_only()
    {
        // The first step: every g·prev is 0, so each step size is the learning rate and p moves by it against sign(g).
        var optimizer = new TestRpropDouble(3) { BaseLearningRate = 0.04 };
        double[] parameters = [1, 1, 1];
        optimizer.Step(parameters, [2, -3, 0]);
        Assert.Equal(["prev", "step_size"], optimizer.StateBufferNames);
        Assert.Equal([0.04, 0.04, 0.04], optimizer.StepSize.ToArray());
        Assert.Equal([1 - 0.04, 1 + 0.04, 1], parameters);

        // Later rates change nothing (PyTorch 1.13 reads lr only when it creates the state): the same gradients under
        // another rate give the same bits as under the first.
        var other = new TestRpropDouble(3) { BaseLearningRate = 0.04 };
        double[] otherParameters = [1, 1, 1];
        other.Step(otherParameters, [2, -3, 0]);
        other.BaseLearningRate = 0.5;
        foreach (double[] gradients in new[] { new double[] { 1, 3, 1 }, [-1, 3, 1], [-1, -3, 1] })
        {
            optimizer.Step(parameters, gradients);
            other.Step(otherParameters, gradients);
        }

        Assert.Equal(parameters, otherParameters);
        Assert.Equal(optimizer.StepSize.ToArray(), other.StepSize.ToArray());

        // By hand (η⁺ = 1.2, η⁻ = 0.5, sizes clamped to [1e-3, 0.05]), g·prev per step and element:
        // step 2: 2, −9, 0 → ×1.2, ×0.5 (g zeroed, so prev = 0), ×1; step 3: −1, 0, 1 → ×0.5 (zeroed), ×1, ×1.2;
        // step 4: 0, −9, 1 → ×1, ×0.5, ×1.2 = 0.0576, clamped to 0.05.
        Assert.Equal([0.04 * 1.2 * 0.5, 0.04 * 0.5 * 0.5, 0.05], optimizer.StepSize.ToArray());

        // Reset starts over: the next step is a first step again, with the rate set now.
        optimizer.Reset();
        optimizer.BaseLearningRate = 0.003;
        optimizer.Step(parameters, [1, 1, 1]);
        Assert.Equal([0.003, 0.003, 0.003], optimizer.StepSize.ToArray());
    }

    [Fact]
    public void Asgd_keeps_eta_and_mu_in_float32_updates_them_after_use_and_averages_after_the_start_step()
    {
        // TestAsgd: lr 0.05, λ = 1e-3, α = 0.75, t₀ = 1.
        var optimizer = new TestAsgd(2);
        Assert.Equal(["ax"], optimizer.StateBufferNames);
        Assert.Equal((double)0.05f, optimizer.Eta);
        Assert.Equal(1.0, optimizer.Mu);
        float[] parameters = [1f, -2f];
        float[][] gradients = [[0.5f, 0.25f], [-1f, 1f], [0.5f, 0.5f], [2f, -1f], [1f, 1f]];
        for (int t = 1; t <= gradients.Length; t++)
        {
            double muUsed = optimizer.Mu;
            float[] averageBefore = optimizer.Ax.ToArray();
            optimizer.Step(parameters, gradients[t - 1]);

            // After step t: η = lr/(1 + λ·lr·t)^α and μ = 1/max(1, t − t₀), each rounded to float32 as PyTorch's tensors.
            Assert.Equal((double)(float)(0.05 / Math.Pow(1 + (1e-3 * 0.05 * t), 0.75)), optimizer.Eta);
            Assert.Equal((double)(float)(1 / Math.Max(1, t - 1.0)), optimizer.Mu);

            // ax copies p while the μ of the step is 1 (through step t₀ + 2 = 3), then averages.
            float[] expected = muUsed == 1
                ? parameters
                : averageBefore.Zip(parameters, (a, p) => a + ((p - a) * (float)muUsed)).ToArray();
            Assert.Equal(expected, optimizer.Ax.ToArray());
            Assert.Equal(t >= 4, !optimizer.Ax.SequenceEqual(parameters));
        }
    }

    [Fact]
    public void Asgd_checkpoints_and_resets_eta_and_mu()
    {
        var optimizer = new TestAsgd(3);
        float[] parameters = [1f, 2f, 3f];
        for (int t = 0; t < 6; t++)
        {
            optimizer.Step(parameters, [0.1f * t, -0.2f, 0.3f]);
        }

        using var checkpoint = new MemoryStream();
        optimizer.SaveCheckpoint(checkpoint);
        var restored = new TestAsgd(3);
        checkpoint.Position = 0;
        restored.LoadCheckpoint(checkpoint);
        Assert.Equal(optimizer.Eta, restored.Eta);
        Assert.Equal(optimizer.Mu, restored.Mu);
        Assert.Equal(optimizer.Ax.ToArray(), restored.Ax.ToArray());

        float[] continued = (float[])parameters.Clone();
        optimizer.Step(parameters, [1f, 1f, 1f]);
        restored.Step(continued, [1f, 1f, 1f]);
        Assert.Equal(parameters, continued);
        Assert.Equal(optimizer.Ax.ToArray(), restored.Ax.ToArray());

        optimizer.Reset();
        Assert.Equal((double)0.05f, optimizer.Eta);
        Assert.Equal(1.0, optimizer.Mu);
        Assert.All(optimizer.Ax.ToArray(), x => Assert.Equal(0f, x));
    }
}
