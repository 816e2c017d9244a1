using System;

namespace OptGen;

/// <summary>
/// The processes of a data-parallel job that each step one shard of a model's optimizer state (ZeRO stage 1). An
/// optimizer stepped inside <see cref="ShardGroup.Enter"/> takes the few decisions that concern the whole model from
/// every shard: the gradient norm that <c>[ClipGradientNorm]</c> clips by (the whole model's, with the bits of an
/// unsharded step's), and whether a non-finite gradient skips the step, so that every process clips by the same
/// coefficient and skips the same steps.
/// </summary>
public interface IShardGroup
{
    /// <summary>The number of processes in the group.</summary>
    int ProcessCount { get; }

    /// <summary>
    /// Gathers every process's <paramref name="local"/> values (the same count on each) into <paramref name="all"/>,
    /// in process order, on every process.
    /// </summary>
    /// <param name="local">This process's values.</param>
    /// <param name="all">Receives <see cref="ProcessCount"/> × <paramref name="local"/>.Length values.</param>
    void AllGather(ReadOnlySpan<double> local, Span<double> all);
}

/// <summary>Which <see cref="IShardGroup"/> the optimizers stepped on this thread belong to.</summary>
public static class ShardGroup
{
    [ThreadStatic]
    private static IShardGroup? t_current;

    /// <summary>The group of the step running on this thread, or null outside <see cref="Enter"/>.</summary>
    public static IShardGroup? Current => t_current;

    /// <summary>
    /// Until the returned scope is disposed, optimizer steps on this thread sum their gradient norm and their non-finite
    /// check over <paramref name="group"/>. Rules that need per-tensor norms (LAMB, LARS) refuse to step in a group.
    /// </summary>
    /// <param name="group">The group.</param>
    /// <returns>A scope that restores the previous group when disposed.</returns>
    public static Scope Enter(IShardGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        IShardGroup? previous = t_current;
        t_current = group;
        return new Scope(previous);
    }

    /// <summary>Whether any process of the current group (or this thread, outside a group) found <paramref name="found"/>.</summary>
    internal static bool Any(bool found)
    {
        if (t_current is not { } group)
        {
            return found;
        }

        Span<double> all = group.ProcessCount <= 64 ? stackalloc double[group.ProcessCount] : new double[group.ProcessCount];
        group.AllGather([found ? 1 : 0], all);
        return all.ContainsAnyExcept(0.0);
    }

    /// <summary>
    /// The sum of the block sums of every process of the current group, gathered and added in process and block order:
    /// the order of one process summing the whole model when each shard holds whole blocks (its length a multiple of
    /// <see cref="GradientNorm.BlockLength"/>), so a sharded norm has the bits of the unsharded one. Outside a group, the
    /// sum of <paramref name="blockSums"/>.
    /// </summary>
    /// <param name="blockSums">This process's block sums, in order.</param>
    /// <param name="scratch">Reused storage for every process's block sums; replaced when too small.</param>
    internal static double SumInOrder(ReadOnlySpan<double> blockSums, ref double[] scratch)
    {
        ReadOnlySpan<double> all = blockSums;
        if (t_current is { } group)
        {
            int count = group.ProcessCount * blockSums.Length;
            if (scratch.Length < count)
            {
                scratch = new double[count];
            }

            group.AllGather(blockSums, scratch.AsSpan(0, count));
            all = scratch.AsSpan(0, count);
        }

        double total = 0;
        foreach (double sum in all)
        {
            total += sum;
        }

        return total;
    }

    /// <summary>The extent of one <see cref="Enter"/>.</summary>
    public readonly ref struct Scope
    {
        private readonly IShardGroup? _previous;

        internal Scope(IShardGroup? previous) => _previous = previous;

        /// <summary>Restores the group that was current before <see cref="Enter"/>.</summary>
        public void Dispose() => t_current = _previous;
    }
}
