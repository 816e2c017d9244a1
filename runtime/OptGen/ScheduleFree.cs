using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OptGen;

/// <summary>
/// An optimizer whose parameters, during training, are not the point to evaluate: Schedule-Free AdamW's parameters hold
/// the gradient point y, and the point that converges, the one to evaluate, test and ship, is the average x.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IEvaluationPoint<T>
    where T : unmanaged
{
    /// <summary>
    /// Writes the point to evaluate into <paramref name="destination"/>, from the parameters being trained and the
    /// optimizer's state; changes neither. Call it between steps, not while a step runs.
    /// </summary>
    /// <param name="parameters">The parameters <c>Step</c> updates; length <c>Length</c>.</param>
    /// <param name="destination">Where the point is written; length <c>Length</c>. It may be <paramref name="parameters"/> itself (the reference's <c>eval()</c>, which then needs the reverse to resume training), but must not otherwise overlap it or the state.</param>
    /// <exception cref="ArgumentException">A length differs from the optimizer's, or the spans overlap other than as allowed; nothing is written.</exception>
    void WriteEvaluationPoint(ReadOnlySpan<T> parameters, Span<T> destination);
}

/// <summary>
/// The points of Schedule-Free training (Defazio et al. 2024), as facebookresearch/schedule_free computes them. A step
/// updates y (the parameters) and z (state); the average x follows from them, <c>y = (1 − β₁)·z + β₁·x</c>, so
/// <c>x = y + (1 − 1/β₁)·(z − y)</c>, computed as the reference's <c>eval()</c> does: <c>p.lerp_(z, 1 − 1/β₁)</c>.
/// Generated Schedule-Free optimizers forward their <see cref="IEvaluationPoint{T}.WriteEvaluationPoint"/> here.
/// </summary>
public static class ScheduleFree
{
    /// <summary>Writes x = lerp(y, z, 1 − 1/β₁) into <paramref name="destination"/>; before the first step, y itself (z is not set yet, and the reference's <c>eval()</c> leaves p unchanged then).</summary>
    /// <param name="parameters">y, the parameters being trained.</param>
    /// <param name="z">The optimizer's z buffer.</param>
    /// <param name="stepCount">Steps applied so far: z is set by the first.</param>
    /// <param name="beta1">β₁, in (0, 1).</param>
    /// <param name="destination">Where x is written: <paramref name="parameters"/> itself, or a span overlapping neither input.</param>
    /// <exception cref="ArgumentException">A length differs from <paramref name="z"/>'s, the spans overlap other than as allowed, or β₁ is outside (0, 1); nothing is written.</exception>
    public static void WriteEvaluationPoint<T>(ReadOnlySpan<T> parameters, ReadOnlySpan<T> z, long stepCount, double beta1, Span<T> destination)
        where T : unmanaged
    {
        if (parameters.Length != z.Length)
        {
            throw new ArgumentException($"The parameters' length is {parameters.Length}; the optimizer's is {z.Length}.", nameof(parameters));
        }

        if (destination.Length != z.Length)
        {
            throw new ArgumentException($"The destination's length is {destination.Length}; the optimizer's is {z.Length}.", nameof(destination));
        }

        if (!(beta1 > 0 && beta1 < 1))
        {
            throw new ArgumentException($"β₁ is {beta1}; x is defined for β₁ in (0, 1).", nameof(beta1));
        }

        if (destination.Overlaps(z))
        {
            throw new ArgumentException("The destination overlaps the optimizer's z buffer.", nameof(destination));
        }

        bool inPlace = Unsafe.AreSame(ref MemoryMarshal.GetReference(parameters), ref MemoryMarshal.GetReference(destination));
        if (!inPlace && destination.Overlaps(parameters))
        {
            throw new ArgumentException("The destination overlaps the parameters without being them.", nameof(destination));
        }

        if (!inPlace)
        {
            parameters.CopyTo(destination);
        }

        if (stepCount > 0)
        {
            Interpolate(destination, z, 1 - (1 / beta1));
        }
    }

    /// <summary>
    /// <c>torch.lerp_</c> as PyTorch 1.13's CPU kernel computes it: <paramref name="start"/> ← start + w·(end − start)
    /// where w &lt; 0.5 (negative weights included: 1.13 compares w, not |w|), else end − (end − start)·(1 − w), each a
    /// fused multiply-add (one rounding), with the weight first rounded to <typeparamref name="T"/> and 1 − w computed in
    /// <typeparamref name="T"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ; nothing is changed.</exception>
    public static void Interpolate<T>(Span<T> start, ReadOnlySpan<T> end, double weight)
        where T : unmanaged
    {
        if (end.Length != start.Length)
        {
            throw new ArgumentException($"The end's length is {end.Length}; the start's is {start.Length}.", nameof(end));
        }

        ElementLoop.Run(InterpolateUpdate<T>.Of(weight), start, end);
    }
}

/// <summary><see cref="ScheduleFree.Interpolate{T}"/> as an element update: the parameter stream is the start (written), the gradient stream the end.</summary>
internal readonly struct InterpolateUpdate<T> : IElementUpdate<T>
    where T : unmanaged
{
    private readonly T _weight;
    private readonly T _oneMinusWeight;
    private readonly bool _small;

    private InterpolateUpdate(T weight, T oneMinusWeight, bool small)
    {
        _weight = weight;
        _oneMinusWeight = oneMinusWeight;
        _small = small;
    }

    public static int StateCount => 0;

    /// <summary>The update for <paramref name="weight"/>, rounded to <typeparamref name="T"/> as PyTorch casts its scalar weight; the branch and 1 − w follow from the rounded weight.</summary>
    public static InterpolateUpdate<T> Of(double weight)
    {
        if (typeof(T) == typeof(float))
        {
            float w = (float)weight;
            return new(Unsafe.BitCast<float, T>(w), Unsafe.BitCast<float, T>(1f - w), w < 0.5f);
        }

        if (typeof(T) == typeof(double))
        {
            return new(Unsafe.BitCast<double, T>(weight), Unsafe.BitCast<double, T>(1d - weight), weight < 0.5);
        }

        throw new NotSupportedException($"Elements of type {typeof(T).Name}: only float and double are supported.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke<TLanes>(ref TLanes parameter, TLanes gradient, ref TLanes state0, ref TLanes state1, ref TLanes state2, ref TLanes state3)
        where TLanes : struct, ILanes<TLanes, T>
    {
        TLanes difference = gradient - parameter;
        parameter = _small
            ? TLanes.FusedMultiplyAdd(TLanes.Create(_weight), difference, parameter)
            : TLanes.FusedMultiplyAdd(-difference, TLanes.Create(_oneMinusWeight), gradient);
    }
}
