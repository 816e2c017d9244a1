using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using static OptGen.Tests.CheckpointFiles;

namespace OptGen.Tests;

/// <summary>The checkpoint file format: round trips, and every kind of damage or mismatch reported as such.</summary>
public sealed class CheckpointFormatTests
{
    private const string Fingerprint = "adam(lr=0.001,betas=(0.9,0.999),eps=1e-08)";
    private static readonly string[] Names = ["exp_avg", "exp_avg_sq"];
    private static readonly PlateauState Plateau = new(0.0005, 0.25, 2, 1);

    // Header field offsets in format 1: magic, version, header length and its complement take 20 bytes, then the fingerprint.
    private static readonly int ElementSizeOffset = 24 + Encoding.UTF8.GetByteCount(Fingerprint);
    private static readonly int LengthOffset = ElementSizeOffset + 1;
    private static readonly int StepCountOffset = LengthOffset + 4;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Float_state_round_trips_bit_exactly(bool withPlateau)
    {
        float[] special =
        [
            BitConverter.Int32BitsToSingle(0x7FC0_1234), // quiet NaN with a payload
            BitConverter.Int32BitsToSingle(unchecked((int)0xFF80_0001)), // signalling NaN, negative
            -0f, float.Epsilon, -float.Epsilon * 3, float.MaxValue, float.NegativeInfinity,
        ];
        float[] first = [.. special, 1.5f, -2.25f];
        float[] second = [.. Enumerable.Range(0, first.Length).Select(i => (float)Math.Sin(i) * 1e-3f)];
        var content = new CheckpointContent<float>(
            Fingerprint, first.Length, 123_456_789_012, 7, 0.001, withPlateau ? Plateau : null, Names, [first, second]);

        CheckpointContent<float> read = Load<float>(Save(content), first.Length, withPlateau);

        Assert.Equal(Fingerprint, read.Fingerprint);
        Assert.Equal(first.Length, read.Length);
        Assert.Equal(123_456_789_012, read.StepCount);
        Assert.Equal(7, read.SkippedStepCount);
        Assert.Equal(0.001, read.BaseLearningRate);
        Assert.Equal(withPlateau ? Plateau : null, read.Plateau);
        Assert.Equal(Names, read.BufferNames);
        Assert.Equal(Bits(first), Bits(read.Buffers[0]));
        Assert.Equal(Bits(second), Bits(read.Buffers[1]));
        Assert.NotSame(first, read.Buffers[0]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Double_state_round_trips_bit_exactly(bool withPlateau)
    {
        double[] values =
        [
            BitConverter.Int64BitsToDouble(0x7FF8_0000_DEAD_BEEF), // quiet NaN with a payload
            BitConverter.Int64BitsToDouble(unchecked((long)0xFFF0_0000_0000_0001)), // signalling NaN, negative
            -0.0, double.Epsilon, 2.2250738585072009e-308, double.MinValue, double.PositiveInfinity, Math.PI,
        ];
        // ±∞ is the best metric before any report.
        PlateauState? plateau = withPlateau ? new PlateauState(0.01, double.PositiveInfinity, 0, 0) : null;
        var content = new CheckpointContent<double>(Fingerprint, values.Length, 0, 0, 3e-4, plateau, ["momentum"], [values]);

        CheckpointContent<double> read = Checkpoint.Read<double>(new MemoryStream(Save(content)), Fingerprint, values.Length, ["momentum"], withPlateau);

        Assert.Equal(plateau, read.Plateau);
        Assert.Equal(3e-4, read.BaseLearningRate);
        Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), read.Buffers[0].Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void No_buffers_and_zero_length_round_trip()
    {
        var none = new CheckpointContent<float>(Fingerprint, 5, 1, 0, 0.1, null, [], []);
        CheckpointContent<float> readNone = Checkpoint.Read<float>(new MemoryStream(Save(none)), Fingerprint, 5, [], expectPlateau: false);
        Assert.Empty(readNone.Buffers);
        Assert.Equal(5, readNone.Length);

        var empty = new CheckpointContent<double>("", 0, 0, 0, 1, Plateau, Names, [[], []]);
        CheckpointContent<double> readEmpty = Checkpoint.Read<double>(new MemoryStream(Save(empty)), "", 0, Names, expectPlateau: true);
        Assert.All(readEmpty.Buffers, Assert.Empty);
        Assert.Equal(Plateau, readEmpty.Plateau);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Truncation_at_every_offset_is_reported_as_truncated(bool seekable)
    {
        byte[] file = SampleFile();
        for (int length = 0; length < file.Length; length++)
        {
            Stream source = seekable ? new MemoryStream(file, 0, length) : new ForwardOnlyStream(file.AsSpan(0, length).ToArray());
            CheckpointException e = Assert.Throws<CheckpointException>(() => Checkpoint.Read<float>(source, Fingerprint, 5, Names, expectPlateau: true));
            Assert.True(e.Error == CheckpointError.Truncated, $"Cut at {length} of {file.Length}: {e.Error}: {e.Message}");
        }
    }

    [Fact]
    public void Every_bit_flip_in_the_header_is_reported_as_damage_never_as_a_mismatch()
    {
        byte[] file = SampleFile();
        for (int bit = 0; bit < HeaderEnd(file) * 8; bit++)
        {
            CheckpointException e = Assert.Throws<CheckpointException>(() => Load<float>(Flip(file, bit)));
            Assert.True(
                e.Error is CheckpointError.Corrupt or CheckpointError.UnsupportedVersion or CheckpointError.NotACheckpoint,
                $"Bit {bit}: {e.Error}: {e.Message}");
        }
    }

    [Fact]
    public void Random_bit_flips_anywhere_are_detected()
    {
        byte[] file = SampleFile();
        var random = new Random(20240611);
        for (int i = 0; i < 600; i++)
        {
            int bit = random.Next(file.Length * 8);
            CheckpointException e = Assert.Throws<CheckpointException>(() => Load<float>(Flip(file, bit)));

            // Past the header only the file checksum can catch it.
            Assert.True(bit < HeaderEnd(file) * 8 || e.Error == CheckpointError.Corrupt, $"Bit {bit}: {e.Error}: {e.Message}");
        }
    }

    [Fact]
    public void A_newer_format_version_is_unsupported_and_version_zero_is_corrupt()
    {
        byte[] newer = SampleFile();
        BinaryPrimitives.WriteUInt32LittleEndian(newer.AsSpan(8), Checkpoint.FormatVersion + 1);
        FixChecksums(newer);
        CheckpointException e = Assert.Throws<CheckpointException>(() => Load<float>(newer));
        Assert.Equal(CheckpointError.UnsupportedVersion, e.Error);
        Assert.Contains("format 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("formats up to 3", e.Message, StringComparison.Ordinal);

        byte[] zero = SampleFile();
        BinaryPrimitives.WriteUInt32LittleEndian(zero.AsSpan(8), 0);
        FixChecksums(zero);
        Assert.Equal(CheckpointError.Corrupt, Assert.Throws<CheckpointException>(() => Load<float>(zero)).Error);
    }

    [Fact]
    public void A_format_1_checkpoint_written_field_by_field_loads_and_is_what_a_rule_without_scalars_writes()
    {
        // Format 1 as documented, built here without the writer: checkpoints saved before persistent per-step scalars
        // existed must still load, and a rule without any still writes format 1, which older readers read.
        byte[] fingerprint = Encoding.UTF8.GetBytes(Fingerprint);
        var header = new MemoryStream();
        var w = new BinaryWriter(header);
        w.Write(fingerprint.Length);
        w.Write(fingerprint);
        w.Write((byte)4);
        w.Write(2); // length
        w.Write(9L); // steps
        w.Write(3L); // skipped steps
        w.Write(0.001);
        w.Write((byte)0); // no plateau
        w.Write(1); // one buffer
        w.Write(7);
        w.Write(Encoding.UTF8.GetBytes("exp_avg"));
        byte[] fields = header.ToArray();
        var file = new MemoryStream();
        file.Write("OPTGCKPT"u8);
        var f = new BinaryWriter(file);
        f.Write(1);
        f.Write(fields.Length);
        f.Write(~fields.Length);
        f.Write(fields);
        f.Write(Crc64.HashToUInt64(file.ToArray()));
        f.Write(1.5f);
        f.Write(-0f);
        f.Write(Crc64.HashToUInt64(file.ToArray()));
        byte[] bytes = file.ToArray();

        CheckpointContent<float> read = Checkpoint.Read<float>(new MemoryStream(bytes), Fingerprint, 2, ["exp_avg"], expectPlateau: false);
        Assert.Equal((9L, 3L, 0.001), (read.StepCount, read.SkippedStepCount, read.BaseLearningRate));
        Assert.Equal([1.5f, -0f], read.Buffers[0]);
        Assert.Empty(read.ScalarStateNames);
        Assert.Equal(bytes, Save(new CheckpointContent<float>(Fingerprint, 2, 9, 3, 0.001, null, ["exp_avg"], [[1.5f, -0f]])));

        // An optimizer that keeps persistent per-step scalars cannot take it: they would be missing.
        CheckpointException e = Assert.Throws<CheckpointException>(
            () => Checkpoint.Read<float>(new MemoryStream(bytes), Fingerprint, 2, ["exp_avg"], expectPlateau: false, ["mu_product"]));
        Assert.Equal(CheckpointError.StateMismatch, e.Error);
        Assert.Contains("[mu_product]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Persistent_scalars_round_trip_bit_exactly_in_format_2_and_must_match()
    {
        double nanWithPayload = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_BEEF);
        string[] scalarNames = ["mu_product", "weight_sum", "lr_max"];
        double[] scalarValues = [0.25, -0d, nanWithPayload];
        var content = new CheckpointContent<float>(Fingerprint, 5, 42, 1, 0.001, Plateau, Names, [new float[5], [1, 2, 3, 4, 5]], scalarNames, scalarValues);
        byte[] file = Save(content);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8)));

        CheckpointContent<float> read = Checkpoint.Read<float>(new MemoryStream(file), Fingerprint, 5, Names, expectPlateau: true, scalarNames);
        Assert.Equal(scalarNames, read.ScalarStateNames);
        Assert.Equal(scalarValues.Select(BitConverter.DoubleToInt64Bits), read.ScalarStateValues.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal([1f, 2, 3, 4, 5], read.Buffers[1]);

        // Into an optimizer without them, or with others: the state would not be the saved one.
        foreach (string[] expected in new[] { [], ["mu_product", "weight_sum"], new[] { "mu_product", "weight_sum", "lr" } })
        {
            CheckpointException e = Assert.Throws<CheckpointException>(
                () => Checkpoint.Read<float>(new MemoryStream(file), Fingerprint, 5, Names, expectPlateau: true, expected));
            Assert.Equal(CheckpointError.StateMismatch, e.Error);
            Assert.Contains("[mu_product, weight_sum, lr_max]", e.Message, StringComparison.Ordinal);
        }

        // Every single-bit flip in the header (the scalars included) is caught.
        for (int bit = 0; bit < HeaderEnd(file) * 8; bit += 7)
        {
            Assert.Throws<CheckpointException>(() => Checkpoint.Read<float>(new MemoryStream(Flip(file, bit)), Fingerprint, 5, Names, expectPlateau: true, scalarNames));
        }

        Assert.Throws<ArgumentException>(() => new CheckpointContent<float>(Fingerprint, 0, 0, 0, 0.001, null, [], [], ["a"], []));
    }

    [Fact]
    public void A_different_rule_is_a_rule_mismatch_naming_both()
    {
        CheckpointException e = Assert.Throws<CheckpointException>(
            () => Checkpoint.Read<float>(new MemoryStream(SampleFile()), "sgd(lr=0.1)", 5, Names, expectPlateau: true));
        Assert.Equal(CheckpointError.RuleMismatch, e.Error);
        Assert.Contains($"'{Fingerprint}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'sgd(lr=0.1)'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_different_element_type_is_an_element_type_mismatch_naming_both()
    {
        CheckpointException e = Assert.Throws<CheckpointException>(() => Load<double>(SampleFile()));
        Assert.Equal(CheckpointError.ElementTypeMismatch, e.Error);
        Assert.Contains("float", e.Message, StringComparison.Ordinal);
        Assert.Contains("double", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_different_length_is_a_length_mismatch_naming_both()
    {
        CheckpointException e = Assert.Throws<CheckpointException>(() => Load<float>(SampleFile(), length: 6));
        Assert.Equal(CheckpointError.LengthMismatch, e.Error);
        Assert.Contains("5", e.Message, StringComparison.Ordinal);
        Assert.Contains("6", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Different_buffers_or_plateau_state_are_a_state_mismatch_naming_both()
    {
        CheckpointException names = Assert.Throws<CheckpointException>(
            () => Checkpoint.Read<float>(new MemoryStream(SampleFile()), Fingerprint, 5, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], expectPlateau: true));
        Assert.Equal(CheckpointError.StateMismatch, names.Error);
        Assert.Contains("[exp_avg, exp_avg_sq]", names.Message, StringComparison.Ordinal);
        Assert.Contains("[exp_avg, exp_avg_sq, max_exp_avg_sq]", names.Message, StringComparison.Ordinal);

        CheckpointException renamed = Assert.Throws<CheckpointException>(
            () => Checkpoint.Read<float>(new MemoryStream(SampleFile()), Fingerprint, 5, ["exp_avg", "other"], expectPlateau: true));
        Assert.Equal(CheckpointError.StateMismatch, renamed.Error);

        CheckpointException unexpected = Assert.Throws<CheckpointException>(() => Load<float>(SampleFile(), plateau: false));
        Assert.Equal(CheckpointError.StateMismatch, unexpected.Error);
        Assert.Contains("holds ReduceOnPlateau schedule state", unexpected.Message, StringComparison.Ordinal);
        Assert.Contains("has no plateau schedule", unexpected.Message, StringComparison.Ordinal);

        var withoutPlateau = new CheckpointContent<float>(Fingerprint, 5, 3, 0, 0.001, null, Names, [new float[5], new float[5]]);
        CheckpointException missing = Assert.Throws<CheckpointException>(() => Load<float>(Save(withoutPlateau), plateau: true));
        Assert.Equal(CheckpointError.StateMismatch, missing.Error);
        Assert.Contains("holds no ReduceOnPlateau schedule state", missing.Message, StringComparison.Ordinal);
        Assert.Contains("has a plateau schedule", missing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_checkpoint_is_self_delimiting_and_leaves_the_stream_just_after_it(bool seekable)
    {
        // Two checkpoints and then other data (say, model weights) in one stream: each loads, and the rest is left unread.
        byte[] first = SampleFile();
        byte[] second = Save(new CheckpointContent<float>(Fingerprint, 5, 7, 0, 0.002, Plateau, Names, [new float[5], [1, 2, 3, 4, 5]]));
        byte[] weights = Encoding.UTF8.GetBytes("model weights follow");
        byte[] all = [.. first, .. second, .. weights];
        using Stream stream = seekable ? new MemoryStream(all) : new ForwardOnlyStream(all);

        var buffers = new[] { new float[5], new float[5] };
        Assert.Equal(42, Checkpoint.ReadInto(stream, Fingerprint, 5, Names, expectPlateau: true, buffers).StepCount);
        CheckpointContent<float> next = Checkpoint.Read<float>(stream, Fingerprint, 5, Names, expectPlateau: true);
        Assert.Equal(7, next.StepCount);
        Assert.Equal([1, 2, 3, 4, 5], next.Buffers[1]);
        var rest = new MemoryStream();
        stream.CopyTo(rest);
        Assert.Equal(weights, rest.ToArray());
    }

    [Fact]
    public void A_step_count_beyond_the_maximum_is_corrupt_and_cannot_be_written()
    {
        byte[] file = SampleFile();
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(StepCountOffset), OptimizerLimits.MaxStepCount + 1);
        FixChecksums(file);
        CheckpointException e = Assert.Throws<CheckpointException>(() => Load<float>(file));
        Assert.Equal(CheckpointError.Corrupt, e.Error);
        Assert.Contains("step count", e.Message, StringComparison.Ordinal);

        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(StepCountOffset), OptimizerLimits.MaxStepCount);
        FixChecksums(file);
        Assert.Equal(OptimizerLimits.MaxStepCount, Load<float>(file).StepCount);

        Assert.Throws<ArgumentException>(() => Save(new CheckpointContent<float>(Fingerprint, 0, long.MaxValue, 0, 0.001, null, [], [])));
    }

    [Theory]
    [InlineData("{\"weights\": [1, 2, 3], \"name\": \"not a checkpoint\"}")]
    [InlineData("PK")]
    [InlineData("OPTGCKPX and more")]
    public void Other_data_is_not_a_checkpoint(string text)
    {
        CheckpointException e = Assert.Throws<CheckpointException>(() => Load<float>(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(CheckpointError.NotACheckpoint, e.Error);
    }

    [Fact]
    public void Implausible_values_with_valid_checksums_are_corrupt()
    {
        byte[] negativeSteps = SampleFile();
        BinaryPrimitives.WriteInt64LittleEndian(negativeSteps.AsSpan(StepCountOffset), -1);
        FixChecksums(negativeSteps);
        Assert.Equal(CheckpointError.Corrupt, Assert.Throws<CheckpointException>(() => Load<float>(negativeSteps)).Error);

        byte[] badElementSize = SampleFile();
        badElementSize[ElementSizeOffset] = 2;
        FixChecksums(badElementSize);
        Assert.Equal(CheckpointError.Corrupt, Assert.Throws<CheckpointException>(() => Load<float>(badElementSize)).Error);

        byte[] zeroRate = SampleFile();
        BinaryPrimitives.WriteDoubleLittleEndian(zeroRate.AsSpan(StepCountOffset + 16), 0);
        FixChecksums(zeroRate);
        Assert.Equal(CheckpointError.Corrupt, Assert.Throws<CheckpointException>(() => Load<float>(zeroRate)).Error);
    }

    [Fact]
    public void A_huge_bogus_length_is_a_length_mismatch_without_allocating()
    {
        byte[] file = SampleFile();
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(LengthOffset), int.MaxValue);
        FixChecksums(file);
        var source = new MemoryStream(file);

        long before = GC.GetAllocatedBytesForCurrentThread();
        CheckpointException e = Assert.Throws<CheckpointException>(() => Checkpoint.Read<float>(source, Fingerprint, 5, Names, expectPlateau: true));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(CheckpointError.LengthMismatch, e.Error);
        Assert.Contains(int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 100_000, $"Allocated {allocated} bytes.");
    }

    [Fact]
    public void Content_and_arguments_are_validated()
    {
        float[] five = new float[5];
        Assert.Equal("buffers", Assert.Throws<ArgumentException>(() => new CheckpointContent<float>(Fingerprint, 5, 0, 0, 0.1, null, Names, [five])).ParamName);
        Assert.Equal("buffers", Assert.Throws<ArgumentException>(() => new CheckpointContent<float>(Fingerprint, 5, 0, 0, 0.1, null, Names, [five, new float[4]])).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentException>(() => new CheckpointContent<float>(Fingerprint, -1, 0, 0, 0.1, null, [], [])).ParamName);
        Assert.Equal("stepCount", Assert.Throws<ArgumentException>(() => new CheckpointContent<float>(Fingerprint, 5, -1, 0, 0.1, null, [], [])).ParamName);
        Assert.Equal("skippedStepCount", Assert.Throws<ArgumentException>(() => new CheckpointContent<float>(Fingerprint, 5, 0, -1, 0.1, null, [], [])).ParamName);

        // Values a reader would reject are refused at write time, so that no unreadable checkpoint is ever written.
        foreach (double rate in new[] { 0, -1, double.NaN, double.PositiveInfinity })
        {
            var content = new CheckpointContent<float>(Fingerprint, 5, 0, 0, rate, null, [], []);
            Assert.Throws<ArgumentException>(() => Checkpoint.Write(Stream.Null, content));
        }

        var badPlateau = new CheckpointContent<float>(Fingerprint, 5, 0, 0, 0.1, Plateau with { Best = double.NaN }, [], []);
        Assert.Throws<ArgumentException>(() => Checkpoint.Write(Stream.Null, badPlateau));
        Assert.Throws<NotSupportedException>(() => Checkpoint.Write(Stream.Null, new CheckpointContent<int>(Fingerprint, 0, 0, 0, 0.1, null, [], [])));
        Assert.Throws<NotSupportedException>(() => Checkpoint.Read<int>(new MemoryStream(SampleFile()), Fingerprint, 5, Names, expectPlateau: true));
    }

    [Fact]
    public void WriteFile_writes_and_overwrites()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("optgen-checkpoint-");
        try
        {
            string path = Path.Combine(directory.FullName, "model.ckpt");
            byte[] file = SampleFile();
            Checkpoint.WriteFile(path, stream => stream.Write(file));
            Assert.Equal(file, File.ReadAllBytes(path));

            var content = new CheckpointContent<float>(Fingerprint, 5, 99, 0, 0.001, Plateau, Names, [new float[5], [1, 2, 3, 4, 5]]);
            Checkpoint.WriteFile(path, stream => Checkpoint.Write(stream, content));
            using (FileStream stream = File.OpenRead(path))
            {
                CheckpointContent<float> read = Checkpoint.Read<float>(stream, Fingerprint, 5, Names, expectPlateau: true);
                Assert.Equal(99, read.StepCount);
                Assert.Equal([1f, 2, 3, 4, 5], read.Buffers[1]);
            }

            Assert.Equal(["model.ckpt"], directory.GetFiles().Select(f => f.Name));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void WriteFile_that_fails_halfway_leaves_the_previous_file_and_no_temporary_file()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("optgen-checkpoint-");
        try
        {
            string path = Path.Combine(directory.FullName, "model.ckpt");
            byte[] previous = SampleFile();
            File.WriteAllBytes(path, previous);
            byte[] replacement = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();

            Assert.Throws<InvalidOperationException>(() => Checkpoint.WriteFile(path, stream =>
            {
                stream.Write(replacement.AsSpan(0, replacement.Length / 2));
                stream.Flush();
                throw new InvalidOperationException("Simulated failure halfway.");
            }));

            Assert.Equal(previous, File.ReadAllBytes(path));
            Assert.Equal(["model.ckpt"], directory.GetFiles().Select(f => f.Name));

            // Without a previous file, nothing at all is left.
            string fresh = Path.Combine(directory.FullName, "fresh.ckpt");
            Assert.Throws<IOException>(() => Checkpoint.WriteFile(fresh, _ => throw new IOException("Disk full.")));
            Assert.Equal(["model.ckpt"], directory.GetFiles().Select(f => f.Name));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Length 5, two buffers, with plateau state.</summary>
    private static byte[] SampleFile()
    {
        float[] first = [1, -2, 3.5f, float.NaN, -0f];
        float[] second = [1e-30f, 2, 0, float.Epsilon, 5];
        return Save(new CheckpointContent<float>(Fingerprint, 5, 42, 1, 0.001, Plateau, Names, [first, second]));
    }

    private static CheckpointContent<T> Load<T>(byte[] file, int length = 5, bool plateau = true)
        where T : unmanaged
        => Checkpoint.Read<T>(new MemoryStream(file), Fingerprint, length, Names, plateau);

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}
