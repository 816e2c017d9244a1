using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OptGen;

/// <summary>
/// Values of <typeparamref name="T"/> side by side (one scalar, one vector, or several vectors), with the operations a
/// generated update is written in. A generated update's body is written once against this interface; the runtime's
/// <see cref="ElementLoop"/> runs it with every width. Each operation is the one of <see cref="MathF"/>/<see cref="Math"/>
/// or of <see cref="Vector128"/>/<see cref="Vector256"/>/<see cref="Vector512"/>, so every width gives the same bits.
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>The runtime's lanes types are their <see cref="Count"/> elements, consecutive, and nothing else: the element
/// loop hands an update references into the streams as references to lanes.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ILanes<TSelf, T>
    where TSelf : struct, ILanes<TSelf, T>
    where T : unmanaged
{
    /// <summary>Elements side by side.</summary>
    static abstract int Count { get; }

    /// <summary><paramref name="value"/> in every lane.</summary>
    static abstract TSelf Create(T value);

    /// <summary>The <see cref="Count"/> elements from <paramref name="source"/> + <paramref name="index"/>.</summary>
    static abstract TSelf Load(ref T source, nuint index);

    /// <summary>Writes the <see cref="Count"/> elements to <paramref name="destination"/> + <paramref name="index"/>.</summary>
    static abstract void Store(TSelf value, ref T destination, nuint index);

    /// <summary>Lanewise sum.</summary>
    static abstract TSelf operator +(TSelf left, TSelf right);

    /// <summary>Lanewise difference.</summary>
    static abstract TSelf operator -(TSelf left, TSelf right);

    /// <summary>Lanewise product.</summary>
    static abstract TSelf operator *(TSelf left, TSelf right);

    /// <summary>Lanewise quotient.</summary>
    static abstract TSelf operator /(TSelf left, TSelf right);

    /// <summary>Lanewise negation (the sign bit flipped).</summary>
    static abstract TSelf operator -(TSelf value);

    /// <summary>Lanewise square root.</summary>
    static abstract TSelf Sqrt(TSelf value);

    /// <summary>
    /// Lanewise eˣ. One element is <see cref="MathF.Exp"/>/<see cref="Math.Exp"/> itself; vectors use .NET's vector
    /// exponential (float lanes through double), within 1 ulp of MathF.Exp for float and 2 ulps of Math.Exp for double.
    /// </summary>
    static abstract TSelf Exp(TSelf value);

    /// <summary>
    /// Lanewise natural logarithm. One element is <see cref="MathF.Log(float)"/>/<see cref="Math.Log(double)"/> itself;
    /// vectors use .NET's vector logarithm (float lanes through double), within 1 ulp of MathF.Log for float and 3 ulps
    /// of Math.Log for double.
    /// </summary>
    static abstract TSelf Log(TSelf value);

    /// <summary>Lanewise maximum: NaN if either is NaN; +0 above −0.</summary>
    static abstract TSelf Max(TSelf left, TSelf right);

    /// <summary>Lanewise minimum: NaN if either is NaN; −0 below +0.</summary>
    static abstract TSelf Min(TSelf left, TSelf right);

    /// <summary>Lanewise absolute value (the sign bit cleared).</summary>
    static abstract TSelf Abs(TSelf value);

    /// <summary>Lanewise <paramref name="left"/> · <paramref name="right"/> + <paramref name="addend"/>, rounded once.</summary>
    static abstract TSelf FusedMultiplyAdd(TSelf left, TSelf right, TSelf addend);

    /// <summary>Lanewise sign as <c>torch.sign</c>: 1 above zero, −1 below, +0 otherwise (±0 and NaN give +0).</summary>
    /// <remarks>PyTorch computes <c>(0 &lt; x) − (x &lt; 0)</c>, so NaN and −0 give +0, never NaN or −0.</remarks>
    static abstract TSelf Sign(TSelf value);

    /// <summary>
    /// Lanewise <c>torch.clamp(value, min, max)</c> with scalar bounds: <paramref name="min"/> where
    /// <paramref name="value"/> &lt; <paramref name="min"/>, then <paramref name="max"/> where that is above
    /// <paramref name="max"/> (so <paramref name="max"/> wins when <paramref name="min"/> &gt; <paramref name="max"/>);
    /// otherwise <paramref name="value"/> itself, which keeps −0 against a bound of +0 and a NaN value's bits. A NaN bound
    /// gives the positive quiet NaN in every lane (PyTorch fills the result with NaN).
    /// </summary>
    static abstract TSelf Clamp(TSelf value, TSelf min, TSelf max);

    /// <summary>Lanewise <paramref name="left"/> &lt; <paramref name="right"/> as a mask: all bits set where true, zero where false (false if either is NaN).</summary>
    static abstract TSelf LessThan(TSelf left, TSelf right);

    /// <summary>Lanewise <paramref name="left"/> ≤ <paramref name="right"/> as a mask (false if either is NaN).</summary>
    static abstract TSelf LessThanOrEqual(TSelf left, TSelf right);

    /// <summary>Lanewise <paramref name="left"/> &gt; <paramref name="right"/> as a mask (false if either is NaN).</summary>
    static abstract TSelf GreaterThan(TSelf left, TSelf right);

    /// <summary>Lanewise <paramref name="left"/> ≥ <paramref name="right"/> as a mask (false if either is NaN).</summary>
    static abstract TSelf GreaterThanOrEqual(TSelf left, TSelf right);

    /// <summary>Lanewise <paramref name="left"/> = <paramref name="right"/> as a mask (−0 equals +0; NaN equals nothing).</summary>
    static abstract TSelf Equal(TSelf left, TSelf right);

    /// <summary>Lanewise <paramref name="left"/> ≠ <paramref name="right"/> as a mask: the complement of <see cref="Equal"/> (true if either is NaN).</summary>
    static abstract TSelf NotEqual(TSelf left, TSelf right);

    /// <summary>Lanewise blend: the bits of <paramref name="whenTrue"/> where <paramref name="mask"/>'s bits are set, of <paramref name="whenFalse"/> where clear.</summary>
    /// <remarks>Masks come from the comparisons, so each lane is all ones or all zeros and picks one operand whole.</remarks>
    static abstract TSelf ConditionalSelect(TSelf mask, TSelf whenTrue, TSelf whenFalse);
}

/// <summary>One element: <see cref="MathF"/>'s operations for <see cref="float"/>, <see cref="Math"/>'s for <see cref="double"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct ScalarLanes<T>(T value) : ILanes<ScalarLanes<T>, T>
    where T : unmanaged
{
    private readonly T _value = value;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Create(T value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Load(ref T source, nuint index) => new(Unsafe.Add(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(ScalarLanes<T> value, ref T destination, nuint index) => Unsafe.Add(ref destination, index) = value._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> operator +(ScalarLanes<T> left, ScalarLanes<T> right) =>
        typeof(T) == typeof(float) ? Of(Single(left) + Single(right)) : Of(Double(left) + Double(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> operator -(ScalarLanes<T> left, ScalarLanes<T> right) =>
        typeof(T) == typeof(float) ? Of(Single(left) - Single(right)) : Of(Double(left) - Double(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> operator *(ScalarLanes<T> left, ScalarLanes<T> right) =>
        typeof(T) == typeof(float) ? Of(Single(left) * Single(right)) : Of(Double(left) * Double(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> operator /(ScalarLanes<T> left, ScalarLanes<T> right) =>
        typeof(T) == typeof(float) ? Of(Single(left) / Single(right)) : Of(Double(left) / Double(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> operator -(ScalarLanes<T> value) =>
        typeof(T) == typeof(float) ? Of(-Single(value)) : Of(-Double(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Sqrt(ScalarLanes<T> value) =>
        typeof(T) == typeof(float) ? Of(MathF.Sqrt(Single(value))) : Of(Math.Sqrt(Double(value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Exp(ScalarLanes<T> value) =>
        typeof(T) == typeof(float) ? Of(MathF.Exp(Single(value))) : Of(Math.Exp(Double(value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Log(ScalarLanes<T> value) =>
        typeof(T) == typeof(float) ? Of(MathF.Log(Single(value))) : Of(Math.Log(Double(value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Max(ScalarLanes<T> left, ScalarLanes<T> right) =>
        typeof(T) == typeof(float) ? Of(MathF.Max(Single(left), Single(right))) : Of(Math.Max(Double(left), Double(right)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Min(ScalarLanes<T> left, ScalarLanes<T> right) =>
        typeof(T) == typeof(float) ? Of(MathF.Min(Single(left), Single(right))) : Of(Math.Min(Double(left), Double(right)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Abs(ScalarLanes<T> value) =>
        typeof(T) == typeof(float) ? Of(MathF.Abs(Single(value))) : Of(Math.Abs(Double(value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> FusedMultiplyAdd(ScalarLanes<T> left, ScalarLanes<T> right, ScalarLanes<T> addend) =>
        typeof(T) == typeof(float)
            ? Of(MathF.FusedMultiplyAdd(Single(left), Single(right), Single(addend)))
            : Of(Math.FusedMultiplyAdd(Double(left), Double(right), Double(addend)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Sign(ScalarLanes<T> value) =>
        typeof(T) == typeof(float)
            ? Of((Single(value) > 0 ? 1f : 0f) - (Single(value) < 0 ? 1f : 0f))
            : Of((Double(value) > 0 ? 1d : 0d) - (Double(value) < 0 ? 1d : 0d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Clamp(ScalarLanes<T> value, ScalarLanes<T> min, ScalarLanes<T> max)
    {
        if (typeof(T) == typeof(float))
        {
            float x = Single(value), low = Single(min), high = Single(max);
            float raised = x < low ? low : x;
            return Of(float.IsNaN(low) || float.IsNaN(high) ? BitConverter.Int32BitsToSingle(0x7FC0_0000) : high < raised ? high : raised);
        }
        else
        {
            double x = Double(value), low = Double(min), high = Double(max);
            double raised = x < low ? low : x;
            return Of(double.IsNaN(low) || double.IsNaN(high) ? BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000) : high < raised ? high : raised);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> LessThan(ScalarLanes<T> left, ScalarLanes<T> right) =>
        Mask(typeof(T) == typeof(float) ? Single(left) < Single(right) : Double(left) < Double(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> LessThanOrEqual(ScalarLanes<T> left, ScalarLanes<T> right) =>
        Mask(typeof(T) == typeof(float) ? Single(left) <= Single(right) : Double(left) <= Double(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> GreaterThan(ScalarLanes<T> left, ScalarLanes<T> right) =>
        Mask(typeof(T) == typeof(float) ? Single(left) > Single(right) : Double(left) > Double(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> GreaterThanOrEqual(ScalarLanes<T> left, ScalarLanes<T> right) =>
        Mask(typeof(T) == typeof(float) ? Single(left) >= Single(right) : Double(left) >= Double(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> Equal(ScalarLanes<T> left, ScalarLanes<T> right) =>
        Mask(typeof(T) == typeof(float) ? Single(left) == Single(right) : Double(left) == Double(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> NotEqual(ScalarLanes<T> left, ScalarLanes<T> right) =>
        Mask(typeof(T) == typeof(float) ? Single(left) != Single(right) : Double(left) != Double(right));

    // Bitwise, as the vectors' ConditionalSelect, so every width picks the same bits for any mask.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarLanes<T> ConditionalSelect(ScalarLanes<T> mask, ScalarLanes<T> whenTrue, ScalarLanes<T> whenFalse)
    {
        if (typeof(T) == typeof(float))
        {
            int m = Unsafe.BitCast<T, int>(mask._value);
            return new(Unsafe.BitCast<int, T>((Unsafe.BitCast<T, int>(whenTrue._value) & m) | (Unsafe.BitCast<T, int>(whenFalse._value) & ~m)));
        }
        else
        {
            long m = Unsafe.BitCast<T, long>(mask._value);
            return new(Unsafe.BitCast<long, T>((Unsafe.BitCast<T, long>(whenTrue._value) & m) | (Unsafe.BitCast<T, long>(whenFalse._value) & ~m)));
        }
    }

    // A mask lane: all bits set for true, as the vector comparisons give.
    private static ScalarLanes<T> Mask(bool condition) =>
        typeof(T) == typeof(float)
            ? new(Unsafe.BitCast<int, T>(condition ? -1 : 0))
            : new(Unsafe.BitCast<long, T>(condition ? -1L : 0L));

    // T is float or double (ElementLoop checks): these reinterpret, and the JIT removes the branch on typeof(T).
    private static float Single(ScalarLanes<T> lanes) => Unsafe.BitCast<T, float>(lanes._value);

    private static double Double(ScalarLanes<T> lanes) => Unsafe.BitCast<T, double>(lanes._value);

    private static ScalarLanes<T> Of(float value) => new(Unsafe.BitCast<float, T>(value));

    private static ScalarLanes<T> Of(double value) => new(Unsafe.BitCast<double, T>(value));
}

// The three vector widths are the same code: Vector128/256/512 share no public generic interface that the JIT
// specialises (ISimdVector is internal to the framework), so each wraps its own type.

/// <summary>One <see cref="Vector128{T}"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct Vector128Lanes<T>(Vector128<T> value) : ILanes<Vector128Lanes<T>, T>
    where T : unmanaged
{
    private readonly Vector128<T> _value = value;

    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Create(T value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Load(ref T source, nuint index) => new(Vector128.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128Lanes<T> value, ref T destination, nuint index) => value._value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> operator +(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> operator -(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> operator *(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(left._value * right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> operator /(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> operator -(Vector128Lanes<T> value) => new(-value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Sqrt(Vector128Lanes<T> value) => new(Vector128.Sqrt(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Exp(Vector128Lanes<T> value)
    {
        if (typeof(T) == typeof(float))
        {
            // Through double: the float vector exponential is within 2 ulps (eᵒ = 1.0000001); the double one rounded to
            // float is within 1 ulp of MathF.Exp and rarely differs from it.
            (Vector128<double> lower, Vector128<double> upper) = Vector128.Widen(value._value.AsSingle());
            return new(Vector128.Narrow(Vector128.Exp(lower), Vector128.Exp(upper)).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector128.Exp(value._value.AsDouble()).As<double, T>());
        }

        throw new NotSupportedException($"Exponential of {typeof(T).Name} vectors.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Log(Vector128Lanes<T> value)
    {
        if (typeof(T) == typeof(float))
        {
            (Vector128<double> lower, Vector128<double> upper) = Vector128.Widen(value._value.AsSingle());
            return new(Vector128.Narrow(Vector128.Log(lower), Vector128.Log(upper)).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector128.Log(value._value.AsDouble()).As<double, T>());
        }

        throw new NotSupportedException($"Logarithm of {typeof(T).Name} vectors.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Max(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(Vector128.Max(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Min(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(Vector128.Min(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Abs(Vector128Lanes<T> value) => new(Vector128.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Sign(Vector128Lanes<T> value)
    {
        // torch.sign's vector form: (0 < x) − (x < 0), each comparison masked onto 1.
        Vector128<T> one = Vector128<T>.One;
        return new((Vector128.GreaterThan(value._value, Vector128<T>.Zero) & one) - (Vector128.LessThan(value._value, Vector128<T>.Zero) & one));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Clamp(Vector128Lanes<T> value, Vector128Lanes<T> min, Vector128Lanes<T> max)
    {
        Vector128<T> raised = Vector128.ConditionalSelect(Vector128.LessThan(value._value, min._value), min._value, value._value);
        Vector128<T> clamped = Vector128.ConditionalSelect(Vector128.LessThan(max._value, raised), max._value, raised);
        return new(Vector128.ConditionalSelect(Vector128.IsNaN(min._value) | Vector128.IsNaN(max._value), QuietNaN, clamped));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> LessThan(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(Vector128.LessThan(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> LessThanOrEqual(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(Vector128.LessThanOrEqual(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> GreaterThan(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(Vector128.GreaterThan(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> GreaterThanOrEqual(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(Vector128.GreaterThanOrEqual(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> Equal(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(Vector128.Equals(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> NotEqual(Vector128Lanes<T> left, Vector128Lanes<T> right) => new(~Vector128.Equals(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> ConditionalSelect(Vector128Lanes<T> mask, Vector128Lanes<T> whenTrue, Vector128Lanes<T> whenFalse) => new(Vector128.ConditionalSelect(mask._value, whenTrue._value, whenFalse._value));

    // The positive quiet NaN that torch.clamp fills in for a NaN bound.
    private static Vector128<T> QuietNaN =>
        typeof(T) == typeof(float) ? Vector128.Create(0x7FC0_0000).As<int, T>() : Vector128.Create(0x7FF8_0000_0000_0000L).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128Lanes<T> FusedMultiplyAdd(Vector128Lanes<T> left, Vector128Lanes<T> right, Vector128Lanes<T> addend)
    {
        if (typeof(T) == typeof(float))
        {
            return new(Vector128.FusedMultiplyAdd(left._value.AsSingle(), right._value.AsSingle(), addend._value.AsSingle()).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector128.FusedMultiplyAdd(left._value.AsDouble(), right._value.AsDouble(), addend._value.AsDouble()).As<double, T>());
        }

        throw new NotSupportedException($"Fused multiply-add of {typeof(T).Name} vectors.");
    }
}

/// <summary>One <see cref="Vector256{T}"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct Vector256Lanes<T>(Vector256<T> value) : ILanes<Vector256Lanes<T>, T>
    where T : unmanaged
{
    private readonly Vector256<T> _value = value;

    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Create(T value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Load(ref T source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256Lanes<T> value, ref T destination, nuint index) => value._value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> operator +(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> operator -(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> operator *(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(left._value * right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> operator /(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> operator -(Vector256Lanes<T> value) => new(-value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Sqrt(Vector256Lanes<T> value) => new(Vector256.Sqrt(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Exp(Vector256Lanes<T> value)
    {
        if (typeof(T) == typeof(float))
        {
            // Through double: the float vector exponential is within 2 ulps (eᵒ = 1.0000001); the double one rounded to
            // float is within 1 ulp of MathF.Exp and rarely differs from it.
            (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(value._value.AsSingle());
            return new(Vector256.Narrow(Vector256.Exp(lower), Vector256.Exp(upper)).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector256.Exp(value._value.AsDouble()).As<double, T>());
        }

        throw new NotSupportedException($"Exponential of {typeof(T).Name} vectors.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Log(Vector256Lanes<T> value)
    {
        if (typeof(T) == typeof(float))
        {
            (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(value._value.AsSingle());
            return new(Vector256.Narrow(Vector256.Log(lower), Vector256.Log(upper)).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector256.Log(value._value.AsDouble()).As<double, T>());
        }

        throw new NotSupportedException($"Logarithm of {typeof(T).Name} vectors.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Max(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(Vector256.Max(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Min(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(Vector256.Min(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Abs(Vector256Lanes<T> value) => new(Vector256.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Sign(Vector256Lanes<T> value)
    {
        // torch.sign's vector form: (0 < x) − (x < 0), each comparison masked onto 1.
        Vector256<T> one = Vector256<T>.One;
        return new((Vector256.GreaterThan(value._value, Vector256<T>.Zero) & one) - (Vector256.LessThan(value._value, Vector256<T>.Zero) & one));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Clamp(Vector256Lanes<T> value, Vector256Lanes<T> min, Vector256Lanes<T> max)
    {
        Vector256<T> raised = Vector256.ConditionalSelect(Vector256.LessThan(value._value, min._value), min._value, value._value);
        Vector256<T> clamped = Vector256.ConditionalSelect(Vector256.LessThan(max._value, raised), max._value, raised);
        return new(Vector256.ConditionalSelect(Vector256.IsNaN(min._value) | Vector256.IsNaN(max._value), QuietNaN, clamped));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> LessThan(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(Vector256.LessThan(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> LessThanOrEqual(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(Vector256.LessThanOrEqual(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> GreaterThan(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(Vector256.GreaterThan(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> GreaterThanOrEqual(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(Vector256.GreaterThanOrEqual(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> Equal(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(Vector256.Equals(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> NotEqual(Vector256Lanes<T> left, Vector256Lanes<T> right) => new(~Vector256.Equals(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> ConditionalSelect(Vector256Lanes<T> mask, Vector256Lanes<T> whenTrue, Vector256Lanes<T> whenFalse) => new(Vector256.ConditionalSelect(mask._value, whenTrue._value, whenFalse._value));

    // The positive quiet NaN that torch.clamp fills in for a NaN bound.
    private static Vector256<T> QuietNaN =>
        typeof(T) == typeof(float) ? Vector256.Create(0x7FC0_0000).As<int, T>() : Vector256.Create(0x7FF8_0000_0000_0000L).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Lanes<T> FusedMultiplyAdd(Vector256Lanes<T> left, Vector256Lanes<T> right, Vector256Lanes<T> addend)
    {
        if (typeof(T) == typeof(float))
        {
            return new(Vector256.FusedMultiplyAdd(left._value.AsSingle(), right._value.AsSingle(), addend._value.AsSingle()).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector256.FusedMultiplyAdd(left._value.AsDouble(), right._value.AsDouble(), addend._value.AsDouble()).As<double, T>());
        }

        throw new NotSupportedException($"Fused multiply-add of {typeof(T).Name} vectors.");
    }
}

/// <summary>One <see cref="Vector512{T}"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct Vector512Lanes<T>(Vector512<T> value) : ILanes<Vector512Lanes<T>, T>
    where T : unmanaged
{
    private readonly Vector512<T> _value = value;

    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Create(T value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Load(ref T source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512Lanes<T> value, ref T destination, nuint index) => value._value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> operator +(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> operator -(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> operator *(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(left._value * right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> operator /(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> operator -(Vector512Lanes<T> value) => new(-value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Sqrt(Vector512Lanes<T> value) => new(Vector512.Sqrt(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Exp(Vector512Lanes<T> value)
    {
        if (typeof(T) == typeof(float))
        {
            // Through double: the float vector exponential is within 2 ulps (eᵒ = 1.0000001); the double one rounded to
            // float is within 1 ulp of MathF.Exp and rarely differs from it.
            (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(value._value.AsSingle());
            return new(Vector512.Narrow(Vector512.Exp(lower), Vector512.Exp(upper)).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector512.Exp(value._value.AsDouble()).As<double, T>());
        }

        throw new NotSupportedException($"Exponential of {typeof(T).Name} vectors.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Log(Vector512Lanes<T> value)
    {
        if (typeof(T) == typeof(float))
        {
            (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(value._value.AsSingle());
            return new(Vector512.Narrow(Vector512.Log(lower), Vector512.Log(upper)).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector512.Log(value._value.AsDouble()).As<double, T>());
        }

        throw new NotSupportedException($"Logarithm of {typeof(T).Name} vectors.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Max(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(Vector512.Max(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Min(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(Vector512.Min(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Abs(Vector512Lanes<T> value) => new(Vector512.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Sign(Vector512Lanes<T> value)
    {
        // torch.sign's vector form: (0 < x) − (x < 0), each comparison masked onto 1.
        Vector512<T> one = Vector512<T>.One;
        return new((Vector512.GreaterThan(value._value, Vector512<T>.Zero) & one) - (Vector512.LessThan(value._value, Vector512<T>.Zero) & one));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Clamp(Vector512Lanes<T> value, Vector512Lanes<T> min, Vector512Lanes<T> max)
    {
        Vector512<T> raised = Vector512.ConditionalSelect(Vector512.LessThan(value._value, min._value), min._value, value._value);
        Vector512<T> clamped = Vector512.ConditionalSelect(Vector512.LessThan(max._value, raised), max._value, raised);
        return new(Vector512.ConditionalSelect(Vector512.IsNaN(min._value) | Vector512.IsNaN(max._value), QuietNaN, clamped));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> LessThan(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(Vector512.LessThan(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> LessThanOrEqual(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(Vector512.LessThanOrEqual(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> GreaterThan(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(Vector512.GreaterThan(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> GreaterThanOrEqual(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(Vector512.GreaterThanOrEqual(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> Equal(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(Vector512.Equals(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> NotEqual(Vector512Lanes<T> left, Vector512Lanes<T> right) => new(~Vector512.Equals(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> ConditionalSelect(Vector512Lanes<T> mask, Vector512Lanes<T> whenTrue, Vector512Lanes<T> whenFalse) => new(Vector512.ConditionalSelect(mask._value, whenTrue._value, whenFalse._value));

    // The positive quiet NaN that torch.clamp fills in for a NaN bound.
    private static Vector512<T> QuietNaN =>
        typeof(T) == typeof(float) ? Vector512.Create(0x7FC0_0000).As<int, T>() : Vector512.Create(0x7FF8_0000_0000_0000L).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Lanes<T> FusedMultiplyAdd(Vector512Lanes<T> left, Vector512Lanes<T> right, Vector512Lanes<T> addend)
    {
        if (typeof(T) == typeof(float))
        {
            return new(Vector512.FusedMultiplyAdd(left._value.AsSingle(), right._value.AsSingle(), addend._value.AsSingle()).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector512.FusedMultiplyAdd(left._value.AsDouble(), right._value.AsDouble(), addend._value.AsDouble()).As<double, T>());
        }

        throw new NotSupportedException($"Fused multiply-add of {typeof(T).Name} vectors.");
    }
}

/// <summary>
/// Two consecutive <typeparamref name="TLanes"/>, operated on together: each operation is written once for both, so an
/// update's statements run interleaved across them, which keeps the divider and square-root units busy.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct Unrolled2<TLanes, T>(TLanes first, TLanes second) : ILanes<Unrolled2<TLanes, T>, T>
    where TLanes : struct, ILanes<TLanes, T>
    where T : unmanaged
{
    private readonly TLanes _first = first;
    private readonly TLanes _second = second;

    public static int Count => 2 * TLanes.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Create(T value)
    {
        TLanes lanes = TLanes.Create(value);
        return new(lanes, lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Load(ref T source, nuint index) =>
        new(TLanes.Load(ref source, index), TLanes.Load(ref source, index + (nuint)TLanes.Count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Unrolled2<TLanes, T> value, ref T destination, nuint index)
    {
        TLanes.Store(value._first, ref destination, index);
        TLanes.Store(value._second, ref destination, index + (nuint)TLanes.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> operator +(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) => new(left._first + right._first, left._second + right._second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> operator -(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) => new(left._first - right._first, left._second - right._second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> operator *(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) => new(left._first * right._first, left._second * right._second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> operator /(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) => new(left._first / right._first, left._second / right._second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> operator -(Unrolled2<TLanes, T> value) => new(-value._first, -value._second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Sqrt(Unrolled2<TLanes, T> value) => new(TLanes.Sqrt(value._first), TLanes.Sqrt(value._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Exp(Unrolled2<TLanes, T> value) => new(TLanes.Exp(value._first), TLanes.Exp(value._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Log(Unrolled2<TLanes, T> value) => new(TLanes.Log(value._first), TLanes.Log(value._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Max(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) =>
        new(TLanes.Max(left._first, right._first), TLanes.Max(left._second, right._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Min(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) =>
        new(TLanes.Min(left._first, right._first), TLanes.Min(left._second, right._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Abs(Unrolled2<TLanes, T> value) => new(TLanes.Abs(value._first), TLanes.Abs(value._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Sign(Unrolled2<TLanes, T> value) => new(TLanes.Sign(value._first), TLanes.Sign(value._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Clamp(Unrolled2<TLanes, T> value, Unrolled2<TLanes, T> min, Unrolled2<TLanes, T> max) =>
        new(TLanes.Clamp(value._first, min._first, max._first), TLanes.Clamp(value._second, min._second, max._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> LessThan(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) =>
        new(TLanes.LessThan(left._first, right._first), TLanes.LessThan(left._second, right._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> LessThanOrEqual(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) =>
        new(TLanes.LessThanOrEqual(left._first, right._first), TLanes.LessThanOrEqual(left._second, right._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> GreaterThan(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) =>
        new(TLanes.GreaterThan(left._first, right._first), TLanes.GreaterThan(left._second, right._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> GreaterThanOrEqual(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) =>
        new(TLanes.GreaterThanOrEqual(left._first, right._first), TLanes.GreaterThanOrEqual(left._second, right._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> Equal(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) =>
        new(TLanes.Equal(left._first, right._first), TLanes.Equal(left._second, right._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> NotEqual(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right) =>
        new(TLanes.NotEqual(left._first, right._first), TLanes.NotEqual(left._second, right._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> ConditionalSelect(Unrolled2<TLanes, T> mask, Unrolled2<TLanes, T> whenTrue, Unrolled2<TLanes, T> whenFalse) =>
        new(TLanes.ConditionalSelect(mask._first, whenTrue._first, whenFalse._first), TLanes.ConditionalSelect(mask._second, whenTrue._second, whenFalse._second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled2<TLanes, T> FusedMultiplyAdd(Unrolled2<TLanes, T> left, Unrolled2<TLanes, T> right, Unrolled2<TLanes, T> addend) =>
        new(TLanes.FusedMultiplyAdd(left._first, right._first, addend._first), TLanes.FusedMultiplyAdd(left._second, right._second, addend._second));
}

/// <summary>Four consecutive <typeparamref name="TLanes"/>, operated on together (see <see cref="Unrolled2{TLanes, T}"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct Unrolled4<TLanes, T>(TLanes a, TLanes b, TLanes c, TLanes d) : ILanes<Unrolled4<TLanes, T>, T>
    where TLanes : struct, ILanes<TLanes, T>
    where T : unmanaged
{
    private readonly TLanes _a = a;
    private readonly TLanes _b = b;
    private readonly TLanes _c = c;
    private readonly TLanes _d = d;

    public static int Count => 4 * TLanes.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Create(T value)
    {
        TLanes lanes = TLanes.Create(value);
        return new(lanes, lanes, lanes, lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Load(ref T source, nuint index)
    {
        nuint width = (nuint)TLanes.Count;
        return new(TLanes.Load(ref source, index), TLanes.Load(ref source, index + width), TLanes.Load(ref source, index + (2 * width)), TLanes.Load(ref source, index + (3 * width)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Unrolled4<TLanes, T> value, ref T destination, nuint index)
    {
        nuint width = (nuint)TLanes.Count;
        TLanes.Store(value._a, ref destination, index);
        TLanes.Store(value._b, ref destination, index + width);
        TLanes.Store(value._c, ref destination, index + (2 * width));
        TLanes.Store(value._d, ref destination, index + (3 * width));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> operator +(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) => new(x._a + y._a, x._b + y._b, x._c + y._c, x._d + y._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> operator -(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) => new(x._a - y._a, x._b - y._b, x._c - y._c, x._d - y._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> operator *(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) => new(x._a * y._a, x._b * y._b, x._c * y._c, x._d * y._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> operator /(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) => new(x._a / y._a, x._b / y._b, x._c / y._c, x._d / y._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> operator -(Unrolled4<TLanes, T> x) => new(-x._a, -x._b, -x._c, -x._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Sqrt(Unrolled4<TLanes, T> x) => new(TLanes.Sqrt(x._a), TLanes.Sqrt(x._b), TLanes.Sqrt(x._c), TLanes.Sqrt(x._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Exp(Unrolled4<TLanes, T> x) => new(TLanes.Exp(x._a), TLanes.Exp(x._b), TLanes.Exp(x._c), TLanes.Exp(x._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Log(Unrolled4<TLanes, T> x) => new(TLanes.Log(x._a), TLanes.Log(x._b), TLanes.Log(x._c), TLanes.Log(x._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Max(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) =>
        new(TLanes.Max(x._a, y._a), TLanes.Max(x._b, y._b), TLanes.Max(x._c, y._c), TLanes.Max(x._d, y._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Min(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) =>
        new(TLanes.Min(x._a, y._a), TLanes.Min(x._b, y._b), TLanes.Min(x._c, y._c), TLanes.Min(x._d, y._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Abs(Unrolled4<TLanes, T> x) => new(TLanes.Abs(x._a), TLanes.Abs(x._b), TLanes.Abs(x._c), TLanes.Abs(x._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Sign(Unrolled4<TLanes, T> x) => new(TLanes.Sign(x._a), TLanes.Sign(x._b), TLanes.Sign(x._c), TLanes.Sign(x._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Clamp(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> min, Unrolled4<TLanes, T> max) =>
        new(TLanes.Clamp(x._a, min._a, max._a), TLanes.Clamp(x._b, min._b, max._b), TLanes.Clamp(x._c, min._c, max._c), TLanes.Clamp(x._d, min._d, max._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> LessThan(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) =>
        new(TLanes.LessThan(x._a, y._a), TLanes.LessThan(x._b, y._b), TLanes.LessThan(x._c, y._c), TLanes.LessThan(x._d, y._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> LessThanOrEqual(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) =>
        new(TLanes.LessThanOrEqual(x._a, y._a), TLanes.LessThanOrEqual(x._b, y._b), TLanes.LessThanOrEqual(x._c, y._c), TLanes.LessThanOrEqual(x._d, y._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> GreaterThan(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) =>
        new(TLanes.GreaterThan(x._a, y._a), TLanes.GreaterThan(x._b, y._b), TLanes.GreaterThan(x._c, y._c), TLanes.GreaterThan(x._d, y._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> GreaterThanOrEqual(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) =>
        new(TLanes.GreaterThanOrEqual(x._a, y._a), TLanes.GreaterThanOrEqual(x._b, y._b), TLanes.GreaterThanOrEqual(x._c, y._c), TLanes.GreaterThanOrEqual(x._d, y._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> Equal(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) =>
        new(TLanes.Equal(x._a, y._a), TLanes.Equal(x._b, y._b), TLanes.Equal(x._c, y._c), TLanes.Equal(x._d, y._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> NotEqual(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) =>
        new(TLanes.NotEqual(x._a, y._a), TLanes.NotEqual(x._b, y._b), TLanes.NotEqual(x._c, y._c), TLanes.NotEqual(x._d, y._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> ConditionalSelect(Unrolled4<TLanes, T> m, Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y) =>
        new(TLanes.ConditionalSelect(m._a, x._a, y._a), TLanes.ConditionalSelect(m._b, x._b, y._b), TLanes.ConditionalSelect(m._c, x._c, y._c), TLanes.ConditionalSelect(m._d, x._d, y._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Unrolled4<TLanes, T> FusedMultiplyAdd(Unrolled4<TLanes, T> x, Unrolled4<TLanes, T> y, Unrolled4<TLanes, T> z) =>
        new(TLanes.FusedMultiplyAdd(x._a, y._a, z._a), TLanes.FusedMultiplyAdd(x._b, y._b, z._b), TLanes.FusedMultiplyAdd(x._c, y._c, z._c), TLanes.FusedMultiplyAdd(x._d, y._d, z._d));
}
