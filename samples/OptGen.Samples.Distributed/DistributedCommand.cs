using System;
using System.CommandLine;
using System.Globalization;
using OptGen.Distributed;

namespace OptGen.Samples.Distributed;

/// <summary>The command line.</summary>
internal static class DistributedCommand
{
    public static int Invoke(string[] args) => Create().Parse(args).Invoke();

    public static RootCommand Create()
    {
        var epochs = new Option<int>("--epochs") { Description = "Epochs to train.", DefaultValueFactory = _ => 20 };
        epochs.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 10_000) r.AddError("--epochs is from 1 to 10000."); });
        var batch = new Option<int>("--batch-per-rank") { Description = "Samples per rank (or part) in each step; a step's batch is this times the ranks.", DefaultValueFactory = _ => 32 };
        batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 1024) r.AddError("--batch-per-rank is from 1 to 1024."); });
        var parts = new Option<int>("--parts") { Description = "Run as one process: split each batch into this many parts, as that many ranks would, and sum their gradients in rank order.", DefaultValueFactory = _ => 2 };
        parts.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 64) r.AddError("--parts is from 1 to 64."); });
        var seed = new Option<int>("--seed") { Description = "Seed of the weights, the split and the batch order.", DefaultValueFactory = _ => 1 };
        var check = new Option<bool>("--check") { Description = "A short, fixed run (3 epochs) whose last line is 'parameters sha256 <hex>': one process and 'mpirun -np 2' print the same." };
        var measure = new Option<long>("--measure") { Description = "Instead of training, time sharded AdamW steps over this many parameters (e.g. 10000000) and print where the time goes.", HelpName = "parameters" };
        measure.Validators.Add(r => { if (r.GetValueOrDefault<long>() is < 0 or > int.MaxValue - (1 << 20)) r.AddError("--measure takes up to about 2.1e9 parameters (one array)."); });
        var steps = new Option<int>("--steps") { Description = "Steps to time with --measure.", DefaultValueFactory = _ => 10 };

        var command = new RootCommand(
            "Trains the digits perceptron data-parallel: each MPI rank computes gradients on its part of every batch and keeps " +
            "1/N of the optimizer state (ZeRO-1). Run under mpirun for several ranks, or alone to compute every part in one process.")
        {
            epochs, batch, parts, seed, check, measure, steps,
        };
        command.SetAction(result =>
        {
            long parameters = result.GetValue(measure);
            if (parameters > 0)
            {
                StepBreakdown.Run((int)parameters, result.GetValue(steps));
                return 0;
            }

            bool isCheck = result.GetValue(check);
            var options = new TrainingOptions(isCheck ? 3 : result.GetValue(epochs), result.GetValue(batch), result.GetValue(parts), result.GetValue(seed));
            string hash = DataParallelTraining.Run(options, Console.Out);
            if (isCheck && hash.Length > 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parameters sha256 {hash}"));
            }

            if (Mpi.LaunchedSize > 1)
            {
                Mpi.Shutdown();
            }

            return 0;
        });
        return command;
    }
}
