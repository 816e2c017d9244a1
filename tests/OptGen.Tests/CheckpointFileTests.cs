using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace OptGen.Tests;

/// <summary>
/// Saving to and resuming from real files: memory a resume needs, paths that are not plain files, long names.
/// </summary>
public sealed class CheckpointFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("optgen-checkpoint-files-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Resuming_needs_no_second_copy_of_the_state(bool fromFile)
    {
        // 8M parameters: 64 MB of Adam state. Reading it into fresh arrays first, as a resume used to, allocates all of it again.
        const int length = 8 << 20;
        var saved = new PlainAdam(length);
        float[] parameters = OptimizerTestData.InitialParameters<float>(length);
        saved.Step(parameters, OptimizerTestData.Gradient<float>(1, length));
        string path = Path.Combine(_directory.FullName, "large.ckpt");
        saved.SaveCheckpoint(path);

        var resumed = new PlainAdam(length);
        using Stream source = fromFile ? File.OpenRead(path) : new ForwardOnlyStream(File.ReadAllBytes(path), maxReadLength: 1 << 16);
        long before = GC.GetAllocatedBytesForCurrentThread(); // the load runs on this thread; other tests run in parallel
        resumed.LoadCheckpoint(source);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 4 << 20, $"Resuming 64 MB of state allocated {allocated:N0} bytes.");
        Assert.Equal(1, resumed.StepCount);
        Assert.True(saved.ExpAvg.SequenceEqual(resumed.ExpAvg));
        Assert.True(saved.ExpAvgSq.SequenceEqual(resumed.ExpAvgSq));
    }

    [Fact]
    public void A_damaged_large_checkpoint_changes_nothing_even_though_it_is_read_in_blocks()
    {
        const int length = 3 << 20;
        var saved = new PlainAdam(length);
        saved.Step(OptimizerTestData.InitialParameters<float>(length), OptimizerTestData.Gradient<float>(1, length));
        var stream = new MemoryStream();
        saved.SaveCheckpoint(stream);
        byte[] file = stream.ToArray();
        file[^20] ^= 1; // in the last buffer's last block: everything before it would already have been copied

        var target = new PlainAdam(length);
        target.Step(OptimizerTestData.InitialParameters<float>(length), OptimizerTestData.Gradient<float>(2, length));
        foreach (Stream source in new Stream[] { new MemoryStream(file), new ForwardOnlyStream(file, maxReadLength: 1 << 16) })
        {
            BitSnapshot before = BitSnapshot.Of(target);
            Assert.Equal(CheckpointError.Corrupt, Assert.Throws<CheckpointException>(() => target.LoadCheckpoint(source)).Error);
            BitSnapshot.AssertIdentical(before, BitSnapshot.Of(target), "after the refused load");
        }
    }

    [Fact]
    public void Saving_through_a_symbolic_link_replaces_the_file_it_points_to_and_keeps_the_link()
    {
        string target = Path.Combine(_directory.FullName, "real.ckpt");
        string link = Path.Combine(_directory.FullName, "latest.ckpt");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, "real.ckpt");

        PlainAdam saved = CheckpointTests.Stepped(new PlainAdam(9), 3);
        saved.SaveCheckpoint(link);

        Assert.Equal("real.ckpt", new FileInfo(link).LinkTarget);
        var loaded = new PlainAdam(9);
        loaded.LoadCheckpoint(target);
        Assert.Equal(3, loaded.StepCount);

        // A dangling link: the file it names is created.
        string dangling = Path.Combine(_directory.FullName, "next.ckpt");
        File.CreateSymbolicLink(dangling, "created.ckpt");
        saved.SaveCheckpoint(dangling);
        Assert.Equal("created.ckpt", new FileInfo(dangling).LinkTarget);
        loaded.LoadCheckpoint(Path.Combine(_directory.FullName, "created.ckpt"));
        Assert.Equal(3, loaded.StepCount);
        Assert.Equal(["created.ckpt", "latest.ckpt", "next.ckpt", "real.ckpt"], _directory.GetFileSystemInfos().Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Special_files_and_directories_are_refused_and_left_as_they_are()
    {
        PlainAdam optimizer = CheckpointTests.Stepped(new PlainAdam(9), 2);
        string directory = Directory.CreateDirectory(Path.Combine(_directory.FullName, "folder.ckpt")).FullName;
        Assert.Throws<IOException>(() => optimizer.SaveCheckpoint(directory));
        Assert.True(Directory.Exists(directory));

        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string fifo = Path.Combine(_directory.FullName, "pipe.ckpt");
        Run("mkfifo", fifo);
        string linkToFifo = Path.Combine(_directory.FullName, "pipe-link.ckpt");
        File.CreateSymbolicLink(linkToFifo, fifo);
        string device = Path.Combine(_directory.FullName, "null.ckpt");
        bool haveDevice = TryRun("mknod", device, "c", "1", "3"); // a second /dev/null: needs the right to create devices

        foreach (string path in haveDevice ? new[] { fifo, linkToFifo, device } : [fifo, linkToFifo])
        {
            var e = Assert.Throws<IOException>(() => optimizer.SaveCheckpoint(path));
            Assert.Contains("not a regular file", e.Message, StringComparison.Ordinal);
        }

        Assert.Equal("p", FileType(fifo));
        Assert.Equal("p", FileType(linkToFifo));
        if (haveDevice)
        {
            Assert.Equal("c", FileType(device));
        }

        Assert.DoesNotContain(_directory.GetFiles(), f => f.Name.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(255, "x")]
    [InlineData(218, "x")]
    [InlineData(127, "é")] // 254 bytes in UTF-8
    [InlineData(63, "\U0001F600")] // 252 bytes: four-byte characters, never split
    public void Names_as_long_as_the_file_system_allows_can_be_saved(int count, string character)
    {
        string name = string.Concat(Enumerable.Repeat(character, count));
        string path = Path.Combine(_directory.FullName, name);
        PlainAdam saved = CheckpointTests.Stepped(new PlainAdam(9), 4);
        saved.SaveCheckpoint(path);
        saved.SaveCheckpoint(path); // and replaced

        var loaded = new PlainAdam(9);
        loaded.LoadCheckpoint(path);
        Assert.Equal(4, loaded.StepCount);
        Assert.Equal([name], _directory.GetFiles().Select(f => f.Name));
    }

    private static string FileType(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("stat", ["-L", "-c", "%F", path]) { RedirectStandardOutput = true })!;
        string type = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return type switch
        {
            "fifo" => "p",
            "character special file" => "c",
            _ => type,
        };
    }

    private static void Run(string command, params string[] arguments) => Assert.True(TryRun(command, arguments), $"{command} failed.");

    private static bool TryRun(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
