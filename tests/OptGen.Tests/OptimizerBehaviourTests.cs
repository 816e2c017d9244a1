using System;
using System.Linq;

namespace OptGen.Tests;

/// <summary>The generated members besides the kernel: validation, state access, reset, learning rate.</summary>
public sealed class OptimizerBehaviourTests
{
    [Fact]
    public void Defaults_come_from_the_attributes_and_PyTorch()
    {
        Assert.Equal(1e-2, new TestAdam(3).LearningRate);
        Assert.Equal(1e-3, new TestAdamWDouble(3).LearningRate);
        var adagrad = new TestAdaGrad(3);
        Assert.Equal(new[] { "sum" }, adagrad.StateBufferNames);
        Assert.All(adagrad.Sum.ToArray(), x => Assert.Equal(0.25f, x));
        Assert.Equal(new[] { "exp_avg", "exp_avg_sq", "max_exp_avg_sq" }, new TestAdam(1).StateBufferNames);
        Assert.Equal(new[] { "square_avg", "grad_avg", "momentum_buffer" }, new TestCenteredRmsProp(1).StateBufferNames);
    }

    [Theory]
    [InlineData(10, 9, "gradients")]
    [InlineData(9, 10, "parameters")]
    [InlineData(9, 9, "parameters")]
    public void Wrong_lengths_throw_naming_the_argument_and_change_nothing(int parameterCount, int gradientCount, string argument)
    {
        var optimizer = new TestAdam(10);
        float[] parameters = Enumerable.Range(0, 10).Select(i => (float)i).ToArray();
        optimizer.Step(parameters, Enumerable.Repeat(0.5f, 10).ToArray());
        float[] parametersBefore = parameters.ToArray();
        float[][] stateBefore = Enumerable.Range(0, 3).Select(i => optimizer.GetStateBuffer(i).ToArray()).ToArray();

        float[] wrongParameters = parameters.AsSpan(0, parameterCount).ToArray();
        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(wrongParameters, new float[gradientCount]));

        Assert.Equal(argument, exception.ParamName);
        Assert.Contains("10", exception.Message, StringComparison.Ordinal);
        Assert.Equal(1, optimizer.StepCount);
        Assert.Equal(parametersBefore.AsSpan(0, parameterCount).ToArray(), wrongParameters);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(stateBefore[i], optimizer.GetStateBuffer(i).ToArray());
        }
    }

    [Fact]
    public void Reset_restores_initial_state_and_step_count()
    {
        var optimizer = new TestAdaGrad(20);
        float[] parameters = new float[20];
        optimizer.Step(parameters, Enumerable.Repeat(1f, 20).ToArray());
        Assert.Equal(1, optimizer.StepCount);
        Assert.All(optimizer.Sum.ToArray(), x => Assert.Equal(1.25f, x));

        optimizer.Reset();

        Assert.Equal(0, optimizer.StepCount);
        Assert.All(optimizer.Sum.ToArray(), x => Assert.Equal(0.25f, x));
    }

    [Fact]
    public void Reset_then_replay_reproduces_the_same_trajectory()
    {
        var optimizer = new TestCenteredRmsProp(33);
        float[] first = Run(optimizer);
        optimizer.Reset();
        Assert.Equal(first, Run(optimizer));

        static float[] Run(TestCenteredRmsProp optimizer)
        {
            float[] parameters = Enumerable.Range(0, 33).Select(i => i / 10f).ToArray();
            for (int step = 1; step <= 4; step++)
            {
                optimizer.Step(parameters, parameters.Select(p => MathF.Sin(p * step)).ToArray());
            }

            return parameters;
        }
    }

    [Fact]
    public void State_buffers_are_writable_views()
    {
        var optimizer = new TestNesterov(4);
        optimizer.GetStateBuffer(0).Fill(2f);
        Assert.All(optimizer.MomentumBuffer.ToArray(), x => Assert.Equal(2f, x));
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.GetStateBuffer(1).Length);
    }

    [Fact]
    public void Base_learning_rate_is_settable_and_validated()
    {
        var optimizer = new TestAdam(1);
        optimizer.BaseLearningRate = 0.5;
        Assert.Equal(0.5, optimizer.LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.BaseLearningRate = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.BaseLearningRate = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.BaseLearningRate = double.PositiveInfinity);
        Assert.Equal(0.5, optimizer.LearningRate);
    }

    [Fact]
    public void Learning_rate_is_read_at_every_step()
    {
        // Nesterov SGD, first step with g = 1 and p = 0: b = g = 1, d = g + 0.9·b = 1.9, p = −lr·1.9.
        var optimizer = new TestNesterov(1) { BaseLearningRate = 1 };
        float[] parameter = [0f];
        optimizer.Step(parameter, [1f]);
        Assert.Equal(-1.9f, parameter[0]);

        // Second step with g = 0 under a new rate: g = 1e-4·p, b = 0.9·b + g, p = p − 0.5·(g + 0.9·b).
        optimizer.BaseLearningRate = 0.5;
        float before = parameter[0];
        optimizer.Step(parameter, [0f]);
        float decayed = 1e-4f * before;
        float buffer = (0.9f * 1f) + decayed;
        Assert.Equal(buffer, optimizer.MomentumBuffer[0], 6);
        Assert.Equal(before - (0.5f * (decayed + (0.9f * buffer))), parameter[0], 5);
    }

    [Fact]
    public void Step_count_is_settable_for_resuming_and_drives_bias_correction()
    {
        var fresh = new TestAdam(8);
        var resumed = new TestAdam(8);
        float[] a = new float[8];
        float[] b = new float[8];
        float[] gradients = Enumerable.Range(1, 8).Select(i => (float)i).ToArray();
        fresh.Step(a, gradients);
        fresh.Step(a, gradients);

        resumed.Step(b, gradients);
        float[][] state = Enumerable.Range(0, 3).Select(i => resumed.GetStateBuffer(i).ToArray()).ToArray();
        var restored = new TestAdam(8) { StepCount = 1 };
        for (int i = 0; i < 3; i++)
        {
            state[i].CopyTo(restored.GetStateBuffer(i));
        }

        restored.Step(b, gradients);
        Assert.Equal(a, b);
        Assert.Throws<ArgumentOutOfRangeException>(() => restored.StepCount = -1);
    }

    [Fact]
    public void Negative_length_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TestAdam(-1));
    }

    [Fact]
    public void Any_optimizer_can_be_held_through_the_interface()
    {
        IOptimizer<double> optimizer = new TestAdamWDouble(5);
        double[] parameters = [1, 2, 3, 4, 5];
        optimizer.Step(parameters, [1, 1, 1, 1, 1]);
        Assert.Equal(5, optimizer.Length);
        Assert.Equal(1, optimizer.StepCount);

        // AdamW, first step: p·(1 − lr·λ) − lr·sign(g) (bias-corrected m/√v is ±1 up to ε).
        Assert.Equal((1 * (1 - (1e-3 * 0.01))) - 1e-3, parameters[0], 9);
    }
}
