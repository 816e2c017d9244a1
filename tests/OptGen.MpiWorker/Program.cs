using System;
using System.Threading;
using OptGen.Distributed;

// Usage: OptGen.MpiWorker [--fail-rank K]. Prints "ok rank R of N" when every check passed.
int failRank = args.Length == 2 && args[0] == "--fail-rank" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : -1;
Mpi.Init();
int rank = Mpi.Rank, size = Mpi.Size;
try
{
    // Allreduce, float and double, with values whose sums are exact in any order.
    var floats = new float[1000];
    var doubles = new double[1000];
    for (int i = 0; i < floats.Length; i++) { floats[i] = i * (rank + 1); doubles[i] = -i * (rank + 1); }
    Mpi.AllreduceSum(floats);
    Mpi.AllreduceSum(doubles);
    int rankSum = size * (size + 1) / 2;
    for (int i = 0; i < floats.Length; i++)
    {
        Require(floats[i] == i * rankSum, $"allreduce float [{i}] = {floats[i]}");
        Require(doubles[i] == -i * rankSum, $"allreduce double [{i}] = {doubles[i]}");
    }

    // Reduce-scatter: rank r receives the sum of block r.
    const int block = 257;
    var send = new float[block * size];
    for (int i = 0; i < send.Length; i++) send[i] = i + 1000 * rank;
    var receive = new float[block];
    Mpi.ReduceScatterBlockSum(send, receive);
    for (int i = 0; i < block; i++)
    {
        float expected = size * (rank * block + i) + 1000f * (size * (size - 1) / 2);
        Require(receive[i] == expected, $"reduce-scatter [{i}] = {receive[i]}, expected {expected}");
    }

    // Allgather in place: every rank ends with every rank's block.
    var all = new float[block * size];
    for (int i = 0; i < block; i++) all[rank * block + i] = rank * 10000 + i;
    Mpi.AllgatherInPlace(all);
    for (int r = 0; r < size; r++)
        for (int i = 0; i < block; i++)
            Require(all[r * block + i] == r * 10000 + i, $"allgather [{r * block + i}] = {all[r * block + i]}");

    if (rank == failRank) throw new InvalidOperationException($"rank {rank} fails on purpose");
    // The others wait in a collective the failed rank never joins: only an abort ends them.
    Mpi.Barrier();
    Console.WriteLine($"ok rank {rank} of {size} ({Mpi.Implementation})");
    Mpi.Shutdown();
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"rank {rank}: {e.Message}");
    Console.Error.Flush();
    Mpi.Abort(3);
    Thread.Sleep(Timeout.Infinite);
    return 3;
}

static void Require(bool condition, string what)
{
    if (!condition) throw new InvalidOperationException("check failed: " + what);
}
