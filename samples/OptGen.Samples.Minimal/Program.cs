// The smallest complete OptGen program: declare a custom optimizer by combining attributes, then step it.
using System;
using OptGen;

var optimizer = new WarmCosineAdam(length: 3);
float[] parameters = [4f, -2f, 0.5f];
float[] target = [1f, 2f, 3f];
float[] gradients = new float[3];

for (int step = 0; step < 100; step++)
{
    // Loss ½·‖p − target‖², whose gradient is p − target.
    for (int i = 0; i < parameters.Length; i++)
    {
        gradients[i] = parameters[i] - target[i];
    }

    double learningRate = optimizer.LearningRate;
    optimizer.Step(parameters, gradients);
    if (step % 20 == 0 || step == 99)
    {
        Console.WriteLine($"step {optimizer.StepCount,3}  lr {learningRate:0.000000}  p = [{string.Join(", ", Array.ConvertAll(parameters, p => p.ToString("0.0000")))}]");
    }
}

/// <summary>
/// Adam without bias correction, with decoupled (AdamW-style) weight decay, a 10-step linear warm-up and then a cosine
/// decay over 90 steps: the generator folds every constant into one fused SIMD step.
/// </summary>
[Optimizer(UpdateRule.Adam, LearningRate = 0.1)]
[BiasCorrection(false)]
[WeightDecay(0.01, Decoupled = true)]
[LinearWarmup(Steps = 10, StartFactor = 0.1)]
[CosineDecay(TotalSteps = 90, MinLearningRate = 1e-4)]
public sealed partial class WarmCosineAdam;
