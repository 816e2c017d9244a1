using System;
using System.IO;

namespace OptGen.Tests;

/// <summary>
/// A stream that cannot seek, like a pipe or a network stream: neither length nor position is known. Derived test
/// streams override only the direction they support.
/// </summary>
internal abstract class UnseekableStream : Stream
{
    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>
/// A read-only stream that cannot seek and returns short reads: a checkpoint reader can neither learn the length in
/// advance nor rely on full reads.
/// </summary>
internal sealed class ForwardOnlyStream(byte[] data, int maxReadLength = 3) : UnseekableStream
{
    private readonly MemoryStream _inner = new(data);

    public override bool CanRead => true;

    public override bool CanWrite => false;

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, maxReadLength));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
