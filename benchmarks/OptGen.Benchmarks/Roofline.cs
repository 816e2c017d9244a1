using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OptGen.Benchmarks;

/// <summary>
/// STREAM-style memory kernels with an optimizer's read/write mix and trivial arithmetic: the time they take is what
/// moving the bytes costs, so their GB/s is the bandwidth achievable for that mix at that size (from cache for small
/// arrays, from memory for large ones). Widest accelerated vectors (Vector512, else Vector256), unrolled 4×.
/// </summary>
public static class RooflineKernels
{
    /// <summary>The Adam/AdamW mix: reads a, b, c, d; writes a, b, c (a += d, b += d, c += d).</summary>
    public static void Four(Span<float> a, ReadOnlySpan<float> d, Span<float> b, Span<float> c)
    {
        if (d.Length != a.Length || b.Length != a.Length || c.Length != a.Length)
        {
            throw new ArgumentException("All spans must have the same length.", nameof(d));
        }

        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        ref float rc = ref MemoryMarshal.GetReference(c);
        ref float rd = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)a.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            nuint w = (nuint)Vector512<float>.Count;
            for (; i + (4 * w) <= n; i += 4 * w)
            {
                Vector512<float> x0 = Vector512.LoadUnsafe(ref rd, i);
                Vector512<float> x1 = Vector512.LoadUnsafe(ref rd, i + w);
                Vector512<float> x2 = Vector512.LoadUnsafe(ref rd, i + (2 * w));
                Vector512<float> x3 = Vector512.LoadUnsafe(ref rd, i + (3 * w));
                Vector512<float> a0 = Vector512.LoadUnsafe(ref ra, i);
                Vector512<float> a1 = Vector512.LoadUnsafe(ref ra, i + w);
                Vector512<float> a2 = Vector512.LoadUnsafe(ref ra, i + (2 * w));
                Vector512<float> a3 = Vector512.LoadUnsafe(ref ra, i + (3 * w));
                Vector512<float> b0 = Vector512.LoadUnsafe(ref rb, i);
                Vector512<float> b1 = Vector512.LoadUnsafe(ref rb, i + w);
                Vector512<float> b2 = Vector512.LoadUnsafe(ref rb, i + (2 * w));
                Vector512<float> b3 = Vector512.LoadUnsafe(ref rb, i + (3 * w));
                Vector512<float> c0 = Vector512.LoadUnsafe(ref rc, i);
                Vector512<float> c1 = Vector512.LoadUnsafe(ref rc, i + w);
                Vector512<float> c2 = Vector512.LoadUnsafe(ref rc, i + (2 * w));
                Vector512<float> c3 = Vector512.LoadUnsafe(ref rc, i + (3 * w));
                (a0 + x0).StoreUnsafe(ref ra, i);
                (a1 + x1).StoreUnsafe(ref ra, i + w);
                (a2 + x2).StoreUnsafe(ref ra, i + (2 * w));
                (a3 + x3).StoreUnsafe(ref ra, i + (3 * w));
                (b0 + x0).StoreUnsafe(ref rb, i);
                (b1 + x1).StoreUnsafe(ref rb, i + w);
                (b2 + x2).StoreUnsafe(ref rb, i + (2 * w));
                (b3 + x3).StoreUnsafe(ref rb, i + (3 * w));
                (c0 + x0).StoreUnsafe(ref rc, i);
                (c1 + x1).StoreUnsafe(ref rc, i + w);
                (c2 + x2).StoreUnsafe(ref rc, i + (2 * w));
                (c3 + x3).StoreUnsafe(ref rc, i + (3 * w));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            nuint w = (nuint)Vector256<float>.Count;
            for (; i + (4 * w) <= n; i += 4 * w)
            {
                Vector256<float> x0 = Vector256.LoadUnsafe(ref rd, i);
                Vector256<float> x1 = Vector256.LoadUnsafe(ref rd, i + w);
                Vector256<float> x2 = Vector256.LoadUnsafe(ref rd, i + (2 * w));
                Vector256<float> x3 = Vector256.LoadUnsafe(ref rd, i + (3 * w));
                Vector256<float> a0 = Vector256.LoadUnsafe(ref ra, i);
                Vector256<float> a1 = Vector256.LoadUnsafe(ref ra, i + w);
                Vector256<float> a2 = Vector256.LoadUnsafe(ref ra, i + (2 * w));
                Vector256<float> a3 = Vector256.LoadUnsafe(ref ra, i + (3 * w));
                Vector256<float> b0 = Vector256.LoadUnsafe(ref rb, i);
                Vector256<float> b1 = Vector256.LoadUnsafe(ref rb, i + w);
                Vector256<float> b2 = Vector256.LoadUnsafe(ref rb, i + (2 * w));
                Vector256<float> b3 = Vector256.LoadUnsafe(ref rb, i + (3 * w));
                Vector256<float> c0 = Vector256.LoadUnsafe(ref rc, i);
                Vector256<float> c1 = Vector256.LoadUnsafe(ref rc, i + w);
                Vector256<float> c2 = Vector256.LoadUnsafe(ref rc, i + (2 * w));
                Vector256<float> c3 = Vector256.LoadUnsafe(ref rc, i + (3 * w));
                (a0 + x0).StoreUnsafe(ref ra, i);
                (a1 + x1).StoreUnsafe(ref ra, i + w);
                (a2 + x2).StoreUnsafe(ref ra, i + (2 * w));
                (a3 + x3).StoreUnsafe(ref ra, i + (3 * w));
                (b0 + x0).StoreUnsafe(ref rb, i);
                (b1 + x1).StoreUnsafe(ref rb, i + w);
                (b2 + x2).StoreUnsafe(ref rb, i + (2 * w));
                (b3 + x3).StoreUnsafe(ref rb, i + (3 * w));
                (c0 + x0).StoreUnsafe(ref rc, i);
                (c1 + x1).StoreUnsafe(ref rc, i + w);
                (c2 + x2).StoreUnsafe(ref rc, i + (2 * w));
                (c3 + x3).StoreUnsafe(ref rc, i + (3 * w));
            }
        }

        for (; i < n; i++)
        {
            float x = Unsafe.Add(ref rd, i);
            Unsafe.Add(ref ra, i) += x;
            Unsafe.Add(ref rb, i) += x;
            Unsafe.Add(ref rc, i) += x;
        }
    }

    /// <summary>The RMSprop/AdaGrad/SGD-momentum mix: reads a, b, c; writes a, b (a += c, b += c).</summary>
    public static void Three(Span<float> a, ReadOnlySpan<float> c, Span<float> b)
    {
        if (c.Length != a.Length || b.Length != a.Length)
        {
            throw new ArgumentException("All spans must have the same length.", nameof(c));
        }

        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        ref float rc = ref MemoryMarshal.GetReference(c);
        nuint n = (nuint)a.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            nuint w = (nuint)Vector512<float>.Count;
            for (; i + (4 * w) <= n; i += 4 * w)
            {
                Vector512<float> x0 = Vector512.LoadUnsafe(ref rc, i);
                Vector512<float> x1 = Vector512.LoadUnsafe(ref rc, i + w);
                Vector512<float> x2 = Vector512.LoadUnsafe(ref rc, i + (2 * w));
                Vector512<float> x3 = Vector512.LoadUnsafe(ref rc, i + (3 * w));
                Vector512<float> a0 = Vector512.LoadUnsafe(ref ra, i);
                Vector512<float> a1 = Vector512.LoadUnsafe(ref ra, i + w);
                Vector512<float> a2 = Vector512.LoadUnsafe(ref ra, i + (2 * w));
                Vector512<float> a3 = Vector512.LoadUnsafe(ref ra, i + (3 * w));
                Vector512<float> b0 = Vector512.LoadUnsafe(ref rb, i);
                Vector512<float> b1 = Vector512.LoadUnsafe(ref rb, i + w);
                Vector512<float> b2 = Vector512.LoadUnsafe(ref rb, i + (2 * w));
                Vector512<float> b3 = Vector512.LoadUnsafe(ref rb, i + (3 * w));
                (a0 + x0).StoreUnsafe(ref ra, i);
                (a1 + x1).StoreUnsafe(ref ra, i + w);
                (a2 + x2).StoreUnsafe(ref ra, i + (2 * w));
                (a3 + x3).StoreUnsafe(ref ra, i + (3 * w));
                (b0 + x0).StoreUnsafe(ref rb, i);
                (b1 + x1).StoreUnsafe(ref rb, i + w);
                (b2 + x2).StoreUnsafe(ref rb, i + (2 * w));
                (b3 + x3).StoreUnsafe(ref rb, i + (3 * w));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            nuint w = (nuint)Vector256<float>.Count;
            for (; i + (4 * w) <= n; i += 4 * w)
            {
                Vector256<float> x0 = Vector256.LoadUnsafe(ref rc, i);
                Vector256<float> x1 = Vector256.LoadUnsafe(ref rc, i + w);
                Vector256<float> x2 = Vector256.LoadUnsafe(ref rc, i + (2 * w));
                Vector256<float> x3 = Vector256.LoadUnsafe(ref rc, i + (3 * w));
                Vector256<float> a0 = Vector256.LoadUnsafe(ref ra, i);
                Vector256<float> a1 = Vector256.LoadUnsafe(ref ra, i + w);
                Vector256<float> a2 = Vector256.LoadUnsafe(ref ra, i + (2 * w));
                Vector256<float> a3 = Vector256.LoadUnsafe(ref ra, i + (3 * w));
                Vector256<float> b0 = Vector256.LoadUnsafe(ref rb, i);
                Vector256<float> b1 = Vector256.LoadUnsafe(ref rb, i + w);
                Vector256<float> b2 = Vector256.LoadUnsafe(ref rb, i + (2 * w));
                Vector256<float> b3 = Vector256.LoadUnsafe(ref rb, i + (3 * w));
                (a0 + x0).StoreUnsafe(ref ra, i);
                (a1 + x1).StoreUnsafe(ref ra, i + w);
                (a2 + x2).StoreUnsafe(ref ra, i + (2 * w));
                (a3 + x3).StoreUnsafe(ref ra, i + (3 * w));
                (b0 + x0).StoreUnsafe(ref rb, i);
                (b1 + x1).StoreUnsafe(ref rb, i + w);
                (b2 + x2).StoreUnsafe(ref rb, i + (2 * w));
                (b3 + x3).StoreUnsafe(ref rb, i + (3 * w));
            }
        }

        for (; i < n; i++)
        {
            float x = Unsafe.Add(ref rc, i);
            Unsafe.Add(ref ra, i) += x;
            Unsafe.Add(ref rb, i) += x;
        }
    }
}

/// <summary>
/// Floats whose first element sits on a 64-byte boundary (a pinned array, sliced at the aligned offset): the roofline
/// runs on such buffers, because a Vector512 access that straddles two cache lines costs more, and the GC aligns an
/// array's data to 8 bytes only.
/// </summary>
public sealed class AlignedBuffer
{
    private readonly float[] _array;
    private readonly int _offset;

    /// <summary>
    /// Zeroed (or, if <paramref name="uninitialized"/>, uninitialised) memory for <paramref name="length"/> floats,
    /// <paramref name="slot"/> × <see cref="PlacedBuffer.SlotStride"/> floats past the first aligned element (see
    /// <see cref="PlacedBuffer"/>: no two buffers a multiple of 256 MB apart).
    /// </summary>
    public AlignedBuffer(int length, int slot, bool uninitialized = false)
    {
        int extra = 16 + (slot * PlacedBuffer.SlotStride);
        _array = uninitialized ? GC.AllocateUninitializedArray<float>(length + extra, pinned: true) : GC.AllocateArray<float>(length + extra, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
        _offset = (int)((64 - (address % 64)) % 64 / sizeof(float)) + (slot * PlacedBuffer.SlotStride);
        Length = length;
    }

    /// <summary>Number of floats.</summary>
    public int Length { get; }

    /// <summary>The aligned floats.</summary>
    public Span<float> Span => _array.AsSpan(_offset, Length);
}

/// <summary>
/// A roofline kernel over 64-byte-aligned buffers of its own, stepped like a generated optimizer:
/// <see cref="ParallelStep.Run"/> splits it into the same chunks on the same worker pool (and runs it on the calling
/// thread below the same size threshold).
/// </summary>
public sealed class Roofline : IPartitionedStep<float>
{
    private readonly AlignedBuffer _a;
    private readonly AlignedBuffer _d;
    private readonly AlignedBuffer _b;
    private readonly AlignedBuffer? _c;
    private readonly int _threads;

    /// <summary>Four streams (the Adam mix) or three, of <paramref name="length"/> floats; d filled, the others zero.</summary>
    public Roofline(int length, bool fourStreams, int threads)
    {
        _a = new AlignedBuffer(length, 0);
        _d = new AlignedBuffer(length, 1, uninitialized: true);
        TestData.Fill(_d.Span, 3, -0.5f, 0.5f);
        _b = new AlignedBuffer(length, 2);
        _c = fourStreams ? new AlignedBuffer(length, 3) : null;
        _threads = threads;
    }

    private Roofline(Roofline other, int threads)
    {
        _a = other._a;
        _d = other._d;
        _b = other._b;
        _c = other._c;
        _threads = threads;
    }

    /// <summary>The same buffers, stepped on <paramref name="threads"/> threads.</summary>
    public Roofline WithThreads(int threads) => new(this, threads);

    /// <summary>The streams, for checking: a, d, b, c (empty with three streams).</summary>
    public (float[] A, float[] D, float[] B, float[] C) Snapshot() =>
        (_a.Span.ToArray(), _d.Span.ToArray(), _b.Span.ToArray(), _c is null ? [] : _c.Span.ToArray());

    /// <summary>One pass over all elements.</summary>
    public void Step() => ParallelStep.Run(this, _a.Span, _d.Span, _threads);

    /// <inheritdoc/>
    public KernelPath StepRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start)
    {
        Span<float> b = _b.Span.Slice(start, parameters.Length);
        if (_c is null)
        {
            RooflineKernels.Three(parameters, gradients, b);
        }
        else
        {
            RooflineKernels.Four(parameters, gradients, b, _c.Span.Slice(start, parameters.Length));
        }

        return Vector512.IsHardwareAccelerated ? KernelPath.Vector512 : KernelPath.Vector256;
    }
}
