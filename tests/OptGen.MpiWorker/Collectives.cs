using System;
using OptGen.Distributed;

namespace OptGen.MpiWorker;

/// <summary>Checks each collective against results computed locally, with values whose sums are exact in any order.</summary>
internal static class Collectives
{
    public static int Run(int failRank)
    {
        Mpi.Init();
        int rank = Mpi.Rank, size = Mpi.Size;
        int rankSum = size * (size + 1) / 2;

        var floats = new float[1000];
        var doubles = new double[1000];
        var bf16 = new BFloat16[1000];
        for (int i = 0; i < floats.Length; i++)
        {
            floats[i] = i * (rank + 1);
            doubles[i] = -i * (rank + 1);
            bf16[i] = (BFloat16)(float)((i % 16) * (rank + 1)); // small integers: exact in bf16, as are their sums
        }

        Mpi.AllreduceSum<float>(floats);
        Mpi.AllreduceSum<double>(doubles);
        Mpi.AllreduceSum<BFloat16>(bf16);
        for (int i = 0; i < floats.Length; i++)
        {
            Require(floats[i] == i * rankSum, $"allreduce float [{i}] = {floats[i]}");
            Require(doubles[i] == -i * rankSum, $"allreduce double [{i}] = {doubles[i]}");
            Require((float)bf16[i] == (i % 16) * rankSum, $"allreduce bfloat16 [{i}] = {(float)bf16[i]}");
        }

        // bf16 sums round to nearest even after each addition: 256 + 1 is 256 in bf16 (8 significant bits).
        BFloat16[] rounding = [(BFloat16)(rank == 0 ? 256f : 1f)];
        Mpi.AllreduceSum<BFloat16>(rounding);
        Require(size != 2 || (float)rounding[0] == 256f, $"bf16 256 + 1 = {(float)rounding[0]}, expected 256 (round to nearest even)");

        // Reduce-scatter in equal blocks: rank r receives the sum of block r.
        const int block = 257;
        var send = new float[block * size];
        for (int i = 0; i < send.Length; i++)
        {
            send[i] = i + (1000 * rank);
        }

        var receive = new float[block];
        Mpi.ReduceScatterBlockSum<float>(send, receive);
        for (int i = 0; i < block; i++)
        {
            float expected = (size * ((rank * block) + i)) + (1000f * (size * (size - 1) / 2));
            Require(receive[i] == expected, $"reduce-scatter [{i}] = {receive[i]}, expected {expected}");
        }

        // Reduce-scatter and all-gather in unequal blocks, the last one empty: rank r holds r + 5 elements but the last none.
        int[] counts = new int[size];
        for (int r = 0; r < size; r++)
        {
            counts[r] = r == size - 1 ? 0 : r + 5;
        }

        int total = 0, offset = 0;
        for (int r = 0; r < size; r++)
        {
            offset += r < rank ? counts[r] : 0;
            total += counts[r];
        }

        var unequal = new double[total];
        for (int i = 0; i < total; i++)
        {
            unequal[i] = i * (rank + 1);
        }

        var mine = new double[counts[rank]];
        Mpi.ReduceScatterSum<double>(unequal, mine, counts);
        for (int i = 0; i < mine.Length; i++)
        {
            Require(mine[i] == (offset + i) * rankSum, $"reduce-scatter (unequal) [{i}] = {mine[i]}");
        }

        var gathered = new double[total];
        Mpi.AllgatherV<double>(mine, gathered, counts);
        for (int i = 0; i < total; i++)
        {
            Require(gathered[i] == i * rankSum, $"allgatherv [{i}] = {gathered[i]}");
        }

        // All-gather in place and into another buffer.
        var all = new float[block * size];
        for (int i = 0; i < block; i++)
        {
            all[(rank * block) + i] = (rank * 10000) + i;
        }

        Mpi.AllgatherInPlace<float>(all);
        var copies = new float[block * size];
        Mpi.Allgather<float>(all.AsSpan(rank * block, block), copies);
        for (int r = 0; r < size; r++)
        {
            for (int i = 0; i < block; i++)
            {
                Require(all[(r * block) + i] == (r * 10000) + i, $"allgather [{(r * block) + i}] = {all[(r * block) + i]}");
                Require(copies[(r * block) + i] == (r * 10000) + i, $"allgather (copy) [{(r * block) + i}] = {copies[(r * block) + i]}");
            }
        }

        // Broadcast from the last rank.
        double[] broadcast = [rank, rank * 2];
        Mpi.Broadcast<double>(broadcast, root: size - 1);
        Require(broadcast[0] == size - 1 && broadcast[1] == 2 * (size - 1), $"broadcast = {broadcast[0]}, {broadcast[1]}");

        if (rank == failRank)
        {
            throw new InvalidOperationException($"rank {rank} fails on purpose");
        }

        // The others wait in a collective the failed rank never joins: only an abort ends them.
        Mpi.Barrier();
        Console.WriteLine($"ok rank {rank} of {size} ({Mpi.Implementation})");
        Mpi.Shutdown();
        return 0;
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("check failed: " + what);
        }
    }
}
