using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Xunit.Abstractions;
using static OptGen.Tests.CheckpointFiles;

namespace OptGen.Tests;

/// <summary>
/// Format 3: buffers in their stored form, each with its own element size and count (<see cref="Checkpoint.WriteStored"/>,
/// <see cref="Checkpoint.ReadStoredInto"/>), saved bit for bit, with every kind of damage or mismatch refused before anything changes.
/// </summary>
public sealed class CheckpointStoredTests(ITestOutputHelper output)
{
    private const string Fingerprint = "adamw8bit(lr=0.001,betas=(0.9,0.999),eps=1e-08,wd=0.01)";
    private const int Parameters = 10;
    private static readonly PlateauState Plateau = new(0.0005, 0.25, 2, 1);
    private static readonly string[] ScalarNames = ["mu_product"];
    private static readonly double NanWithPayload = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_BEEF);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Mixed_buffers_round_trip_bit_exactly(bool seekable)
    {
        const int length = 600;
        byte[] codes = [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7))]; // every byte value
        float[] absmax = [BitConverter.Int32BitsToSingle(0x7FC0_1234), BitConverter.Int32BitsToSingle(unchecked((int)0xFF80_0001)), 0.125f];
        BFloat16[] moments = [.. Enumerable.Range(0, length).Select(i => BFloat16.FromBits((ushort)(i * 109)))];
        moments[0] = BFloat16.FromBits(0x7FC1); // quiet NaN with a payload
        moments[1] = BFloat16.FromBits(0xFF81); // signalling NaN, negative
        moments[2] = BFloat16.FromBits(0x8000); // −0
        float[] master = [.. Enumerable.Range(0, length).Select(i => BitConverter.Int32BitsToSingle((int)((uint)i * 2_654_435_761u)))];
        double[] sums = [NanWithPayload, BitConverter.Int64BitsToDouble(unchecked((long)0xFFF0_0000_0000_0001)), -0.0, double.Epsilon];
        StoredBuffer[] saved =
        [
            new("exp_avg.codes", codes), new("exp_avg.absmax", absmax), new("exp_avg_sq", moments), new("master_weights", master), new("sums", sums),
        ];
        double[] scalars = [NanWithPayload];
        byte[] file = Save(Header(length, Plateau, ScalarNames, scalars, steps: 123_456_789_012, skipped: 7), saved);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8)));
        Assert.Equal(0, file[24 + Encoding.UTF8.GetByteCount(Fingerprint)]); // the header's element size: per buffer

        StoredBuffer[] destinations = Fresh(saved);
        CheckpointContent<byte> read = Checkpoint.ReadStoredInto(Source(file, seekable), Fingerprint, length, expectPlateau: true, destinations, ScalarNames);

        Assert.Equal(Snapshot(saved), Snapshot(destinations));
        Assert.Equal((Fingerprint, length, 123_456_789_012L, 7L, 0.001, (PlateauState?)Plateau), (read.Fingerprint, read.Length, read.StepCount, read.SkippedStepCount, read.BaseLearningRate, read.Plateau));
        Assert.Equal(ScalarNames, read.ScalarStateNames);
        Assert.Equal(BitConverter.DoubleToInt64Bits(NanWithPayload), BitConverter.DoubleToInt64Bits(read.ScalarStateValues[0]));
        Assert.Empty(read.BufferNames);
        Assert.Empty(read.Buffers);
    }

    [Fact]
    public void Format_3_written_field_by_field_is_what_WriteStored_writes()
    {
        // Format 3 as documented, built here without the writer.
        BFloat16[] moments = [BFloat16.FromBits(0x3F80), BFloat16.FromBits(0x7FC1)];
        byte[] codes = [0, 255, 17];
        var header = new MemoryStream();
        var w = new BinaryWriter(header);
        w.Write(Encoding.UTF8.GetByteCount(Fingerprint));
        w.Write(Encoding.UTF8.GetBytes(Fingerprint));
        w.Write((byte)0); // element size: per buffer
        w.Write(3); // length: the parameters
        w.Write(9L); // steps
        w.Write(1L); // skipped steps
        w.Write(0.001);
        w.Write((byte)0); // no plateau
        w.Write(2); // two buffers
        w.Write(10);
        w.Write(Encoding.UTF8.GetBytes("exp_avg_sq"));
        w.Write((byte)2);
        w.Write(2L);
        w.Write(5);
        w.Write(Encoding.UTF8.GetBytes("codes"));
        w.Write((byte)1);
        w.Write(3L);
        w.Write(0); // no scalars
        byte[] fields = header.ToArray();
        var file = new MemoryStream();
        var f = new BinaryWriter(file);
        f.Write("OPTGCKPT"u8);
        f.Write(3);
        f.Write(fields.Length);
        f.Write(~fields.Length);
        f.Write(fields);
        f.Write(Crc64.HashToUInt64(file.ToArray()));
        f.Write((ushort)0x3F80);
        f.Write((ushort)0x7FC1);
        f.Write(codes);
        f.Write(Crc64.HashToUInt64(file.ToArray()));

        Assert.Equal(file.ToArray(), Save(Header(3, null, [], [], steps: 9, skipped: 1), [new("exp_avg_sq", moments), new("codes", codes)]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Truncation_at_every_offset_is_truncated_and_changes_nothing(bool seekable)
    {
        byte[] file = SampleFile();
        StoredBuffer[] destinations = Fresh(SampleBuffers());
        byte[][] before = Snapshot(destinations);
        for (int length = 0; length < file.Length; length++)
        {
            CheckpointException e = Assert.Throws<CheckpointException>(() => Load(file.AsSpan(0, length).ToArray(), destinations, seekable));
            Assert.True(e.Error == CheckpointError.Truncated, $"Cut at {length} of {file.Length}: {e.Error}: {e.Message}");
        }

        Assert.Equal(before, Snapshot(destinations));
    }

    [Fact]
    public void Every_bit_flip_is_detected_and_changes_nothing()
    {
        byte[] file = SampleFile();
        StoredBuffer[] destinations = Fresh(SampleBuffers());
        byte[][] before = Snapshot(destinations);
        for (int bit = 0; bit < file.Length * 8; bit++)
        {
            // Unseekable streams for a sample: they take the other path to the same checks.
            bool seekable = bit % 5 != 0;
            CheckpointException e = Assert.Throws<CheckpointException>(() => Load(Flip(file, bit), destinations, seekable));
            // In the magic: not a checkpoint; in the version: a newer one, or (as 1 or 2) a header that fails its checksum.
            CheckpointError expected = bit < 64 ? CheckpointError.NotACheckpoint : CheckpointError.Corrupt;
            Assert.True(e.Error == expected || (bit < 96 && e.Error == CheckpointError.UnsupportedVersion), $"Bit {bit}: {e.Error}: {e.Message}");
        }

        Assert.Equal(before, Snapshot(destinations));
    }

    [Fact]
    public void Different_names_element_sizes_or_counts_are_a_state_mismatch_naming_both_and_change_nothing()
    {
        byte[] file = SampleFile();
        StoredBuffer[] sample = SampleBuffers();

        StateMismatch(file, [.. sample.Take(3)], "[codes, absmax, exp_avg_sq, master_weights]", "[codes, absmax, exp_avg_sq]");
        StateMismatch(file, [.. sample, new("extra", new float[1])], "[codes, absmax, exp_avg_sq, master_weights]", "[codes, absmax, exp_avg_sq, master_weights, extra]");
        StateMismatch(file, [sample[0], sample[1], sample[2] with { Name = "exp_avg" }, sample[3]], "exp_avg_sq, master_weights]", "exp_avg, master_weights]");
        StateMismatch(file, [sample[1], sample[0], sample[2], sample[3]], "[codes, absmax,", "[absmax, codes,");

        // Same names: the element size or count of one buffer differs, and the message gives both shapes.
        StateMismatch(file, [sample[0], sample[1], sample[2] with { Data = new float[Parameters] }, sample[3]], "'exp_avg_sq' holds 10 × 2-byte elements", "holds 10 × 4-byte elements");
        StateMismatch(file, [sample[0] with { Data = new byte[Parameters + 1] }, sample[1], sample[2], sample[3]], "'codes' holds 10 × 1-byte elements", "holds 11 × 1-byte elements");
        StateMismatch(file, [sample[0], sample[1] with { Data = Array.Empty<float>() }, sample[2], sample[3]], "'absmax' holds 1 × 4-byte elements", "holds 0 × 4-byte elements");

        // Another element type of the same size is the same stored form: the bytes are what is saved.
        StoredBuffer[] asShorts = Fresh([sample[0], sample[1], sample[2] with { Data = new short[Parameters] }, sample[3]]);
        Load(file, asShorts, seekable: true);
        Assert.Equal(Snapshot(sample), Snapshot(asShorts));
    }

    [Fact]
    public void Another_rule_length_schedule_or_scalars_is_refused_and_changes_nothing()
    {
        byte[] file = SampleFile();
        StoredBuffer[] destinations = Fresh(SampleBuffers());
        byte[][] before = Snapshot(destinations);

        CheckpointException rule = Assert.Throws<CheckpointException>(
            () => Checkpoint.ReadStoredInto(new MemoryStream(file), "adamw(lr=0.001)", Parameters, expectPlateau: true, destinations, ScalarNames));
        Assert.Equal(CheckpointError.RuleMismatch, rule.Error);
        Assert.Contains($"'{Fingerprint}'", rule.Message, StringComparison.Ordinal);
        Assert.Contains("'adamw(lr=0.001)'", rule.Message, StringComparison.Ordinal);

        CheckpointException length = Assert.Throws<CheckpointException>(
            () => Checkpoint.ReadStoredInto(new MemoryStream(file), Fingerprint, Parameters + 1, expectPlateau: true, destinations, ScalarNames));
        Assert.Equal(CheckpointError.LengthMismatch, length.Error);

        CheckpointException plateau = Assert.Throws<CheckpointException>(
            () => Checkpoint.ReadStoredInto(new MemoryStream(file), Fingerprint, Parameters, expectPlateau: false, destinations, ScalarNames));
        Assert.Equal(CheckpointError.StateMismatch, plateau.Error);

        CheckpointException scalars = Assert.Throws<CheckpointException>(
            () => Checkpoint.ReadStoredInto(new MemoryStream(file), Fingerprint, Parameters, expectPlateau: true, destinations));
        Assert.Equal(CheckpointError.StateMismatch, scalars.Error);
        Assert.Contains("[mu_product]", scalars.Message, StringComparison.Ordinal);

        Assert.Equal(before, Snapshot(destinations));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Format_1_and_2_checkpoints_read_as_buffers_of_their_element_size_and_length(bool seekable)
    {
        // What an optimizer over float or double parameters writes loads into the same arrays in stored form.
        float[] first = [1, float.NaN, -0f, BitConverter.Int32BitsToSingle(0x7FC0_1234), 5];
        float[] second = [0.5f, 2, 3, 4, float.Epsilon];
        string[] names = ["exp_avg", "exp_avg_sq"];
        byte[] format2 = Save(new CheckpointContent<float>(Fingerprint, 5, 42, 1, 0.001, Plateau, names, [first, second], ScalarNames, [0.75]));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(format2.AsSpan(8)));
        var into = new StoredBuffer[] { new("exp_avg", new float[5]), new("exp_avg_sq", new float[5]) };
        CheckpointContent<byte> read = Checkpoint.ReadStoredInto(Source(format2, seekable), Fingerprint, 5, expectPlateau: true, into, ScalarNames);
        Assert.Equal(Snapshot([new("exp_avg", first), new("exp_avg_sq", second)]), Snapshot(into));
        Assert.Equal((42L, 1L, (PlateauState?)Plateau, 0.75), (read.StepCount, read.SkippedStepCount, read.Plateau, read.ScalarStateValues[0]));

        double[] momentum = [Math.PI, NanWithPayload];
        byte[] format1 = Save(new CheckpointContent<double>(Fingerprint, 2, 3, 0, 0.1, null, ["momentum"], [momentum]));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(format1.AsSpan(8)));
        var doubles = new StoredBuffer[] { new("momentum", new double[2]) };
        Assert.Empty(Checkpoint.ReadStoredInto(Source(format1, seekable), Fingerprint, 2, expectPlateau: false, doubles).ScalarStateNames);
        Assert.Equal(Snapshot([new("momentum", momentum)]), Snapshot(doubles));

        // Into compact storage it does not fit: the element sizes differ, buffer by buffer.
        var compact = new StoredBuffer[] { new("exp_avg", new BFloat16[5]), new("exp_avg_sq", new float[5]) };
        CheckpointException e = Assert.Throws<CheckpointException>(
            () => Checkpoint.ReadStoredInto(Source(format2, seekable), Fingerprint, 5, expectPlateau: true, compact, ScalarNames));
        Assert.Equal(CheckpointError.StateMismatch, e.Error);
        Assert.Contains("'exp_avg' holds 5 × 4-byte elements but this optimizer's holds 5 × 2-byte elements", e.Message, StringComparison.Ordinal);
        Assert.All(Snapshot(compact), bytes => Assert.All(bytes, b => Assert.Equal(0, b)));
    }

    [Fact]
    public void Read_and_ReadInto_refuse_format_3_as_an_element_type_mismatch_and_change_nothing()
    {
        // Even buffers that all have the optimizer's element type and length: a format-3 checkpoint comes from compact storage.
        float[] saved = [1, 2, 3];
        byte[] file = Save(Header(3, null, [], []), [new("exp_avg", saved)]);
        CheckpointException read = Assert.Throws<CheckpointException>(() => Checkpoint.Read<float>(new MemoryStream(file), Fingerprint, 3, ["exp_avg"], expectPlateau: false));
        Assert.Equal(CheckpointError.ElementTypeMismatch, read.Error);
        Assert.Contains("stores its buffers compactly", read.Message, StringComparison.Ordinal);
        Assert.Contains("same state storage", read.Message, StringComparison.Ordinal);

        float[] destination = [7, 8, 9];
        CheckpointException readInto = Assert.Throws<CheckpointException>(
            () => Checkpoint.ReadInto(new ForwardOnlyStream(file), Fingerprint, 3, ["exp_avg"], expectPlateau: false, [destination]));
        Assert.Equal(CheckpointError.ElementTypeMismatch, readInto.Error);
        Assert.Equal([7f, 8, 9], destination);

        // The stored form reads it.
        Checkpoint.ReadStoredInto(new MemoryStream(file), Fingerprint, 3, expectPlateau: false, [new("exp_avg", destination)]);
        Assert.Equal(saved, destination);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Empty_buffers_and_no_buffers_round_trip(bool seekable)
    {
        StoredBuffer[] empty = [new("codes", Array.Empty<byte>()), new("absmax", Array.Empty<float>()), new("half", Array.Empty<Half>()), new("master", new double[] { 1.5 })];
        byte[] file = Save(Header(0, Plateau, [], []), empty);
        StoredBuffer[] destinations = Fresh(empty);
        Assert.Equal(Plateau, Checkpoint.ReadStoredInto(Source(file, seekable), Fingerprint, 0, expectPlateau: true, destinations).Plateau);
        Assert.Equal(Snapshot(empty), Snapshot(destinations));

        byte[] none = Save(Header(Parameters, null, ScalarNames, [-0.0]), []);
        CheckpointContent<byte> read = Checkpoint.ReadStoredInto(Source(none, seekable), Fingerprint, Parameters, expectPlateau: false, [], ScalarNames);
        Assert.Equal(Parameters, read.Length);
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(read.ScalarStateValues[0]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_checkpoint_embedded_in_a_longer_stream_leaves_the_stream_just_after_it(bool seekable)
    {
        // A compact optimizer's checkpoint, a float optimizer's, then other data (say, model weights).
        byte[] first = SampleFile();
        float[] momentum = [1, 2, 3];
        byte[] second = Save(new CheckpointContent<float>(Fingerprint, 3, 7, 0, 0.002, null, ["momentum"], [momentum]));
        byte[] weights = Encoding.UTF8.GetBytes("model weights follow");
        using Stream stream = Source([.. first, .. second, .. weights], seekable);

        StoredBuffer[] destinations = Fresh(SampleBuffers());
        Assert.Equal(42, Checkpoint.ReadStoredInto(stream, Fingerprint, Parameters, expectPlateau: true, destinations, ScalarNames).StepCount);
        Assert.Equal(Snapshot(SampleBuffers()), Snapshot(destinations));
        var floats = new float[3];
        Assert.Equal(7, Checkpoint.ReadStoredInto(stream, Fingerprint, 3, expectPlateau: false, [new("momentum", floats)]).StepCount);
        Assert.Equal(momentum, floats);
        var rest = new MemoryStream();
        stream.CopyTo(rest);
        Assert.Equal(weights, rest.ToArray());
    }

    [Fact]
    public void Impossible_shapes_with_valid_checksums_are_corrupt()
    {
        // The codes' element size (1) and count (10) follow its name; the header ends with the scalars.
        int codesSize = IndexOf(SampleFile(), "codes"u8) + "codes".Length;
        Assert.Contains("element sizes are 1, 2, 4 or 8", Corrupted(file => file[codesSize] = 3));
        Assert.Contains("element sizes are 1, 2, 4 or 8", Corrupted(file => file[codesSize] = 0));
        Assert.Contains("counts ≥ 0", Corrupted(file => BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(codesSize + 1), -1)));
        Assert.Contains("2^63 bytes", Corrupted(file => BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(codesSize + 1), long.MaxValue)));

        int elementSize = 24 + Encoding.UTF8.GetByteCount(Fingerprint);
        Assert.Contains("not 0", Corrupted(file => file[elementSize] = 4));

        // A format-2 header with element size 0, or a format-3 header read as format 2: the fields do not fit.
        Assert.Contains("neither 4 nor 8", Corrupted(file => file[elementSize] = 0, SampleFile(2)));
        Corrupted(file => file[8] = 2);
    }

    [Fact]
    public void A_huge_bogus_count_is_a_state_mismatch_without_allocating()
    {
        byte[] file = SampleFile();
        int codesCount = IndexOf(file, "codes"u8) + "codes".Length + 1;
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(codesCount), long.MaxValue / 2);
        FixChecksums(file);
        StoredBuffer[] destinations = Fresh(SampleBuffers());

        long before = GC.GetAllocatedBytesForCurrentThread();
        CheckpointException e = Assert.Throws<CheckpointException>(() => Load(file, destinations, seekable: true));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(CheckpointError.StateMismatch, e.Error);
        Assert.Contains($"{long.MaxValue / 2} × 1-byte elements", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 100_000, $"Allocated {allocated} bytes.");
    }

    [Fact]
    public void Arguments_are_validated()
    {
        CheckpointContent<byte> header = Header(Parameters, null, [], []);
        Assert.Equal("header", Assert.Throws<ArgumentException>(
            () => Checkpoint.WriteStored(Stream.Null, new CheckpointContent<byte>(Fingerprint, 1, 0, 0, 0.1, null, ["codes"], [new byte[1]]), [])).ParamName);
        Assert.Equal("header", Assert.Throws<ArgumentException>(
            () => Checkpoint.WriteStored(Stream.Null, new CheckpointContent<byte>(Fingerprint, 1, 0, 0, double.NaN, null, [], []), [])).ParamName);
        Assert.Throws<ArgumentNullException>(() => Checkpoint.WriteStored(Stream.Null, header, null!));

        // Arrays whose bytes are not their values, or not one-dimensional, or missing.
        foreach (StoredBuffer buffer in new StoredBuffer[]
        {
            new("names", new[] { "a" }), new("flags", new bool[1]), new("chars", new char[1]), new("decimals", new decimal[1]),
            new("matrix", new float[2, 2]), new("offset", Array.CreateInstance(typeof(float), [2], [1])), new("missing", null!), new(null!, new float[1]), default,
        })
        {
            Assert.Equal("buffers", Assert.Throws<ArgumentException>(() => Checkpoint.WriteStored(Stream.Null, header, [buffer])).ParamName);
            Assert.Equal("destinations", Assert.Throws<ArgumentException>(
                () => Checkpoint.ReadStoredInto(new MemoryStream(SampleFile()), Fingerprint, Parameters, expectPlateau: true, [buffer])).ParamName);
        }

        // Every fixed-size numeric type is a stored element type.
        Array[] numeric = [new sbyte[3], new short[3], new ushort[3], new Half[3], new int[3], new uint[3], new long[3], new ulong[3]];
        StoredBuffer[] all = [.. numeric.Select((data, i) => new StoredBuffer($"b{i}", data))];
        for (int i = 0; i < numeric.Length; i++)
        {
            Bytes(numeric[i])[1] = (byte)(i + 1);
        }

        StoredBuffer[] destinations = Fresh(all);
        Checkpoint.ReadStoredInto(new MemoryStream(Save(header, all)), Fingerprint, Parameters, expectPlateau: false, destinations);
        Assert.Equal(Snapshot(all), Snapshot(destinations));
    }

    [Fact]
    public void A_buffer_of_more_than_2_GiB_round_trips()
    {
        // Byte offsets past int.MaxValue, in the writer, the verification and the copy.
        const long elements = (1L << 29) + 3;
        if (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes < 8L << 30)
        {
            output.WriteLine("Skipped: less than 8 GiB of memory is available.");
            return;
        }

        // A random block tiled over the array: its length is no multiple of the 1 MiB chunks, so a chunk read or written
        // at the wrong offset changes the data.
        var large = new float[elements];
        float[] block = new float[(1 << 18) + 3];
        new Random(20260611).NextBytes(MemoryMarshal.AsBytes(block.AsSpan()));
        for (int start = 0; start < large.Length; start += block.Length)
        {
            block.AsSpan(0, Math.Min(block.Length, large.Length - start)).CopyTo(large.AsSpan(start));
        }

        byte[] tail = [1, 2, 3, 255];
        ulong expected = Hash(large);
        string path = Path.Combine(Path.GetTempPath(), $"optgen-large-{Guid.NewGuid():N}.ckpt");
        try
        {
            using (FileStream stream = File.Create(path))
            {
                Checkpoint.WriteStored(stream, Header(Parameters, null, [], []), [new("master_weights", large), new("tail", tail)]);
            }

            Assert.Equal(28 + 8 + (elements * 4) + 4, new FileInfo(path).Length - HeaderLength(path));
            Array.Clear(large);
            var tailCopy = new byte[4];
            using (FileStream stream = File.OpenRead(path))
            {
                Checkpoint.ReadStoredInto(stream, Fingerprint, Parameters, expectPlateau: false, [new("master_weights", large), new("tail", tailCopy)]);
                Assert.Equal(stream.Length, stream.Position);
            }

            Assert.Equal(expected, Hash(large));
            Assert.Equal(tail, tailCopy);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Four buffers of <see cref="Parameters"/> parameters in compact storage, with plateau state and a scalar.</summary>
    private static StoredBuffer[] SampleBuffers()
        =>
        [
            new("codes", new byte[] { 0, 1, 127, 128, 255, 3, 4, 5, 6, 7 }),
            new("absmax", new float[] { BitConverter.Int32BitsToSingle(0x7FC0_0001) }),
            new("exp_avg_sq", Enumerable.Range(0, Parameters).Select(i => BFloat16.FromBits((ushort)(0x7F7F + i))).ToArray()),
            new("master_weights", new double[] { 1, -0.0, NanWithPayload, 4, 5, 6, 7, 8, 9, double.NegativeInfinity }),
        ];

    private static byte[] SampleFile(int version = 3)
        => version == 3
            ? Save(Header(Parameters, Plateau, ScalarNames, [0.5]), SampleBuffers())
            : Save(new CheckpointContent<float>(Fingerprint, 1, 42, 1, 0.001, Plateau, ["a"], [[1f]], ScalarNames, [0.5]));

    private static CheckpointContent<byte> Header(int length, PlateauState? plateau, string[] scalarNames, double[] scalarValues, long steps = 42, long skipped = 1)
        => new(Fingerprint, length, steps, skipped, 0.001, plateau, [], [], scalarNames, scalarValues);

    private static Stream Source(byte[] file, bool seekable) => seekable ? new MemoryStream(file) : new ForwardOnlyStream(file);

    private static void Load(byte[] file, StoredBuffer[] destinations, bool seekable)
        => Checkpoint.ReadStoredInto(Source(file, seekable), Fingerprint, Parameters, expectPlateau: true, destinations, ScalarNames);

    private static void StateMismatch(byte[] file, StoredBuffer[] destinations, string saved, string expected)
    {
        StoredBuffer[] fresh = Fresh(destinations);
        byte[][] before = Snapshot(fresh);
        CheckpointException e = Assert.Throws<CheckpointException>(() => Load(file, fresh, seekable: true));
        Assert.Equal(CheckpointError.StateMismatch, e.Error);
        Assert.Contains(saved, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(fresh));
    }

    /// <summary>The message of loading the sample file with one header field patched (and the checksums fixed), which must be corrupt.</summary>
    private static string Corrupted(Action<byte[]> patch, byte[]? file = null)
    {
        file ??= SampleFile();
        patch(file);
        FixChecksums(file);
        CheckpointException e = Assert.Throws<CheckpointException>(() => Load(file, Fresh(SampleBuffers()), seekable: true));
        Assert.Equal(CheckpointError.Corrupt, e.Error);
        return e.Message;
    }

    /// <summary>Arrays of the same types and lengths, filled with a pattern that no saved buffer has.</summary>
    private static StoredBuffer[] Fresh(StoredBuffer[] buffers)
        => [.. buffers.Select(buffer =>
        {
            Array copy = Array.CreateInstance(buffer.Data.GetType().GetElementType()!, buffer.Data.Length);
            Bytes(copy).Fill(0xA5);
            return buffer with { Data = copy };
        })];

    private static byte[][] Snapshot(StoredBuffer[] buffers) => [.. buffers.Select(buffer => Bytes(buffer.Data).ToArray())];

    private static Span<byte> Bytes(Array array)
        => MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), array.Length * RuntimeHelpers.SizeOf(array.GetType().GetElementType()!.TypeHandle));

    private static ulong Hash(float[] values)
    {
        var crc = new Crc64();
        for (long start = 0; start < values.LongLength; start += 1 << 26)
        {
            crc.Append(MemoryMarshal.AsBytes(values.AsSpan((int)start, (int)Math.Min(1 << 26, values.LongLength - start))));
        }

        return crc.GetCurrentHashAsUInt64();
    }

    private static long HeaderLength(string path)
    {
        using FileStream stream = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[16];
        stream.ReadExactly(prefix);
        return BinaryPrimitives.ReadUInt32LittleEndian(prefix[12..]);
    }

    private static int IndexOf(byte[] file, ReadOnlySpan<byte> text) => file.AsSpan().IndexOf(text);
}
