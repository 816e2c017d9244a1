using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace OptGen;

/// <summary>
/// Writes and reads optimizer checkpoints: a complete <see cref="CheckpointContent{T}"/> in a self-checking binary file.
/// </summary>
/// <remarks>
/// <para>
/// Format versions 1, 2 and 3 (also described in <c>docs/checkpoint-format.md</c>). All integers and floating-point
/// values are little-endian; "CRC-64" is <see cref="Crc64"/> (ECMA-182), which detects every single-bit error. Version 2
/// adds the persistent per-step scalars at the end of the header; <see cref="Write{T}"/> writes a checkpoint without any
/// as version 1, so that readers of version 1 still read it, and a version-1 checkpoint reads as one without any.
/// Version 3, which only <see cref="WriteStored"/> writes, gives each buffer its own element size and count, so that a
/// mixed-precision optimizer's compact state (bfloat16 or 8-bit moments, float master weights) is saved as it is kept.
/// </para>
/// <list type="table">
/// <listheader><term>Offset: field (type)</term><description>Meaning</description></listheader>
/// <item><term>0: magic (8 bytes)</term><description>ASCII <c>OPTGCKPT</c>.</description></item>
/// <item><term>8: version (u32)</term><description>1 to <see cref="FormatVersion"/>. Higher: <see cref="CheckpointError.UnsupportedVersion"/>; 0: corrupt.</description></item>
/// <item><term>12: header length H (u32)</term><description>Bytes of header fields from offset 20; at most 1 MiB.</description></item>
/// <item><term>16: header length check (u32)</term><description>The bitwise complement of H, so that a damaged H reads as corrupt rather than truncated.</description></item>
/// <item><term>20: fingerprint length F (u32)</term><description>At most 64 KiB.</description></item>
/// <item><term>24: fingerprint (F bytes)</term><description>UTF-8: identifies the update rule and hyperparameters.</description></item>
/// <item><term>24+F: element size (u8)</term><description>Versions 1 and 2: 4 (<see cref="float"/>) or 8 (<see cref="double"/>), for every buffer. Version 3: 0, each buffer gives its own.</description></item>
/// <item><term>then: length (i32)</term><description>Parameters; ≥ 0. In versions 1 and 2 also the element count of every buffer.</description></item>
/// <item><term>then: step count (i64)</term><description>≥ 0.</description></item>
/// <item><term>then: skipped step count (i64)</term><description>≥ 0.</description></item>
/// <item><term>then: base learning rate (f64)</term><description>Finite, &gt; 0.</description></item>
/// <item><term>then: has plateau (u8)</term><description>0 or 1; if 1, four fields follow: learning rate (f64, finite, ≥ 0), best (f64, not NaN), bad reports (i32, ≥ 0), cooldown remaining (i32, ≥ 0).</description></item>
/// <item><term>then: buffer count N (u32)</term><description>Followed by N names, each a u32 byte length and UTF-8 text; in version 3 each name is followed by the buffer's element size (u8: 1, 2, 4 or 8) and element count (i64, ≥ 0). In version 1 the header fields end here, at 20+H.</description></item>
/// <item><term>then (versions 2 and 3): scalar count S (u32)</term><description>Followed by S persistent per-step scalars, each a name (u32 byte length and UTF-8 text) and its value (f64, any). The header fields end here, at 20+H.</description></item>
/// <item><term>20+H: header checksum (u64)</term><description>CRC-64 of bytes [0, 20+H).</description></item>
/// <item><term>28+H: buffer data</term><description>Each buffer's elements in order, as raw bytes (IEEE 754 for floating-point types): element size × element count bytes per buffer, so N × length × element size in versions 1 and 2.</description></item>
/// <item><term>end − 8: file checksum (u64)</term><description>CRC-64 of everything before it. The checkpoint ends here: its size follows from the header, so it can be embedded in a longer stream, and a reader leaves the stream just after it.</description></item>
/// </list>
/// <para>
/// Buffers are stored as the platform's raw bytes, so writing and reading throw <see cref="PlatformNotSupportedException"/>
/// on big-endian platforms.
/// </para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The newest format version this library writes and reads.</summary>
    public const int FormatVersion = FormatVersionPerBuffer;

    /// <summary>The version <see cref="Write{T}"/> writes when there are no persistent per-step scalars, which version 1 cannot hold.</summary>
    private const int FormatVersionWithoutScalars = 1;

    /// <summary>The version <see cref="Write{T}"/> writes otherwise: the newest with one element size for every buffer, which readers of version 2 read.</summary>
    private const int FormatVersionUniform = 2;

    /// <summary>The version <see cref="WriteStored"/> writes: each buffer has its own element size and count.</summary>
    private const int FormatVersionPerBuffer = 3;

    /// <summary>The header's element size in version 3, where each buffer gives its own.</summary>
    private const int PerBufferElementSize = 0;

    // Magic, version, header length and its complement.
    private const int PrefixSize = 20;
    private const int MaxHeaderLength = 1 << 20;
    private const int MaxFingerprintBytes = 64 * 1024;
    private const int ChunkBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> Magic => "OPTGCKPT"u8;

    /// <summary>Writes <paramref name="content"/> to <paramref name="destination"/>: as format version 1, or 2 if it has persistent per-step scalars.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="destination">A writable stream; it is neither flushed nor closed.</param>
    /// <param name="content">The state to save.</param>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither <see cref="float"/> nor <see cref="double"/>.</exception>
    /// <exception cref="PlatformNotSupportedException">The platform is big-endian.</exception>
    /// <exception cref="ArgumentException">
    /// A value could not be read back: the base learning rate is not finite and positive, the plateau state is not sane,
    /// a text is not valid UTF-16, the fingerprint exceeds 64 KiB or the header 1 MiB in UTF-8.
    /// </exception>
    public static void Write<T>(Stream destination, CheckpointContent<T> content)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(content);
        int elementSize = ElementSize<T>();
        int version = content.ScalarStateNames.Count > 0 ? FormatVersionUniform : FormatVersionWithoutScalars;
        WriteCheckpoint(destination, content, nameof(content), version, elementSize, UniformShapes(content.BufferNames, elementSize, content.Length), content.Buffers, nameof(content));
    }

    /// <summary>
    /// Writes a checkpoint whose buffers keep their stored form, each with its own element type and count (format
    /// version 3): a mixed-precision optimizer's state (bfloat16 moments, 8-bit codes and their per-block maxima, float
    /// master weights) is saved bit for bit as it is kept. <see cref="ReadStoredInto"/> reads it.
    /// </summary>
    /// <param name="destination">A writable stream; it is neither flushed nor closed.</param>
    /// <param name="header">
    /// Everything but the buffers: fingerprint, parameter count (<see cref="CheckpointContent{T}.Length"/>, which need
    /// not be any buffer's count), step counts, base learning rate, plateau state and persistent per-step scalars. It has
    /// no buffers; its element type is not used.
    /// </param>
    /// <param name="buffers">The state buffers, in order.</param>
    /// <exception cref="PlatformNotSupportedException">The platform is big-endian.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="header"/> has buffers; a buffer has no name or data, or its data is not an array of one of the
    /// element types <see cref="StoredBuffer.Data"/> lists; or a value could not be read back, as for <see cref="Write{T}"/>.
    /// </exception>
    public static void WriteStored(Stream destination, CheckpointContent<byte> header, IReadOnlyList<StoredBuffer> buffers)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(header);
        if (header.BufferNames.Count > 0)
        {
            throw new ArgumentException($"The header has {header.BufferNames.Count} buffers; pass every buffer in its stored form as {nameof(buffers)} instead.", nameof(header));
        }

        (BufferShape[] shapes, Array[] data) = Describe(buffers, nameof(buffers));
        WriteCheckpoint(destination, header, nameof(header), FormatVersionPerBuffer, PerBufferElementSize, shapes, data, nameof(buffers));
    }

    /// <summary>
    /// Reads and fully validates a checkpoint into fresh buffers: returns only if the whole checkpoint is intact and
    /// matches; otherwise throws <see cref="CheckpointException"/> and allocates nothing large before the header is validated.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="source">A readable stream positioned at the checkpoint; it is left positioned just after it (a checkpoint
    /// is self-delimiting, so other data may follow).</param>
    /// <param name="expectedFingerprint">The loading optimizer's fingerprint.</param>
    /// <param name="expectedLength">The loading optimizer's parameter count.</param>
    /// <param name="expectedBufferNames">The loading optimizer's state buffer names, in order.</param>
    /// <param name="expectPlateau">Whether the loading optimizer has a plateau schedule.</param>
    /// <param name="expectedScalarStateNames">The loading optimizer's persistent per-step scalar names, in order; none if null.</param>
    /// <returns>The saved state, in freshly allocated buffers.</returns>
    /// <exception cref="CheckpointException">
    /// The data is not an intact checkpoint that matches the expectations; <see cref="CheckpointException.Error"/> says
    /// why. A format-3 checkpoint (<see cref="WriteStored"/>) is an <see cref="CheckpointError.ElementTypeMismatch"/>.
    /// </exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither <see cref="float"/> nor <see cref="double"/>.</exception>
    /// <exception cref="PlatformNotSupportedException">The platform is big-endian.</exception>
    public static CheckpointContent<T> Read<T>(
        Stream source, string expectedFingerprint, int expectedLength, IReadOnlyList<string> expectedBufferNames, bool expectPlateau, IReadOnlyList<string>? expectedScalarStateNames = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(expectedBufferNames);
        int elementSize = ElementSize<T>();
        var input = new Input(source);
        SavedHeader saved = ReadHeader(
            input, source, expectedFingerprint, expectedLength, expectPlateau, expectedScalarStateNames, elementSize, UniformShapes(expectedBufferNames, elementSize, expectedLength));
        var buffers = new T[saved.Buffers.Length][];
        for (int b = 0; b < buffers.Length; b++)
        {
            buffers[b] = new T[saved.Length];
        }

        // Fresh buffers: nobody sees them unless the checksum matches, so one pass reads straight into them.
        ReadData(input, saved, buffers);
        return saved.Content(Names(saved.Buffers), buffers);
    }

    /// <summary>
    /// Reads a checkpoint into an optimizer's own buffers, in bounded memory (one 1 MiB block, whatever the state's size):
    /// the whole checkpoint is verified first and only then copied into <paramref name="destinations"/>, so an invalid
    /// checkpoint changes nothing. A seekable stream is read twice (verify, then seek back and copy); any other stream is
    /// verified while it is copied to a temporary file, which the copy then reads and deletes.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="source">A readable stream positioned at the checkpoint; it is left positioned just after it.</param>
    /// <param name="expectedFingerprint">The loading optimizer's fingerprint.</param>
    /// <param name="expectedLength">The loading optimizer's parameter count.</param>
    /// <param name="expectedBufferNames">The loading optimizer's state buffer names, in order.</param>
    /// <param name="expectPlateau">Whether the loading optimizer has a plateau schedule.</param>
    /// <param name="destinations">The buffers to fill, one per name, each <paramref name="expectedLength"/> long.</param>
    /// <param name="expectedScalarStateNames">The loading optimizer's persistent per-step scalar names, in order; none if null.</param>
    /// <returns>The saved state; its <see cref="CheckpointContent{T}.Buffers"/> are <paramref name="destinations"/>.</returns>
    /// <exception cref="CheckpointException">
    /// The data is not an intact checkpoint that matches the expectations (a format-3 checkpoint is an
    /// <see cref="CheckpointError.ElementTypeMismatch"/>, as in <see cref="Read{T}"/>); nothing was written.
    /// The one exception: if a seekable stream's data changes between the verification and the copy (another writer
    /// rewrote the file in place), the copy's checksum fails, the buffers are partly overwritten and the message says so.
    /// </exception>
    /// <exception cref="ArgumentException">The destinations do not match the expected names and length.</exception>
    public static CheckpointContent<T> ReadInto<T>(
        Stream source,
        string expectedFingerprint,
        int expectedLength,
        IReadOnlyList<string> expectedBufferNames,
        bool expectPlateau,
        IReadOnlyList<T[]> destinations,
        IReadOnlyList<string>? expectedScalarStateNames = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(destinations);
        ArgumentNullException.ThrowIfNull(expectedBufferNames);
        int elementSize = ElementSize<T>();
        if (destinations.Count != expectedBufferNames.Count)
        {
            throw new ArgumentException($"There are {destinations.Count} destination buffers but {expectedBufferNames.Count} buffer names.", nameof(destinations));
        }

        // Copied, so that the buffers checked here are the ones filled.
        T[][] buffers = [.. destinations];
        for (int b = 0; b < buffers.Length; b++)
        {
            if (buffers[b] is not { } destination || destination.Length != expectedLength)
            {
                throw new ArgumentException($"Destination buffer {b} is null or not {expectedLength} elements long.", nameof(destinations));
            }
        }

        var input = new Input(source);
        SavedHeader saved = ReadHeader(
            input, source, expectedFingerprint, expectedLength, expectPlateau, expectedScalarStateNames, elementSize, UniformShapes(expectedBufferNames, elementSize, expectedLength));
        VerifyThenCopy(input, source, saved, buffers);
        return saved.Content(Names(saved.Buffers), buffers);
    }

    /// <summary>
    /// Reads a checkpoint into buffers kept in their stored form, as <see cref="ReadInto{T}"/> does: in bounded memory,
    /// and only after the whole checkpoint is verified, so an invalid checkpoint changes nothing. Reads what
    /// <see cref="WriteStored"/> writes (format 3), and also format 1 and 2 checkpoints (<see cref="Write{T}"/>), whose
    /// buffers are all of the header's element size and <c>length</c> elements long: a <see cref="float"/> optimizer's
    /// checkpoint reads into <see cref="float"/>[] destinations of that length.
    /// </summary>
    /// <param name="source">A readable stream positioned at the checkpoint; it is left positioned just after it.</param>
    /// <param name="expectedFingerprint">The loading optimizer's fingerprint.</param>
    /// <param name="expectedLength">The loading optimizer's parameter count.</param>
    /// <param name="expectPlateau">Whether the loading optimizer has a plateau schedule.</param>
    /// <param name="destinations">
    /// The buffers to fill, in order. The saved buffers must have the same names, element sizes and element counts
    /// (else <see cref="CheckpointError.StateMismatch"/>, naming the buffer and both shapes).
    /// </param>
    /// <param name="expectedScalarStateNames">The loading optimizer's persistent per-step scalar names, in order; none if null.</param>
    /// <returns>The saved header fields (step counts, base learning rate, plateau state, persistent per-step scalars) without buffers.</returns>
    /// <exception cref="CheckpointException">As for <see cref="ReadInto{T}"/>, except that the element sizes are compared buffer by buffer.</exception>
    /// <exception cref="ArgumentException">A destination has no name or data, or its data is not an array of one of the element types <see cref="StoredBuffer.Data"/> lists.</exception>
    /// <exception cref="PlatformNotSupportedException">The platform is big-endian.</exception>
    public static CheckpointContent<byte> ReadStoredInto(
        Stream source,
        string expectedFingerprint,
        int expectedLength,
        bool expectPlateau,
        IReadOnlyList<StoredBuffer> destinations,
        IReadOnlyList<string>? expectedScalarStateNames = null)
    {
        (BufferShape[] shapes, Array[] buffers) = Describe(destinations, nameof(destinations));
        var input = new Input(source);
        SavedHeader saved = ReadHeader(input, source, expectedFingerprint, expectedLength, expectPlateau, expectedScalarStateNames, PerBufferElementSize, shapes);
        VerifyThenCopy(input, source, saved, buffers);
        return saved.Content<byte>([], []);
    }

    /// <summary>
    /// Writes a checkpoint: the header fields of <paramref name="fields"/> (not its buffers) in format
    /// <paramref name="version"/>, then the bytes of <paramref name="data"/>, whose shapes are <paramref name="shapes"/>.
    /// </summary>
    private static void WriteCheckpoint<T>(
        Stream destination,
        CheckpointContent<T> fields,
        string fieldsParameter,
        int version,
        int headerElementSize,
        BufferShape[] shapes,
        IReadOnlyList<Array> data,
        string buffersParameter)
        where T : unmanaged
    {
        RequireLittleEndian();
        if (Implausible(fields.StepCount, fields.SkippedStepCount, fields.BaseLearningRate, fields.Plateau) is string problem)
        {
            throw new ArgumentException($"The checkpoint could not be read back: {problem}.", fieldsParameter);
        }

        byte[] fingerprint = Encode(fields.Fingerprint, "The fingerprint", fieldsParameter);
        if (fingerprint.Length > MaxFingerprintBytes)
        {
            throw new ArgumentException($"The fingerprint is {fingerprint.Length} bytes in UTF-8, more than the {MaxFingerprintBytes} a checkpoint holds.", fieldsParameter);
        }

        bool perBuffer = headerElementSize == PerBufferElementSize;
        var names = new byte[shapes.Length][];
        long headerLength = 4L + fingerprint.Length + 1 + 4 + 8 + 8 + 8 + 1 + (fields.Plateau is null ? 0 : 24) + 4;
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = Encode(shapes[i].Name, $"Buffer name {i}", buffersParameter);
            headerLength += 4L + names[i].Length + (perBuffer ? 1 + 8 : 0);
        }

        bool withScalars = version >= FormatVersionUniform;
        var scalarNames = new byte[fields.ScalarStateNames.Count][];
        if (withScalars)
        {
            headerLength += 4;
            for (int i = 0; i < scalarNames.Length; i++)
            {
                scalarNames[i] = Encode(fields.ScalarStateNames[i], $"Scalar state name {i}", fieldsParameter);
                headerLength += 4L + scalarNames[i].Length + 8;
            }
        }

        if (headerLength > MaxHeaderLength)
        {
            throw new ArgumentException($"The header is {headerLength} bytes, more than the {MaxHeaderLength} a checkpoint holds; shorten the buffer names.", fieldsParameter);
        }

        byte[] header = new byte[PrefixSize + headerLength];
        var writer = new HeaderWriter(header);
        writer.Bytes(Magic);
        writer.UInt32((uint)version);
        writer.UInt32((uint)headerLength);
        writer.UInt32(~(uint)headerLength);
        writer.UInt32((uint)fingerprint.Length);
        writer.Bytes(fingerprint);
        writer.Byte((byte)headerElementSize);
        writer.Int32(fields.Length);
        writer.Int64(fields.StepCount);
        writer.Int64(fields.SkippedStepCount);
        writer.Double(fields.BaseLearningRate);
        writer.Byte(fields.Plateau is null ? (byte)0 : (byte)1);
        if (fields.Plateau is PlateauState plateau)
        {
            writer.Double(plateau.LearningRate);
            writer.Double(plateau.Best);
            writer.Int32(plateau.BadReports);
            writer.Int32(plateau.CooldownRemaining);
        }

        writer.UInt32((uint)names.Length);
        for (int i = 0; i < names.Length; i++)
        {
            writer.UInt32((uint)names[i].Length);
            writer.Bytes(names[i]);
            if (perBuffer)
            {
                writer.Byte((byte)shapes[i].ElementSize);
                writer.Int64(shapes[i].Count);
            }
        }

        if (withScalars)
        {
            writer.UInt32((uint)scalarNames.Length);
            for (int i = 0; i < scalarNames.Length; i++)
            {
                writer.UInt32((uint)scalarNames[i].Length);
                writer.Bytes(scalarNames[i]);
                writer.Double(fields.ScalarStateValues[i]);
            }
        }

        var fileCrc = new Crc64();
        Span<byte> checksum = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, Crc64.HashToUInt64(header));
        Emit(destination, fileCrc, header);
        Emit(destination, fileCrc, checksum);
        for (int b = 0; b < shapes.Length; b++)
        {
            for (long offset = 0; offset < shapes[b].ByteCount; offset += ChunkBytes)
            {
                Emit(destination, fileCrc, Bytes(data[b], offset, (int)Math.Min(ChunkBytes, shapes[b].ByteCount - offset)));
            }
        }

        BinaryPrimitives.WriteUInt64LittleEndian(checksum, fileCrc.GetCurrentHashAsUInt64());
        destination.Write(checksum);
    }

    /// <summary>
    /// Reads, checks and compares the header; leaves <paramref name="input"/> at the first byte of buffer data.
    /// <paramref name="expectedElementSize"/> is the one element size of <see cref="Read{T}"/> and <see cref="ReadInto{T}"/>,
    /// or <see cref="PerBufferElementSize"/> to compare only <paramref name="expectedBuffers"/>, buffer by buffer.
    /// </summary>
    private static SavedHeader ReadHeader(
        Input input,
        Stream source,
        string expectedFingerprint,
        int expectedLength,
        bool expectPlateau,
        IReadOnlyList<string>? expectedScalarStateNames,
        int expectedElementSize,
        BufferShape[] expectedBuffers)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(expectedFingerprint);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedLength);
        expectedScalarStateNames ??= [];
        RequireLittleEndian();
        if (!source.CanRead)
        {
            throw new ArgumentException("The stream is not readable.", nameof(source));
        }

        Span<byte> prefix = stackalloc byte[PrefixSize];
        int magicBytes = input.ReadUpTo(prefix[..Magic.Length]);
        if (!prefix[..magicBytes].SequenceEqual(Magic[..magicBytes]))
        {
            throw new CheckpointException(
                CheckpointError.NotACheckpoint,
                "The data is not an OptGen checkpoint: it does not start with \"OPTGCKPT\". Check that the path names a checkpoint file.");
        }

        if (magicBytes < Magic.Length)
        {
            throw input.Truncated(magicBytes == 0 ? "the checkpoint (the data is empty)" : "the magic bytes");
        }

        input.ReadExactly(prefix[8..12], "the format version");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (version > FormatVersion)
        {
            throw new CheckpointException(
                CheckpointError.UnsupportedVersion,
                $"The checkpoint was written by a newer OptGen (format {version}); this version reads formats up to {FormatVersion}. Load it with a newer OptGen.");
        }

        if (version == 0)
        {
            throw Corrupt("the format version is 0");
        }

        input.ReadExactly(prefix[12..PrefixSize], "the header length");
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[12..]);
        if (headerLength != ~BinaryPrimitives.ReadUInt32LittleEndian(prefix[16..]))
        {
            throw Corrupt("the header length disagrees with its check field");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw Corrupt($"the header length {headerLength} exceeds the {MaxHeaderLength}-byte limit");
        }

        // A seekable stream's size tells a truncated file before the header buffer is allocated.
        input.RequireRemaining(headerLength + 8L, "the header");
        byte[] header = new byte[PrefixSize + headerLength + 8];
        prefix.CopyTo(header);
        input.ReadExactly(header.AsSpan(PrefixSize), "the header");
        ReadOnlySpan<byte> checkedHeader = header.AsSpan(0, PrefixSize + (int)headerLength);
        if (Crc64.HashToUInt64(checkedHeader) != BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(checkedHeader.Length)))
        {
            throw Corrupt("the header checksum does not match");
        }

        // The checksum matched, so from here on an impossible value was written that way, not damaged in storage.
        var reader = new HeaderReader(checkedHeader[PrefixSize..]);
        uint fingerprintBytes = reader.UInt32();
        if (fingerprintBytes > MaxFingerprintBytes)
        {
            throw Corrupt($"the fingerprint length {fingerprintBytes} exceeds the {MaxFingerprintBytes}-byte limit");
        }

        string fingerprint = Decode(reader.Bytes(fingerprintBytes), "the fingerprint");
        int savedElementSize = reader.Byte();
        int length = reader.Int32();
        long stepCount = reader.Int64();
        long skippedStepCount = reader.Int64();
        double baseLearningRate = reader.Double();
        PlateauState? plateau = reader.Byte() switch
        {
            0 => null,
            1 => new PlateauState(reader.Double(), reader.Double(), reader.Int32(), reader.Int32()),
            _ => throw Corrupt("the plateau flag is neither 0 nor 1"),
        };
        bool perBuffer = version >= FormatVersionPerBuffer;
        uint bufferCount = reader.UInt32();
        var buffers = new List<BufferShape>();
        for (uint i = 0; i < bufferCount; i++)
        {
            string name = Decode(reader.Bytes(reader.UInt32()), $"buffer name {i}");
            buffers.Add(perBuffer ? new BufferShape(name, reader.Byte(), reader.Int64()) : new BufferShape(name, savedElementSize, length));
        }

        var scalarNames = new List<string>();
        var scalarValues = new List<double>();
        if (version >= FormatVersionUniform)
        {
            uint scalarCount = reader.UInt32();
            for (uint i = 0; i < scalarCount; i++)
            {
                scalarNames.Add(Decode(reader.Bytes(reader.UInt32()), $"scalar state name {i}"));
                scalarValues.Add(reader.Double());
            }
        }

        if (!reader.AtEnd)
        {
            throw Corrupt(version >= FormatVersionUniform ? "the header has bytes after the last scalar state" : "the header has bytes after the last buffer name");
        }

        if (perBuffer ? savedElementSize != PerBufferElementSize : savedElementSize is not (4 or 8))
        {
            throw Corrupt(perBuffer
                ? $"the element size is {savedElementSize}, not 0 (each buffer gives its own) as format {version} requires"
                : $"the element size is {savedElementSize}, neither 4 nor 8");
        }

        if (length < 0)
        {
            throw Corrupt($"the length is negative ({length})");
        }

        // Always true of format 1 and 2 buffers once the two checks above pass.
        long dataBytes = 0;
        foreach (BufferShape buffer in buffers)
        {
            if (buffer.ElementSize is not (1 or 2 or 4 or 8) || buffer.Count < 0)
            {
                throw Corrupt($"buffer '{buffer.Name}' has {buffer.Count} elements of {buffer.ElementSize} bytes; element sizes are 1, 2, 4 or 8 and counts ≥ 0");
            }

            // So that the data's size, the file checksum included, is a long.
            if (buffer.Count > (long.MaxValue - 8 - dataBytes) / buffer.ElementSize)
            {
                throw Corrupt("the buffers add up to more than 2^63 bytes");
            }

            dataBytes += buffer.ByteCount;
        }

        if (Implausible(stepCount, skippedStepCount, baseLearningRate, plateau) is string problem)
        {
            throw Corrupt(problem);
        }

        // Before the fingerprint, which names the element type too: the same rule over the other type is this error.
        if (expectedElementSize != PerBufferElementSize && savedElementSize != expectedElementSize)
        {
            throw new CheckpointException(
                CheckpointError.ElementTypeMismatch,
                savedElementSize == PerBufferElementSize
                    ? $"The checkpoint stores its buffers compactly, each in its own element type (a mixed-precision optimizer's state), but this optimizer keeps all of them as {ElementName(expectedElementSize)}. Load it into an optimizer with the same state storage."
                    : $"The checkpoint holds {ElementName(savedElementSize)} elements but this optimizer uses {ElementName(expectedElementSize)}. Load it into an optimizer over {ElementName(savedElementSize)} parameters.");
        }

        if (!string.Equals(fingerprint, expectedFingerprint, StringComparison.Ordinal))
        {
            throw new CheckpointException(
                CheckpointError.RuleMismatch,
                $"The checkpoint was saved by an optimizer with rule '{fingerprint}' but this one is '{expectedFingerprint}'. Load it into an optimizer with the same update rule and hyperparameters.");
        }

        if (length != expectedLength)
        {
            throw new CheckpointException(
                CheckpointError.LengthMismatch,
                $"The checkpoint holds {length} parameters but this optimizer has {expectedLength}. Load it into an optimizer over the same parameters.");
        }

        if (plateau.HasValue != expectPlateau)
        {
            throw new CheckpointException(
                CheckpointError.StateMismatch,
                plateau.HasValue
                    ? "The checkpoint holds ReduceOnPlateau schedule state but this optimizer has no plateau schedule. Load it into an optimizer with the same schedule."
                    : "The checkpoint holds no ReduceOnPlateau schedule state but this optimizer has a plateau schedule. Load it into an optimizer with the same schedule.");
        }

        BufferShape[] savedBuffers = [.. buffers];
        string[] names = Names(savedBuffers);
        if (!SameNames(names, Names(expectedBuffers)))
        {
            throw new CheckpointException(
                CheckpointError.StateMismatch,
                $"The checkpoint holds the state buffers [{string.Join(", ", names)}] but this optimizer has [{string.Join(", ", Names(expectedBuffers))}]. Load it into an optimizer with the same update rule.");
        }

        // Only where each buffer gives its own shape can one differ with the same names, length and element size.
        for (int b = 0; b < savedBuffers.Length; b++)
        {
            if (savedBuffers[b] != expectedBuffers[b])
            {
                throw new CheckpointException(
                    CheckpointError.StateMismatch,
                    $"The checkpoint's state buffer '{names[b]}' holds {savedBuffers[b].Extent} but this optimizer's holds {expectedBuffers[b].Extent}. Load it into an optimizer with the same update rule and state storage.");
            }
        }

        if (!SameNames(scalarNames, expectedScalarStateNames))
        {
            throw new CheckpointException(
                CheckpointError.StateMismatch,
                $"The checkpoint holds the persistent per-step scalars [{string.Join(", ", scalarNames)}] but this optimizer has [{string.Join(", ", expectedScalarStateNames)}]. Load it into an optimizer with the same update rule.");
        }

        // Everything the header says is now known to be intact and expected, so the data is of the caller's own size.
        input.RequireRemaining(dataBytes + 8, "the buffer data");
        return new SavedHeader(header, fingerprint, length, stepCount, skippedStepCount, baseLearningRate, plateau, savedBuffers, scalarNames, scalarValues);
    }

    /// <summary>
    /// Verifies the buffer data and the file checksum through one block, then copies the data into
    /// <paramref name="destinations"/>, whose shapes are the saved ones; see <see cref="ReadInto{T}"/>.
    /// </summary>
    private static void VerifyThenCopy(Input input, Stream source, SavedHeader saved, IReadOnlyList<Array> destinations)
    {
        if (source.CanSeek)
        {
            long dataStart = source.Position;
            long dataOffset = input.Offset;
            ReadData(input, saved, buffers: null);
            source.Position = dataStart;
            ReadData(new Input(source, dataOffset), saved, destinations, changedSinceVerified: true); // ends just after the checkpoint
        }
        else
        {
            string spoolPath = Path.GetTempFileName();
            using var spool = new FileStream(spoolPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 16, FileOptions.DeleteOnClose);
            ReadData(input, saved, buffers: null, spool);
            spool.Position = 0;
            ReadData(new Input(spool, input.Offset - spool.Length), saved, destinations, changedSinceVerified: true);
        }
    }

    /// <summary>
    /// Reads the buffer data (the header gives its size) and the file checksum, checking it: into <paramref name="buffers"/>,
    /// or, if null, through one block, copying the data and the checksum to <paramref name="spool"/> if given.
    /// </summary>
    private static void ReadData(Input input, SavedHeader saved, IReadOnlyList<Array>? buffers, Stream? spool = null, bool changedSinceVerified = false)
    {
        Crc64 fileCrc = saved.StartChecksum();
        byte[] block = buffers is null ? new byte[ChunkBytes] : [];
        for (int b = 0; b < saved.Buffers.Length; b++)
        {
            long bytes = saved.Buffers[b].ByteCount;
            for (long offset = 0; offset < bytes; offset += ChunkBytes)
            {
                int size = (int)Math.Min(ChunkBytes, bytes - offset);
                Span<byte> chunk = buffers is null ? block.AsSpan(0, size) : Bytes(buffers[b], offset, size);
                input.ReadExactly(chunk, $"buffer '{saved.Buffers[b].Name}'");
                fileCrc.Append(chunk);
                spool?.Write(chunk);
            }
        }

        ReadChecksum(input, fileCrc, changedSinceVerified, spool);
    }

    /// <summary>Reads the file checksum and compares it with <paramref name="fileCrc"/>; copies it to <paramref name="spool"/> if given.</summary>
    private static void ReadChecksum(Input input, Crc64 fileCrc, bool changedSinceVerified, Stream? spool)
    {
        Span<byte> checksum = stackalloc byte[8];
        input.ReadExactly(checksum, "the file checksum");
        if (fileCrc.GetCurrentHashAsUInt64() != BinaryPrimitives.ReadUInt64LittleEndian(checksum))
        {
            throw changedSinceVerified
                ? new CheckpointException(
                    CheckpointError.Corrupt,
                    "The checkpoint changed while it was being loaded: it was intact when verified, but its data differed when read again to copy it in, so the state buffers are partly overwritten. Reset the optimizer or load an intact checkpoint that nothing else writes to.")
                : Corrupt("the file checksum does not match (the buffer data is damaged)");
        }

        spool?.Write(checksum);
    }

    /// <summary>
    /// Atomic write to a path: writes to a temporary file in the same directory, flushes to disk
    /// (<see cref="FileStream.Flush(bool)"/>), then renames over <paramref name="path"/> (<see cref="File.Move(string, string, bool)"/> overwrite).
    /// If <paramref name="write"/> throws, the temporary file is deleted and any previous file at <paramref name="path"/> is untouched.
    /// </summary>
    /// <remarks>
    /// A symbolic link is written through: the file it finally points to is replaced (created, if the link dangles), and
    /// the link stays a link. A target that exists but is not a regular file (a directory, a FIFO, a device, a socket) is
    /// refused before anything is written; special files are recognised on Linux, directories everywhere. Any file name
    /// the file system accepts works: the temporary file's name is shortened to fit.
    /// </remarks>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the content; it must leave the stream open.</param>
    /// <exception cref="InvalidOperationException"><paramref name="write"/> closed the stream, so it could not be flushed; nothing is replaced.</exception>
    /// <exception cref="IOException">The target exists and is not a regular file; nothing is written.</exception>
    public static void WriteFile(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);

        // Write through symbolic links, as most tools do: replacing the link itself would silently detach it.
        var file = new FileInfo(fullPath);
        if (file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is { } target)
        {
            fullPath = target.FullName;
        }

        if (Directory.Exists(fullPath))
        {
            throw new IOException($"Cannot write the checkpoint to '{path}': it is a directory.");
        }

        if (FileKind.IsSpecialFile(fullPath))
        {
            throw new IOException($"Cannot write the checkpoint to '{path}': it is not a regular file (a FIFO, device or socket), and it would be replaced by one. Choose a file path.");
        }

        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' is a root directory, not a file.", nameof(path));

        // Hidden and unique, so that concurrent writers and directory listings do not trip over it.
        string temporary = Path.Combine(directory, $".{Shortened(Path.GetFileName(fullPath), MaxTemporaryNameStemBytes)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                if (!stream.CanWrite)
                {
                    throw new InvalidOperationException("The write callback closed the stream, so the file could not be flushed to disk; leave the stream open.");
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temporary);
            throw;
        }
    }

    // File names hold up to 255 bytes on common file systems; the temporary name adds a dot, a dot, 32 hex digits and ".tmp".
    private const int MaxTemporaryNameStemBytes = 255 - 38;

    /// <summary>The longest prefix of <paramref name="name"/> of at most <paramref name="maxBytes"/> UTF-8 bytes, never splitting a character.</summary>
    internal static string Shortened(string name, int maxBytes)
    {
        int bytes = 0;
        int end = 0;
        while (end < name.Length)
        {
            int width = char.IsSurrogatePair(name, end) ? 2 : 1;
            int size = Encoding.UTF8.GetByteCount(name.AsSpan(end, width));
            if (bytes + size > maxBytes)
            {
                break;
            }

            bytes += size;
            end += width;
        }

        return name[..end];
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original failure matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static int ElementSize<T>()
        where T : unmanaged
        => typeof(T) == typeof(float) ? sizeof(float)
            : typeof(T) == typeof(double) ? sizeof(double)
            : throw new NotSupportedException($"Checkpoints hold float or double elements, not {typeof(T)}.");

    private static string ElementName(int size) => size == sizeof(float) ? "float (4-byte)" : "double (8-byte)";

    /// <summary>The size of <paramref name="data"/>'s elements if its raw bytes are its values (see <see cref="StoredBuffer.Data"/>); otherwise 0.</summary>
    private static int StoredElementSize(Array data) => data switch
    {
        byte[] or sbyte[] => 1,
        short[] or ushort[] or Half[] or BFloat16[] => 2,
        int[] or uint[] or float[] => 4,
        long[] or ulong[] or double[] => 8,
        _ => 0,
    };

    /// <summary>Checks stored buffers and gives their shapes; the arrays are copied out, so that the ones checked are the ones used.</summary>
    private static (BufferShape[] Shapes, Array[] Data) Describe(IReadOnlyList<StoredBuffer> buffers, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(buffers, parameterName);
        var shapes = new BufferShape[buffers.Count];
        var data = new Array[buffers.Count];
        for (int i = 0; i < shapes.Length; i++)
        {
            (string? name, Array? array) = buffers[i];
            if (name is null || array is null)
            {
                throw new ArgumentException($"Buffer {i} has no {(name is null ? "name" : "data")}.", parameterName);
            }

            int elementSize = StoredElementSize(array);
            if (elementSize == 0)
            {
                throw new ArgumentException($"Buffer '{name}' is a {array.GetType()}, not a one-dimensional array of a fixed-size numeric type (byte, BFloat16, Half, float, double …).", parameterName);
            }

            shapes[i] = new BufferShape(name, elementSize, array.LongLength);
            data[i] = array;
        }

        return (shapes, data);
    }

    /// <summary>The buffers of a checkpoint with one element size (formats 1 and 2): each <paramref name="length"/> elements long.</summary>
    private static BufferShape[] UniformShapes(IReadOnlyList<string> names, int elementSize, int length)
    {
        var shapes = new BufferShape[names.Count];
        for (int i = 0; i < shapes.Length; i++)
        {
            shapes[i] = new BufferShape(names[i], elementSize, length);
        }

        return shapes;
    }

    private static string[] Names(BufferShape[] buffers) => Array.ConvertAll(buffers, buffer => buffer.Name);

    /// <summary>
    /// Bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>) of an array whose elements
    /// are raw bytes: a span reaches at most 2 GiB, so a larger array is read and written in chunks at long offsets.
    /// </summary>
    private static Span<byte> Bytes(Array array, long offset, int count)
    {
        // Checked for every chunk, so that no caller can reach past the array, whatever shape a header claims.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, array.LongLength * StoredElementSize(array));
        return MemoryMarshal.CreateSpan(ref Unsafe.AddByteOffset(ref MemoryMarshal.GetArrayDataReference(array), (nint)offset), count);
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Checkpoints store buffers as raw little-endian bytes; big-endian platforms are not supported.");
        }
    }

    /// <summary>Describes the first value a checkpoint may not hold, or returns null if all are plausible.</summary>
    private static string? Implausible(long stepCount, long skippedStepCount, double baseLearningRate, PlateauState? plateau)
    {
        if (stepCount is < 0 or > OptimizerLimits.MaxStepCount)
        {
            return $"the step count {stepCount} is not between 0 and {OptimizerLimits.MaxStepCount}";
        }

        if (skippedStepCount < 0)
        {
            return $"the skipped step count is negative ({skippedStepCount})";
        }

        if (!double.IsFinite(baseLearningRate) || baseLearningRate <= 0)
        {
            return $"the base learning rate {baseLearningRate} is not finite and positive";
        }

        if (plateau is PlateauState p)
        {
            // The plateau rate may reach a configured minimum of 0; the best metric is ±∞ before the first report.
            if (!double.IsFinite(p.LearningRate) || p.LearningRate < 0)
            {
                return $"the plateau learning rate {p.LearningRate} is not finite and non-negative";
            }

            if (double.IsNaN(p.Best))
            {
                return "the plateau's best metric is NaN";
            }

            if (p.BadReports < 0 || p.CooldownRemaining < 0)
            {
                return $"the plateau counts are negative (bad reports {p.BadReports}, cooldown {p.CooldownRemaining})";
            }
        }

        return null;
    }

    private static bool SameNames(IReadOnlyList<string> saved, IReadOnlyList<string> expected)
    {
        if (saved.Count != expected.Count)
        {
            return false;
        }

        for (int i = 0; i < saved.Count; i++)
        {
            if (!string.Equals(saved[i], expected[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] Encode(string text, string what, string parameterName)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"{what} is not valid UTF-16 (it has an unpaired surrogate).", parameterName, e);
        }
    }

    private static string Decode(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Corrupt($"{what} is not valid UTF-8", e);
        }
    }

    private static void Emit(Stream destination, Crc64 crc, ReadOnlySpan<byte> bytes)
    {
        crc.Append(bytes);
        destination.Write(bytes);
    }

    private static CheckpointException Corrupt(string detail, Exception? innerException = null)
        => new(CheckpointError.Corrupt, $"The checkpoint is corrupt: {detail}. It cannot be loaded; use an intact copy.", innerException);

    /// <summary>A buffer as a checkpoint stores it: its name, element size in bytes and element count.</summary>
    private readonly record struct BufferShape(string Name, int ElementSize, long Count)
    {
        public long ByteCount => Count * ElementSize;

        /// <summary>For messages: "1000 × 2-byte elements".</summary>
        public string Extent => $"{Count} × {ElementSize}-byte elements";
    }

    /// <summary>A header that has been read, checked and compared with the loading optimizer.</summary>
    private sealed record SavedHeader(
        byte[] Header,
        string Fingerprint,
        int Length,
        long StepCount,
        long SkippedStepCount,
        double BaseLearningRate,
        PlateauState? Plateau,
        BufferShape[] Buffers,
        List<string> ScalarNames,
        List<double> ScalarValues)
    {
        public CheckpointContent<T> Content<T>(IReadOnlyList<string> names, IReadOnlyList<T[]> buffers)
            where T : unmanaged
            => new(Fingerprint, Length, StepCount, SkippedStepCount, BaseLearningRate, Plateau, names, buffers, ScalarNames, ScalarValues);

        /// <summary>The file checksum as it stands after the header: the data that follows is appended to it.</summary>
        public Crc64 StartChecksum()
        {
            var crc = new Crc64();
            crc.Append(Header);
            return crc;
        }
    }

    /// <summary>The source stream and how far into the checkpoint it has been read.</summary>
    private sealed class Input(Stream stream, long offset = 0)
    {
        public long Offset { get; private set; } = offset;

        /// <summary>Reads until <paramref name="destination"/> is full or the stream ends; returns the bytes read.</summary>
        public int ReadUpTo(Span<byte> destination)
        {
            int read = stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            Offset += read;
            return read;
        }

        public void ReadExactly(Span<byte> destination, string what)
        {
            if (ReadUpTo(destination) < destination.Length)
            {
                throw Truncated(what);
            }
        }

        /// <summary>Fails early if a seekable stream has fewer than <paramref name="bytes"/> left.</summary>
        public void RequireRemaining(long bytes, string what)
        {
            if (stream.CanSeek && stream.Length - stream.Position < bytes)
            {
                throw new CheckpointException(
                    CheckpointError.Truncated,
                    $"The checkpoint is truncated: {what} needs {bytes} more bytes after byte {Offset} but the data ends {stream.Length - stream.Position} bytes later. The file is incomplete (for example an interrupted copy); use an intact copy.");
            }
        }

        public CheckpointException Truncated(string what)
            => new(
                CheckpointError.Truncated,
                $"The checkpoint is truncated: the data ends after {Offset} bytes, inside {what}. The file is incomplete (for example an interrupted copy); use an intact copy.");
    }

    /// <summary>Fills a header buffer of exactly the right size.</summary>
    private ref struct HeaderWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;
        private int _offset;

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_destination[_offset..]);
            _offset += bytes.Length;
        }

        public void Byte(byte value) => _destination[_offset++] = value;

        public void UInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Advance(4), value);

        public void Int32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Advance(4), value);

        public void Int64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Advance(8), value);

        public void Double(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Advance(8), value);

        private Span<byte> Advance(int count)
        {
            Span<byte> span = _destination.Slice(_offset, count);
            _offset += count;
            return span;
        }
    }

    /// <summary>Parses checksummed header fields; a field that overruns the header means the writer was faulty.</summary>
    private ref struct HeaderReader(ReadOnlySpan<byte> source)
    {
        private ReadOnlySpan<byte> _rest = source;

        public readonly bool AtEnd => _rest.IsEmpty;

        public ReadOnlySpan<byte> Bytes(uint count)
        {
            if (count > (uint)_rest.Length)
            {
                throw Corrupt("a header field runs past the header's length");
            }

            ReadOnlySpan<byte> bytes = _rest[..(int)count];
            _rest = _rest[(int)count..];
            return bytes;
        }

        public byte Byte() => Bytes(1)[0];

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));

        public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Bytes(8));
    }
}
