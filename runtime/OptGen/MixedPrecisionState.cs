using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OptGen;

/// <summary>
/// The state of a mixed-precision optimizer, stored as declared (float32, bfloat16 or blockwise 8-bit, plus float master
/// weights), and the step over it: chunk by chunk, the parameters, gradients and state are widened into float scratch
/// that stays in the first-level cache, the generated float update runs on it, and the results are rounded back. Each
/// value is read from memory once and written once per step, in its stored form.
/// </summary>
/// <typeparam name="T">The parameters' element type: float, Half or BFloat16.</typeparam>
internal sealed class MixedPrecisionState<T> : IPartitionedStep<T>
    where T : unmanaged
{
    /// <summary>
    /// Elements per chunk: whole quantization blocks (parallel chunks start at multiples of 1024). Four times 1024, because
    /// the quantizer's per-call setup cost 5× its work on 1,024-element chunks; the scratch (96 KiB) stays in the second-level cache.
    /// </summary>
    private const int ChunkLength = 4096;

    /// <summary>Elements of each 2-byte stream widened in turn.</summary>
    private const int WidenPiece = 512;

    /// <summary>Float scratch per thread: parameters, gradients and up to four states, each one chunk.</summary>
    [ThreadStatic]
    private static float[]? t_scratch;

    private readonly MixedPrecisionOptions _options;
    private readonly int _length;
    private readonly int _trustRatioBuffer;
    private readonly StateArray[] _buffers;
    private readonly float[]? _master;
    private bool _masterReady;

    // The running step, for its chunks.
    private IStagedStep? _kernel;
    private StepRuns<T>? _runs;
    private long _step;
    private bool _writeStates;

    public MixedPrecisionState(int length, IReadOnlyList<string> names, MixedPrecisionOptions options, int trustRatioBuffer)
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(Half) && typeof(T) != typeof(BFloat16))
        {
            throw Precision.Unsupported<T>();
        }

        _options = options;
        _length = length;
        _trustRatioBuffer = trustRatioBuffer;
        _buffers = new StateArray[options.InitialValues.Length];
        for (int i = 0; i < _buffers.Length; i++)
        {
            // A two-pass rule's update buffer is scratch between its passes, not state: it keeps full precision.
            StateStorage storage = i == trustRatioBuffer ? StateStorage.Float32 : options.Storage;
            _buffers[i] = new StateArray(names[i], storage, length, signed: !options.NonNegative[i]);
        }

        _master = options.MasterWeights ? new float[length] : null;
        Reset();
    }

    /// <summary>Bytes of state per parameter: every buffer in its stored form, block maxima and master weights included.</summary>
    public double BytesPerParameter
    {
        get
        {
            double bytes = _master is null ? 0 : sizeof(float);
            foreach (StateArray buffer in _buffers)
            {
                bytes += buffer.BytesPerValue;
            }

            return bytes;
        }
    }

    /// <summary>The master weights, or null.</summary>
    public float[]? Master => _master;

    /// <summary>The update a two-pass rule's first pass wrote, in float.</summary>
    public ReadOnlySpan<float> TrustRatioValues => _buffers[_trustRatioBuffer].Float;

    /// <summary>Every buffer at its initial value; the master weights are taken from the parameters again at the next step.</summary>
    public void Reset()
    {
        for (int i = 0; i < _buffers.Length; i++)
        {
            _buffers[i].Fill(_options.InitialValues[i]);
        }

        _masterReady = false;
    }

    /// <summary>Buffer <paramref name="index"/> (the master weights after the rule's buffers) as a span of its stored type.</summary>
    public Span<TStored> Buffer<TStored>(int index)
        where TStored : unmanaged
    {
        Array stored = index == _buffers.Length && _master is not null ? _master : _buffers[index].Values;
        return stored is TStored[] values
            ? values
            : throw new NotSupportedException(
                $"State buffer {index} is stored as {stored.GetType().GetElementType()!.Name}, not {typeof(TStored).Name}; read it with ReadStateBuffer, which converts it to float.");
    }

    /// <summary>Buffer <paramref name="index"/>'s values in float (dequantized).</summary>
    public void Read(int index, Span<float> destination)
    {
        if (index == _buffers.Length)
        {
            _master.AsSpan().CopyTo(destination);
        }
        else
        {
            _buffers[index].Read(0, _length, destination);
        }
    }

    /// <summary>Sets buffer <paramref name="index"/> from float values (rounded or quantized as it is stored).</summary>
    public void Write(int index, ReadOnlySpan<float> source)
    {
        if (index == _buffers.Length)
        {
            source.CopyTo(_master);
            _masterReady = true;
        }
        else
        {
            _buffers[index].Write(0, _length, source);
        }
    }

    /// <summary>The stored arrays, as checkpoints hold them.</summary>
    public List<StoredBuffer> CheckpointBuffers(IReadOnlyList<string> names)
    {
        var list = new List<StoredBuffer>();
        foreach (StateArray buffer in _buffers)
        {
            list.Add(new StoredBuffer(buffer.Name, buffer.Values));
            if (buffer.Maxima is not null)
            {
                list.Add(new StoredBuffer(buffer.Name + ".absmax", buffer.Maxima));
            }
        }

        if (_master is not null)
        {
            list.Add(new StoredBuffer(names[^1], _master));
        }

        return list;
    }

    /// <summary>After a checkpoint was loaded: the master weights are in use once a step has been taken.</summary>
    public void Loaded(long stepCount) => _masterReady = stepCount > 0;

    /// <summary>
    /// Runs one pass of a step over every element: <paramref name="kernel"/> on each part of <paramref name="runs"/>,
    /// chunk by chunk, split across threads.
    /// </summary>
    /// <remarks><c>writeStates</c> is false for the second pass of a two-pass rule, which writes only the parameters.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public KernelPath Run(IStagedStep kernel, Span<T> parameters, ReadOnlySpan<T> gradients, StepRuns<T> runs, int threadCount, long step, bool writeStates)
    {
        if (runs.Count == 0)
        {
            return KernelPath.None;
        }

        if (_master is not null && !_masterReady)
        {
            Precision.Widen<T>(parameters, _master);
            _masterReady = true;
        }

        (_kernel, _runs, _step, _writeStates) = (kernel, runs, step, writeStates);
        try
        {
            return ParallelStep.Run(this, parameters, gradients, threadCount);
        }
        finally
        {
            (_kernel, _runs) = (null, null);
        }
    }

    /// <summary>One chunk of a parallel step (whole 1024-element chunks except at the end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    KernelPath IPartitionedStep<T>.StepRange(Span<T> parameters, ReadOnlySpan<T> gradients, int start)
    {
        float[] scratch = t_scratch ??= new float[(2 + ElementLoop.MaxStateCount) * ChunkLength];
        KernelPath path = KernelPath.None;
        for (int offset = 0; offset < parameters.Length; offset += ChunkLength)
        {
            int length = Math.Min(ChunkLength, parameters.Length - offset);
            KernelPath taken = StepChunk(parameters.Slice(offset, length), gradients.Slice(offset, length), start + offset, scratch);
            path = path == KernelPath.None ? taken : path;
        }

        return path;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private KernelPath StepChunk(Span<T> parameters, ReadOnlySpan<T> gradients, int start, float[] scratch)
    {
        int length = parameters.Length;
        bool widenParameters = _master is null && typeof(T) != typeof(float);
        Span<float> p = _master is not null ? _master.AsSpan(start, length)
            : typeof(T) == typeof(float) ? MemoryMarshal.Cast<T, float>(parameters)
            : scratch.AsSpan(0, length);
        Span<float> g = typeof(T) == typeof(float) ? MemoryMarshal.CreateSpan(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(gradients)), length) : scratch.AsSpan(ChunkLength, length);
        Span<float> s0 = Stage(0, start, length, scratch);
        Span<float> s1 = Stage(1, start, length, scratch);
        Span<float> s2 = Stage(2, start, length, scratch);
        Span<float> s3 = Stage(3, start, length, scratch);

        // The 2-byte streams are widened a piece of each in turn, so that memory serves all of them at once: one whole
        // stream after another ran at half the bandwidth (each conversion waiting on its own stream).
        for (int piece = 0; piece < length; piece += WidenPiece)
        {
            int count = Math.Min(WidenPiece, length - piece);
            if (widenParameters)
            {
                Precision.Widen<T>(parameters.Slice(piece, count), p.Slice(piece, count));
            }

            if (typeof(T) != typeof(float))
            {
                Precision.Widen(gradients.Slice(piece, count), g.Slice(piece, count));
            }

            for (int i = 0; i < _buffers.Length; i++)
            {
                if (_buffers[i].Storage == StateStorage.BFloat16)
                {
                    OptGen.BFloat16.ConvertToSingle(_buffers[i].BFloat16.AsSpan(start + piece, count), StageOf(i, s0, s1, s2, s3).Slice(piece, count));
                }
            }
        }

        StepRuns<T> runs = _runs!;
        KernelPath path = KernelPath.None;
        int end = start + length;
        uint updatedBlocks = 0; // bit b: block b of the chunk has an updated element
        for (int r = runs.IndexAtOrAfter(start); r < runs.Count && runs[r].Offset < end; r++)
        {
            int from = Math.Max(runs[r].Offset, start) - start;
            int to = Math.Min(runs[r].Offset + runs[r].Length, end) - start;
            if (from >= to)
            {
                continue;
            }

            int count = to - from;
            updatedBlocks |= BlockMask(from, to);
            KernelPath taken = _kernel!.StepStaged(
                p.Slice(from, count), g.Slice(from, count), Part(s0, from, count), Part(s1, from, count), Part(s2, from, count), Part(s3, from, count), start + from);
            path = path == KernelPath.None ? taken : path;

            // Only the updated elements are rounded back: a frozen tensor's parameters keep their bits.
            if (_master is not null || typeof(T) != typeof(float))
            {
                StoreParameters(p.Slice(from, count), parameters.Slice(from, count), start + from);
            }

            if (_writeStates)
            {
                for (int i = 0; i < _buffers.Length; i++)
                {
                    if (_buffers[i].Storage == StateStorage.BFloat16)
                    {
                        BFloat16.ConvertFromSingle(StageOf(i, s0, s1, s2, s3).Slice(from, count), _buffers[i].BFloat16.AsSpan(start + from, count));
                    }
                }
            }
        }

        if (_writeStates && updatedBlocks != 0)
        {
            // Whole blocks, since a block's maximum depends on all its values; only blocks with an updated element, since
            // requantizing a block is not exact (a frozen tensor's state must stay as it is).
            for (int i = 0; i < _buffers.Length; i++)
            {
                if (_buffers[i].Storage != StateStorage.Blockwise8Bit)
                {
                    continue;
                }

                Span<float> staged = StageOf(i, s0, s1, s2, s3);
                if (updatedBlocks == BlockMask(0, length))
                {
                    _buffers[i].Write(start, length, staged);
                    continue;
                }

                for (int block = 0; block * BlockwiseQuantization.BlockLength < length; block++)
                {
                    if ((updatedBlocks & (1u << block)) != 0)
                    {
                        int offset = block * BlockwiseQuantization.BlockLength;
                        int count = Math.Min(BlockwiseQuantization.BlockLength, length - offset);
                        _buffers[i].Write(start + offset, count, staged.Slice(offset, count));
                    }
                }
            }
        }

        return path;
    }

    /// <summary>The blocks of a chunk that elements [from, to) of it touch, as bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint BlockMask(int from, int to)
    {
        int first = from / BlockwiseQuantization.BlockLength;
        int last = (to - 1) / BlockwiseQuantization.BlockLength;
        return (uint)((2UL << last) - (1UL << first));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StoreParameters(ReadOnlySpan<float> values, Span<T> parameters, int index)
    {
        if (typeof(T) == typeof(BFloat16) && _options.StochasticRounding)
        {
            StochasticRounding.ToBFloat16(values, MemoryMarshal.Cast<T, BFloat16>(parameters), (ulong)_options.Seed, _step, index);
        }
        else
        {
            Precision.Narrow(values, parameters);
        }
    }

    private static Span<float> Part(Span<float> values, int from, int count) => values.IsEmpty ? default : values.Slice(from, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<float> StageOf(int i, Span<float> s0, Span<float> s1, Span<float> s2, Span<float> s3) => i switch
    {
        0 => s0,
        1 => s1,
        2 => s2,
        _ => s3,
    };

    /// <summary>State <paramref name="index"/>'s chunk in float: the buffer itself if it is float, else widened into scratch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Span<float> Stage(int index, int start, int length, float[] scratch)
    {
        if (index >= _buffers.Length)
        {
            return default;
        }

        StateArray buffer = _buffers[index];
        if (buffer.Storage == StateStorage.Float32)
        {
            return buffer.Float.AsSpan(start, length);
        }

        // Bfloat16 state is widened with the other 2-byte streams; 8-bit state, whose blocks dequantize together, here.
        Span<float> staged = scratch.AsSpan((2 + index) * ChunkLength, length);
        if (buffer.Storage == StateStorage.Blockwise8Bit)
        {
            buffer.Read(start, length, staged);
        }

        return staged;
    }

    /// <summary>One state buffer in its stored form.</summary>
    private sealed class StateArray
    {
        public StateArray(string name, StateStorage storage, int length, bool signed)
        {
            Name = name;
            Storage = storage;
            Signed = signed;
            switch (storage)
            {
                case StateStorage.Float32:
                    Float = new float[length];
                    Values = Float;
                    break;
                case StateStorage.BFloat16:
                    BFloat16 = new BFloat16[length];
                    Values = BFloat16;
                    break;
                default:
                    Codes = new byte[length];
                    Maxima = new float[BlockwiseQuantization.BlockCount(length)];
                    Values = Codes;
                    break;
            }
        }

        public string Name { get; }

        public StateStorage Storage { get; }

        public bool Signed { get; }

        public float[] Float { get; } = [];

        public BFloat16[] BFloat16 { get; } = [];

        public byte[] Codes { get; } = [];

        public float[]? Maxima { get; }

        /// <summary>The array that holds the values (the codes for 8-bit storage).</summary>
        public Array Values { get; }

        public double BytesPerValue => Storage switch
        {
            StateStorage.Float32 => sizeof(float),
            StateStorage.BFloat16 => 2,
            _ => 1 + ((double)sizeof(float) / BlockwiseQuantization.BlockLength),
        };

        public void Fill(float value)
        {
            switch (Storage)
            {
                case StateStorage.Float32:
                    Array.Fill(Float, value);
                    break;
                case StateStorage.BFloat16:
                    Array.Fill(BFloat16, (BFloat16)value);
                    break;
                default:
                    // One block quantized, copied to every block: each block holds the same values.
                    int block = Math.Min(BlockwiseQuantization.BlockLength, Codes.Length);
                    Span<float> values = stackalloc float[BlockwiseQuantization.BlockLength];
                    values.Fill(value);
                    Span<float> maximum = stackalloc float[1];
                    BlockwiseQuantization.Quantize(values[..block], Codes.AsSpan(0, block), maximum[..(block > 0 ? 1 : 0)], Signed);
                    for (int i = block; i < Codes.Length; i += block)
                    {
                        Codes.AsSpan(0, Math.Min(block, Codes.Length - i)).CopyTo(Codes.AsSpan(i));
                    }

                    Array.Fill(Maxima!, block > 0 ? maximum[0] : 0f);
                    break;
            }
        }

        /// <summary>Values [start, start + length) in float; start is a multiple of the block length.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Read(int start, int length, Span<float> destination)
        {
            switch (Storage)
            {
                case StateStorage.Float32:
                    Float.AsSpan(start, length).CopyTo(destination);
                    break;
                case StateStorage.BFloat16:
                    OptGen.BFloat16.ConvertToSingle(BFloat16.AsSpan(start, length), destination);
                    break;
                default:
                    BlockwiseQuantization.DequantizeBlocks(Codes.AsSpan(start, length), Blocks(start, length), destination[..length], Signed);
                    break;
            }
        }

        /// <summary>Stores values [start, start + length); start is a multiple of the block length.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Write(int start, int length, ReadOnlySpan<float> source)
        {
            switch (Storage)
            {
                case StateStorage.Float32:
                    source[..length].CopyTo(Float.AsSpan(start, length));
                    break;
                case StateStorage.BFloat16:
                    OptGen.BFloat16.ConvertFromSingle(source[..length], BFloat16.AsSpan(start, length));
                    break;
                default:
                    BlockwiseQuantization.QuantizeBlocks(source[..length], Codes.AsSpan(start, length), Blocks(start, length), Signed);
                    break;
            }
        }

        private Span<float> Blocks(int start, int length) =>
            Maxima.AsSpan(start / BlockwiseQuantization.BlockLength, BlockwiseQuantization.BlockCount(length));
    }
}
