using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;

namespace OptGen.Tests;

/// <summary>Checkpoints as byte arrays, for the format tests: saving, patching a field and damaging a bit.</summary>
internal static class CheckpointFiles
{
    public static byte[] Save<T>(CheckpointContent<T> content)
        where T : unmanaged
    {
        var stream = new MemoryStream();
        Checkpoint.Write(stream, content);
        return stream.ToArray();
    }

    public static byte[] Save(CheckpointContent<byte> header, IReadOnlyList<StoredBuffer> buffers)
    {
        var stream = new MemoryStream();
        Checkpoint.WriteStored(stream, header, buffers);
        return stream.ToArray();
    }

    /// <summary>The offset just past the header checksum.</summary>
    public static int HeaderEnd(byte[] file) => 20 + (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(12)) + 8;

    /// <summary>Recomputes both checksums, so that only a deliberately patched field is wrong.</summary>
    public static void FixChecksums(byte[] file)
    {
        int headerChecksum = HeaderEnd(file) - 8;
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(headerChecksum), Crc64.HashToUInt64(file.AsSpan(0, headerChecksum)));
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(file.Length - 8), Crc64.HashToUInt64(file.AsSpan(0, file.Length - 8)));
    }

    public static byte[] Flip(byte[] file, int bit)
    {
        byte[] copy = (byte[])file.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }
}
