using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace OptGen.Tests;

/// <summary>
/// <see cref="ParameterStore{T}.CreateShard"/> and <see cref="ShardGroup"/>: stepping the shards of a store, each on its
/// own thread in a group that gathers like MPI, must give the bits of stepping the whole store, clipping included.
/// </summary>
public sealed class ShardTests
{
    private static readonly (string Name, int Length)[] Model =
    [
        ("embed.weight", 3000), ("layer1.weight", 1500), ("layer1.bias", 53), ("norm.weight", 17),
        ("layer2.weight", 2301), ("layer2.bias", 7), ("head.weight", 1000),
    ];

    [Fact]
    public void A_shard_has_the_layout_of_its_range_of_the_store()
    {
        var store = new ParameterStore<float>(Model);
        foreach (TensorSlice tensor in store.Tensors)
        {
            for (int i = 0; i < tensor.Length; i++)
            {
                store.Parameters[tensor.Offset + i] = tensor.Offset + i + 1; // padding stays zero
            }
        }

        ParameterStore<float> shard = store.CreateShard(2048, 4096);
        Assert.Equal(4096, shard.Length);

        // embed.weight (0..3000) is cut at 2048; layer1.weight starts at 3008, layer1.bias at 4512; layer2.weight
        // (4608..6909) is cut at 6144.
        Assert.Equal(
            [new TensorSlice("embed.weight", 0, 952), new TensorSlice("layer1.weight", 960, 1500), new TensorSlice("layer1.bias", 2464, 53), new TensorSlice("norm.weight", 2528, 17), new TensorSlice("layer2.weight", 2560, 1536)],
            shard.Tensors);
        Assert.Equal(store.Parameters.Slice(2048, 4096).ToArray(), shard.Parameters.ToArray());
        Assert.All(shard.Gradients.ToArray(), g => Assert.Equal(0f, g));

        // head.weight (6928..7928) is cut at 7168; the store ends at 7936, and the rest of the shard is padding.
        ParameterStore<float> tail = store.CreateShard(7168, 1024);
        Assert.Equal(1024, tail.Length);
        Assert.Equal([new TensorSlice("head.weight", 0, 760)], tail.Tensors);
        Assert.Equal(store.Parameter("head.weight")[240..].ToArray(), tail.Parameter("head.weight").ToArray());
        Assert.All(tail.Parameters[760..].ToArray(), p => Assert.Equal(0f, p));
        Assert.Empty(store.CreateShard(8192, 1024).Tensors);
    }

    [Fact]
    public void A_shard_follows_the_learning_rate_scales_of_its_store()
    {
        var store = new ParameterStore<double>(Model);
        ParameterStore<double> shard = store.CreateShard(0, 2048);
        ParameterStore<double> shardOfShard = shard.CreateShard(1024, 1024);
        store.SetLearningRateScale("embed.*", 0.25);
        Assert.Equal(0.25, shard.GetLearningRateScale("embed.weight"));
        Assert.Equal(0.25, shardOfShard.GetLearningRateScale("embed.weight"));
        Assert.Throws<InvalidOperationException>(() => shard.SetLearningRateScale("embed.*", 1));
    }

    [Theory]
    [InlineData(-16, 64)]
    [InlineData(8, 64)]
    [InlineData(0, 10)]
    [InlineData(0, -16)]
    public void A_shard_that_would_cut_padding_is_refused(int offset, int length)
    {
        var store = new ParameterStore<float>(Model);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.CreateShard(offset, length));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Sharded_steps_with_clipping_exclusions_and_scales_have_the_bits_of_whole_steps(int shards)
    {
        var store = new ParameterStore<float>(Model);
        var random = new Random(5);
        Fill(store.Parameters, random, 1);
        store.SetLearningRateScale("layer2.*", 0.5);
        store.SetLearningRateScale("norm.*", 0); // frozen: out of the norm, left as it is
        var whole = new TransformerAdamW(store.Length);
        var reference = new ParameterStore<float>(Model);
        store.Parameters.CopyTo(reference.Parameters);
        reference.SetLearningRateScale("layer2.*", 0.5);
        reference.SetLearningRateScale("norm.*", 0);

        int length = ShardLength(store.Length, shards);
        ParameterStore<float>[] shardStores = Enumerable.Range(0, shards).Select(k => store.CreateShard(k * length, length)).ToArray();
        TransformerAdamW[] optimizers = Enumerable.Range(0, shards).Select(_ => new TransformerAdamW(length)).ToArray();
        int clipped = 0;
        for (int step = 0; step < 6; step++)
        {
            FillTensors(reference, random, step % 2 == 0 ? 0.01 : 0.5);
            Assert.True(whole.Step(reference));
            clipped += whole.LastGradientNorm > 1 ? 1 : 0;

            bool[] applied = StepShards(store, reference.Gradients, shardStores, optimizers);
            Assert.All(applied, Assert.True);
            Assert.All(optimizers, o => Assert.Equal(whole.LastGradientNorm, o.LastGradientNorm));
            Assert.Equal(Bits(reference.Parameters), Bits(store.Parameters));
        }

        Assert.InRange(clipped, 1, 5);
    }

    [Fact]
    public void A_non_finite_gradient_in_one_shard_skips_the_step_on_every_shard()
    {
        var store = new ParameterStore<float>(Model);
        Fill(store.Parameters, new Random(6), 1);
        float[] before = store.Parameters.ToArray();
        int length = ShardLength(store.Length, 2);
        ParameterStore<float>[] shardStores = [store.CreateShard(0, length), store.CreateShard(length, length)];
        SkipStepMomentumSgd[] optimizers = [new SkipStepMomentumSgd(length), new SkipStepMomentumSgd(length)];
        float[] gradients = new float[store.Length];
        gradients.AsSpan().Fill(0.1f);
        gradients[store.Tensors.Single(t => t.Name == "head.weight").Offset + 3] = float.NaN; // in the second shard only

        Assert.Equal([false, false], StepShards(store, gradients, shardStores, optimizers));
        Assert.All(optimizers, o => Assert.Equal((0L, 1L), (o.StepCount, o.SkippedStepCount)));
        Assert.Equal(before, store.Parameters.ToArray());
    }

    [Fact]
    public void A_rule_with_per_tensor_norms_refuses_to_step_a_shard_and_changes_nothing()
    {
        var store = new ParameterStore<float>(Model);
        ParameterStore<float> shard = store.CreateShard(0, 1024);
        Fill(shard.Gradients, new Random(7), 0.1);
        var lamb = new ClippedLamb(shard.Length);
        using (ShardGroup.Enter(new ThreadGroup(1).Member(0)))
        {
            Assert.Throws<NotSupportedException>(() => lamb.Step(shard));
        }

        Assert.Equal(0, lamb.StepCount);
        Assert.Null(ShardGroup.Current);
    }

    /// <summary>The shard length a data-parallel job uses: whole norm blocks, so that sharded norms keep their bits.</summary>
    private static int ShardLength(int length, int shards) =>
        (int)(((long)length + shards - 1) / shards + GradientNorm.BlockLength - 1) / GradientNorm.BlockLength * GradientNorm.BlockLength;

    /// <summary>
    /// One data-parallel step on threads: each shard takes its range of <paramref name="gradients"/> (what reduce-scatter
    /// hands it), steps in the group, and writes its parameters back to the store (what all-gather does).
    /// </summary>
    private static bool[] StepShards<TOptimizer>(ParameterStore<float> store, ReadOnlySpan<float> gradients, ParameterStore<float>[] shards, TOptimizer[] optimizers)
        where TOptimizer : IOptimizer<float>
    {
        var group = new ThreadGroup(shards.Length);
        float[] all = gradients.ToArray();
        var applied = new bool[shards.Length];
        var failures = new Exception?[shards.Length];
        Thread[] threads = Enumerable.Range(0, shards.Length).Select(k => new Thread(() =>
        {
            try
            {
                int offset = Math.Min(k * shards[k].Length, all.Length);
                int count = Math.Min(all.Length - offset, shards[k].Length);
                all.AsSpan(offset, count).CopyTo(shards[k].Gradients);
                using (ShardGroup.Enter(group.Member(k)))
                {
                    applied[k] = optimizers[k].Step(shards[k]);
                }
            }
            catch (Exception e)
            {
                failures[k] = e;
            }
        })).ToArray();
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());
        Assert.All(failures, Assert.Null);

        for (int k = 0; k < shards.Length; k++)
        {
            int offset = Math.Min(k * shards[k].Length, store.Length);
            int count = Math.Min(store.Length - offset, shards[k].Length);
            shards[k].Parameters[..count].CopyTo(store.Parameters.Slice(offset, count));
        }

        return applied;
    }

    private static void Fill(Span<float> values, Random random, double scale)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * scale);
        }
    }

    private static void FillTensors(ParameterStore<float> store, Random random, double scale)
    {
        foreach (TensorSlice tensor in store.Tensors)
        {
            Fill(store.Gradient(tensor.Name), random, scale);
        }
    }

    private static int[] Bits(Span<float> values) => values.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>Threads that gather as MPI's all-gather does: every member waits for all, then reads all in member order.</summary>
    private sealed class ThreadGroup(int count)
    {
        private readonly Barrier _barrier = new(count);
        private readonly double[][] _slots = new double[count][];

        public IShardGroup Member(int index) => new GroupMember(this, index);

        private sealed class GroupMember(ThreadGroup group, int index) : IShardGroup
        {
            public int ProcessCount => group._slots.Length;

            public void AllGather(ReadOnlySpan<double> local, Span<double> all)
            {
                group._slots[index] = local.ToArray();
                Assert.True(group._barrier.SignalAndWait(TimeSpan.FromSeconds(30)), "a member of the group did not arrive");
                for (int k = 0; k < group._slots.Length; k++)
                {
                    group._slots[k].CopyTo(all.Slice(k * local.Length, local.Length));
                }

                Assert.True(group._barrier.SignalAndWait(TimeSpan.FromSeconds(30)), "a member of the group did not arrive");
            }
        }
    }
}
