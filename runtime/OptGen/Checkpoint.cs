using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace OptGen;

/// <summary>
/// Writes and reads optimizer checkpoints: a complete <see cref="CheckpointContent{T}"/> in a self-checking binary file.
/// </summary>
/// <remarks>
/// <para>
/// Format versions 1 and 2 (also described in <c>docs/checkpoint-format.md</c>). All integers and floating-point values
/// are little-endian; "CRC-64" is <see cref="Crc64"/> (ECMA-182), which detects every single-bit error. Version 2 adds
/// the persistent per-step scalars at the end of the header; a checkpoint without any is written as version 1, so
/// that readers of version 1 still read it, and a version-1 checkpoint reads as one without any.
/// </para>
/// <list type="table">
/// <listheader><term>Offset: field (type)</term><description>Meaning</description></listheader>
/// <item><term>0: magic (8 bytes)</term><description>ASCII <c>OPTGCKPT</c>.</description></item>
/// <item><term>8: version (u32)</term><description><see cref="FormatVersion"/>. Higher: <see cref="CheckpointError.UnsupportedVersion"/>; 0: corrupt.</description></item>
/// <item><term>12: header length H (u32)</term><description>Bytes of header fields from offset 20; at most 1 MiB.</description></item>
/// <item><term>16: header length check (u32)</term><description>The bitwise complement of H, so that a damaged H reads as corrupt rather than truncated.</description></item>
/// <item><term>20: fingerprint length F (u32)</term><description>At most 64 KiB.</description></item>
/// <item><term>24: fingerprint (F bytes)</term><description>UTF-8: identifies the update rule and hyperparameters.</description></item>
/// <item><term>24+F: element size (u8)</term><description>4 (<see cref="float"/>) or 8 (<see cref="double"/>).</description></item>
/// <item><term>then: length (i32)</term><description>Parameters, the length of every buffer; ≥ 0.</description></item>
/// <item><term>then: step count (i64)</term><description>≥ 0.</description></item>
/// <item><term>then: skipped step count (i64)</term><description>≥ 0.</description></item>
/// <item><term>then: base learning rate (f64)</term><description>Finite, &gt; 0.</description></item>
/// <item><term>then: has plateau (u8)</term><description>0 or 1; if 1, four fields follow: learning rate (f64, finite, ≥ 0), best (f64, not NaN), bad reports (i32, ≥ 0), cooldown remaining (i32, ≥ 0).</description></item>
/// <item><term>then: buffer count N (u32)</term><description>Followed by N names, each a u32 byte length and UTF-8 text. In version 1 the header fields end here, at 20+H.</description></item>
/// <item><term>then (version 2): scalar count S (u32)</term><description>Followed by S persistent per-step scalars, each a name (u32 byte length and UTF-8 text) and its value (f64, any). The header fields end here, at 20+H.</description></item>
/// <item><term>20+H: header checksum (u64)</term><description>CRC-64 of bytes [0, 20+H).</description></item>
/// <item><term>28+H: buffer data</term><description>N × length × element size bytes: each buffer's elements in order, raw IEEE 754.</description></item>
/// <item><term>end − 8: file checksum (u64)</term><description>CRC-64 of everything before it. The checkpoint ends here: its size follows from the header, so it can be embedded in a longer stream, and a reader leaves the stream just after it.</description></item>
/// </list>
/// <para>
/// Buffers are stored as the platform's raw bytes, so <see cref="Write{T}"/> and <see cref="Read{T}"/> throw
/// <see cref="PlatformNotSupportedException"/> on big-endian platforms.
/// </para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The newest format version this library writes and reads.</summary>
    public const int FormatVersion = 2;

    /// <summary>The version written when there are no persistent per-step scalars, which version 1 cannot hold.</summary>
    private const int FormatVersionWithoutScalars = 1;

    // Magic, version, header length and its complement.
    private const int PrefixSize = 20;
    private const int MaxHeaderLength = 1 << 20;
    private const int MaxFingerprintBytes = 64 * 1024;
    private const int ChunkBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> Magic => "OPTGCKPT"u8;

    /// <summary>Writes <paramref name="content"/> to <paramref name="destination"/> in the current format.</summary>
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
        RequireLittleEndian();
        if (Implausible(content.StepCount, content.SkippedStepCount, content.BaseLearningRate, content.Plateau) is string problem)
        {
            throw new ArgumentException($"The checkpoint could not be read back: {problem}.", nameof(content));
        }

        byte[] fingerprint = Encode(content.Fingerprint, "The fingerprint", nameof(content));
        if (fingerprint.Length > MaxFingerprintBytes)
        {
            throw new ArgumentException($"The fingerprint is {fingerprint.Length} bytes in UTF-8, more than the {MaxFingerprintBytes} a checkpoint holds.", nameof(content));
        }

        var names = new byte[content.BufferNames.Count][];
        long headerLength = 4L + fingerprint.Length + 1 + 4 + 8 + 8 + 8 + 1 + (content.Plateau is null ? 0 : 24) + 4;
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = Encode(content.BufferNames[i], $"Buffer name {i}", nameof(content));
            headerLength += 4L + names[i].Length;
        }

        bool withScalars = content.ScalarStateNames.Count > 0;
        var scalarNames = new byte[content.ScalarStateNames.Count][];
        if (withScalars)
        {
            headerLength += 4;
            for (int i = 0; i < scalarNames.Length; i++)
            {
                scalarNames[i] = Encode(content.ScalarStateNames[i], $"Scalar state name {i}", nameof(content));
                headerLength += 4L + scalarNames[i].Length + 8;
            }
        }

        if (headerLength > MaxHeaderLength)
        {
            throw new ArgumentException($"The header is {headerLength} bytes, more than the {MaxHeaderLength} a checkpoint holds; shorten the buffer names.", nameof(content));
        }

        byte[] header = new byte[PrefixSize + headerLength];
        var writer = new HeaderWriter(header);
        writer.Bytes(Magic);
        writer.UInt32(withScalars ? (uint)FormatVersion : FormatVersionWithoutScalars);
        writer.UInt32((uint)headerLength);
        writer.UInt32(~(uint)headerLength);
        writer.UInt32((uint)fingerprint.Length);
        writer.Bytes(fingerprint);
        writer.Byte((byte)elementSize);
        writer.Int32(content.Length);
        writer.Int64(content.StepCount);
        writer.Int64(content.SkippedStepCount);
        writer.Double(content.BaseLearningRate);
        writer.Byte(content.Plateau is null ? (byte)0 : (byte)1);
        if (content.Plateau is PlateauState plateau)
        {
            writer.Double(plateau.LearningRate);
            writer.Double(plateau.Best);
            writer.Int32(plateau.BadReports);
            writer.Int32(plateau.CooldownRemaining);
        }

        writer.UInt32((uint)names.Length);
        foreach (byte[] name in names)
        {
            writer.UInt32((uint)name.Length);
            writer.Bytes(name);
        }

        if (withScalars)
        {
            writer.UInt32((uint)scalarNames.Length);
            for (int i = 0; i < scalarNames.Length; i++)
            {
                writer.UInt32((uint)scalarNames[i].Length);
                writer.Bytes(scalarNames[i]);
                writer.Double(content.ScalarStateValues[i]);
            }
        }

        var fileCrc = new Crc64();
        Span<byte> checksum = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, Crc64.HashToUInt64(header));
        Emit(destination, fileCrc, header);
        Emit(destination, fileCrc, checksum);
        // In chunks of elements: a whole large double buffer has more bytes than a span can index.
        int chunkElements = ChunkBytes / elementSize;
        foreach (T[] buffer in content.Buffers)
        {
            for (int start = 0; start < buffer.Length; start += chunkElements)
            {
                Emit(destination, fileCrc, MemoryMarshal.AsBytes(buffer.AsSpan(start, Math.Min(chunkElements, buffer.Length - start))));
            }
        }

        BinaryPrimitives.WriteUInt64LittleEndian(checksum, fileCrc.GetCurrentHashAsUInt64());
        destination.Write(checksum);
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
    /// <exception cref="CheckpointException">The data is not an intact checkpoint of the current format that matches the expectations; <see cref="CheckpointException.Error"/> says why.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither <see cref="float"/> nor <see cref="double"/>.</exception>
    /// <exception cref="PlatformNotSupportedException">The platform is big-endian.</exception>
    public static CheckpointContent<T> Read<T>(
        Stream source, string expectedFingerprint, int expectedLength, IReadOnlyList<string> expectedBufferNames, bool expectPlateau, IReadOnlyList<string>? expectedScalarStateNames = null)
        where T : unmanaged
    {
        var input = new Input(source);
        SavedHeader saved = ReadHeader<T>(input, source, expectedFingerprint, expectedLength, expectedBufferNames, expectPlateau, expectedScalarStateNames ?? []);
        var buffers = new T[saved.Names.Count][];
        for (int b = 0; b < buffers.Length; b++)
        {
            buffers[b] = new T[saved.Length];
        }

        // Fresh buffers: nobody sees them unless the checksum matches, so one pass reads straight into them.
        ReadData(input, saved, buffers);
        return saved.Content(buffers);
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
    /// The data is not an intact checkpoint of the current format that matches the expectations; nothing was written.
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
        if (destinations.Count != expectedBufferNames.Count)
        {
            throw new ArgumentException($"There are {destinations.Count} destination buffers but {expectedBufferNames.Count} buffer names.", nameof(destinations));
        }

        for (int b = 0; b < destinations.Count; b++)
        {
            if (destinations[b] is not { } destination || destination.Length != expectedLength)
            {
                throw new ArgumentException($"Destination buffer {b} is null or not {expectedLength} elements long.", nameof(destinations));
            }
        }

        var input = new Input(source);
        SavedHeader saved = ReadHeader<T>(input, source, expectedFingerprint, expectedLength, expectedBufferNames, expectPlateau, expectedScalarStateNames ?? []);
        if (source.CanSeek)
        {
            long dataStart = source.Position;
            long dataOffset = input.Offset;
            VerifyData(input, saved, spool: null);
            source.Position = dataStart;
            ReadData(new Input(source, dataOffset), saved, destinations, changedSinceVerified: true); // ends just after the checkpoint
        }
        else
        {
            string spoolPath = Path.GetTempFileName();
            using var spool = new FileStream(spoolPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 16, FileOptions.DeleteOnClose);
            VerifyData(input, saved, spool);
            spool.Position = 0;
            ReadData(new Input(spool, input.Offset - spool.Length), saved, destinations, changedSinceVerified: true);
        }

        return saved.Content(destinations);
    }

    /// <summary>Reads, checks and compares the header; leaves <paramref name="input"/> at the first byte of buffer data.</summary>
    private static SavedHeader ReadHeader<T>(
        Input input,
        Stream source,
        string expectedFingerprint,
        int expectedLength,
        IReadOnlyList<string> expectedBufferNames,
        bool expectPlateau,
        IReadOnlyList<string> expectedScalarStateNames)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(expectedFingerprint);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedLength);
        ArgumentNullException.ThrowIfNull(expectedBufferNames);
        int elementSize = ElementSize<T>();
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
                $"The checkpoint was written by a newer OptGen (format {version}); this version reads format {FormatVersion}. Load it with a newer OptGen.");
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
        uint bufferCount = reader.UInt32();
        var names = new List<string>();
        for (uint i = 0; i < bufferCount; i++)
        {
            names.Add(Decode(reader.Bytes(reader.UInt32()), $"buffer name {i}"));
        }

        var scalarNames = new List<string>();
        var scalarValues = new List<double>();
        if (version >= 2)
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
            throw Corrupt(version >= 2 ? "the header has bytes after the last scalar state" : "the header has bytes after the last buffer name");
        }

        if (savedElementSize is not (4 or 8))
        {
            throw Corrupt($"the element size is {savedElementSize}, neither 4 nor 8");
        }

        if (length < 0)
        {
            throw Corrupt($"the length is negative ({length})");
        }

        if (Implausible(stepCount, skippedStepCount, baseLearningRate, plateau) is string problem)
        {
            throw Corrupt(problem);
        }

        // Before the fingerprint, which names the element type too: the same rule over the other type is this error.
        if (savedElementSize != elementSize)
        {
            throw new CheckpointException(
                CheckpointError.ElementTypeMismatch,
                $"The checkpoint holds {ElementName(savedElementSize)} elements but this optimizer uses {ElementName(elementSize)}. Load it into an optimizer over {ElementName(savedElementSize)} parameters.");
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

        if (!SameNames(names, expectedBufferNames))
        {
            throw new CheckpointException(
                CheckpointError.StateMismatch,
                $"The checkpoint holds the state buffers [{string.Join(", ", names)}] but this optimizer has [{string.Join(", ", expectedBufferNames)}]. Load it into an optimizer with the same update rule.");
        }

        if (!SameNames(scalarNames, expectedScalarStateNames))
        {
            throw new CheckpointException(
                CheckpointError.StateMismatch,
                $"The checkpoint holds the persistent per-step scalars [{string.Join(", ", scalarNames)}] but this optimizer has [{string.Join(", ", expectedScalarStateNames)}]. Load it into an optimizer with the same update rule.");
        }

        // Everything the header says is now known to be intact and expected, so the data is of the caller's own size.
        input.RequireRemaining(((long)length * elementSize * names.Count) + 8, "the buffer data");
        return new SavedHeader(header, fingerprint, elementSize, length, stepCount, skippedStepCount, baseLearningRate, plateau, names, scalarNames, scalarValues);
    }

    /// <summary>Reads the buffer data and the file checksum into <paramref name="buffers"/> (the data's size is the header's).</summary>
    private static void ReadData<T>(Input input, SavedHeader saved, IReadOnlyList<T[]> buffers, bool changedSinceVerified = false)
        where T : unmanaged
    {
        Crc64 fileCrc = saved.StartChecksum();
        int chunkElements = ChunkBytes / saved.ElementSize;
        for (int b = 0; b < buffers.Count; b++)
        {
            T[] buffer = buffers[b];
            for (int start = 0; start < buffer.Length; start += chunkElements)
            {
                Span<byte> chunk = MemoryMarshal.AsBytes(buffer.AsSpan(start, Math.Min(chunkElements, buffer.Length - start)));
                input.ReadExactly(chunk, $"buffer '{saved.Names[b]}'");
                fileCrc.Append(chunk);
            }
        }

        ReadChecksum(input, fileCrc, changedSinceVerified);
    }

    /// <summary>Reads the buffer data and the file checksum through one block, checking it; copies it to <paramref name="spool"/> if given.</summary>
    private static void VerifyData(Input input, SavedHeader saved, Stream? spool)
    {
        Crc64 fileCrc = saved.StartChecksum();
        byte[] block = new byte[ChunkBytes];
        for (int b = 0; b < saved.Names.Count; b++)
        {
            for (long left = (long)saved.Length * saved.ElementSize; left > 0;)
            {
                Span<byte> chunk = block.AsSpan(0, (int)Math.Min(block.Length, left));
                input.ReadExactly(chunk, $"buffer '{saved.Names[b]}'");
                fileCrc.Append(chunk);
                spool?.Write(chunk);
                left -= chunk.Length;
            }
        }

        ReadChecksum(input, fileCrc, changedSinceVerified: false, spool);
    }

    /// <summary>Reads the file checksum and compares it with <paramref name="fileCrc"/>; copies it to <paramref name="spool"/> if given.</summary>
    private static void ReadChecksum(Input input, Crc64 fileCrc, bool changedSinceVerified, Stream? spool = null)
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

    private static bool SameNames(List<string> saved, IReadOnlyList<string> expected)
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

    /// <summary>A header that has been read, checked and compared with the loading optimizer.</summary>
    private sealed record SavedHeader(
        byte[] Header,
        string Fingerprint,
        int ElementSize,
        int Length,
        long StepCount,
        long SkippedStepCount,
        double BaseLearningRate,
        PlateauState? Plateau,
        List<string> Names,
        List<string> ScalarNames,
        List<double> ScalarValues)
    {
        public CheckpointContent<T> Content<T>(IReadOnlyList<T[]> buffers)
            where T : unmanaged
            => new(Fingerprint, Length, StepCount, SkippedStepCount, BaseLearningRate, Plateau, Names, buffers, ScalarNames, ScalarValues);

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
