using System;
using System.Collections.Generic;

namespace OptGen;

/// <summary>What every generated optimizer exposes, whatever its element type.</summary>
public interface IOptimizer
{
    /// <summary>Number of parameters the state was allocated for.</summary>
    int Length { get; }

    /// <summary>Completed steps. The next <c>Step</c> uses t = <see cref="StepCount"/> + 1. Settable to resume from saved state.</summary>
    long StepCount { get; set; }

    /// <summary>
    /// The learning rate the next <c>Step</c> will use, as PyTorch's <c>param_group["lr"]</c>: factors the rule applies
    /// itself inside the step (Adam's bias correction, AdaGrad's <c>lr_decay</c>) are not included.
    /// </summary>
    double LearningRate { get; }

    /// <summary>The base learning rate, initialised from the attribute; finite and &gt; 0.</summary>
    double BaseLearningRate { get; set; }

    /// <summary>The code path the last <c>Step</c> took.</summary>
    KernelPath LastKernelPath { get; }

    /// <summary>
    /// Threads a large <c>Step</c> (at least <see cref="ParallelStep.MinimumParallelLength"/> elements) splits its work
    /// across, the calling thread included; default: all cores. Results are bit-identical whatever the count.
    /// </summary>
    int ThreadCount { get; set; }

    /// <summary>Names of the state buffers, in the order of <c>GetStateBuffer</c> (PyTorch's state keys, e.g. <c>exp_avg</c>).</summary>
    IReadOnlyList<string> StateBufferNames { get; }

    /// <summary>Resets the step count and every state buffer to its initial value.</summary>
    void Reset();
}

/// <summary>A generated optimizer over elements of type <typeparamref name="T"/> (<see cref="float"/> or <see cref="double"/>).</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IOptimizer<T> : IOptimizer
    where T : unmanaged
{
    /// <summary>Applies one update to <paramref name="parameters"/> given <paramref name="gradients"/>.</summary>
    /// <param name="parameters">Parameters, updated in place; length <see cref="IOptimizer.Length"/>.</param>
    /// <param name="gradients">Gradients of the objective; length <see cref="IOptimizer.Length"/>.</param>
    /// <exception cref="ArgumentException">A length differs from <see cref="IOptimizer.Length"/>; nothing is changed.</exception>
    void Step(Span<T> parameters, ReadOnlySpan<T> gradients);

    /// <summary>The state buffer at <paramref name="index"/> (see <see cref="IOptimizer.StateBufferNames"/>), readable and writable.</summary>
    /// <param name="index">Index of the buffer.</param>
    Span<T> GetStateBuffer(int index);
}
