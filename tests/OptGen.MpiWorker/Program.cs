using System;
using System.Globalization;
using System.Threading;
using OptGen.MpiWorker;

// Usage:
//   OptGen.MpiWorker collectives [--fail-rank K]   prints "ok rank R of N" when every check passed
//   OptGen.MpiWorker train <options>               see Training.Run
// A rank that fails aborts the job (exit code 3), so that the others do not wait for it forever.
string mode = args.Length > 0 ? args[0] : "";
try
{
    return mode switch
    {
        "collectives" => Collectives.Run(args.Length == 3 && args[1] == "--fail-rank" ? int.Parse(args[2], CultureInfo.InvariantCulture) : -1),
        "train" => Training.Run(args[1..]),
        _ => throw new ArgumentException($"Unknown mode '{mode}': collectives or train."),
    };
}
catch (Exception e) when (e is not OptGen.CheckpointException)
{
    Console.Error.WriteLine($"rank {Environment.GetEnvironmentVariable("PMI_RANK") ?? Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK")}: {e}");
    Console.Error.Flush();
    if (OptGen.Distributed.Mpi.LaunchedSize > 1)
    {
        OptGen.Distributed.Mpi.Abort(3);
        Thread.Sleep(Timeout.Infinite);
    }

    return 3;
}
catch (OptGen.CheckpointException e)
{
    // Every rank refuses the checkpoint together: no abort is needed, each ends with the reason. They finalize together
    // first, so that the launcher does not end one rank for another's exit code before it has written its reason.
    Console.Error.WriteLine($"rank {Environment.GetEnvironmentVariable("PMI_RANK") ?? Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK")}: checkpoint refused: {e.Message}");
    Console.Error.Flush();
    OptGen.Distributed.Mpi.Shutdown();
    return 4;
}
