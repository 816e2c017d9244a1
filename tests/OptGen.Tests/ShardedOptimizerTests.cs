using System;
using OptGen.Distributed;

namespace OptGen.Tests;

/// <summary>
/// What <see cref="ShardedOptimizer{T}"/> decides before any MPI call: shard lengths, file names, refused element
/// types. The collective behaviour is tested under mpirun in <see cref="MpiTests"/>.
/// </summary>
public sealed class ShardedOptimizerTests
{
    [Theory]
    [InlineData(0, 1, 1024)]
    [InlineData(7936, 1, 8192)]
    [InlineData(7936, 2, 4096)]
    [InlineData(7936, 3, 3072)]
    [InlineData(7936, 5, 2048)]
    [InlineData(2048, 2, 1024)]
    [InlineData(2049, 2, 2048)]
    [InlineData(100, 8, 1024)] // more ranks than blocks: the last ranks' shards are padding only
    [InlineData(2_000_000_000, 3, 666_667_008)]
    public void A_shard_is_whole_norm_blocks_and_the_shards_cover_the_store(int length, int ranks, int expected)
    {
        int shard = ShardedOptimizer<float>.ShardLengthFor(length, ranks);
        Assert.Equal(expected, shard);
        Assert.Equal(0, shard % GradientNorm.BlockLength);
        Assert.True((long)shard * ranks >= length);
        Assert.True((long)(shard - GradientNorm.BlockLength) * ranks < Math.Max(length, 1) || shard == GradientNorm.BlockLength);
    }

    [Fact]
    public void Shard_file_names_sort_by_rank_and_name_the_rank_count()
    {
        Assert.Equal("shard-00000-of-00002.optgen", ShardedOptimizer<float>.ShardFileName(0, 2));
        Assert.Equal("shard-00011-of-00012.optgen", ShardedOptimizer<double>.ShardFileName(11, 12));
    }

    [Fact]
    public void Half_elements_are_refused_before_MPI_is_touched()
    {
        var store = new ParameterStore<Half>([("w", 10)]);
        var error = Assert.Throws<NotSupportedException>(() => new ShardedOptimizer<Half>(store, length => throw new InvalidOperationException("not called")));
        Assert.Contains("float, double or BFloat16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_process_started_without_a_launcher_is_one_rank()
    {
        // The test host is not started by mpirun (the MPI tests start their workers in other processes).
        Assert.Null(Environment.GetEnvironmentVariable("PMI_SIZE"));
        Assert.Equal(1, Mpi.LaunchedSize);
    }
}
