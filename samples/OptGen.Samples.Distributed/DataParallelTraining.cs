using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using OptGen.Distributed;
using OptGen.Samples.Digits;

namespace OptGen.Samples.Distributed;

/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchPerRank">Samples each rank (or part) computes gradients on per step.</param>
/// <param name="Parts">As one process: the number of ranks to stand in for.</param>
/// <param name="Seed">Seed of the weights, the split and the batch order.</param>
internal readonly record struct TrainingOptions(int Epochs, int BatchPerRank, int Parts, int Seed);

/// <summary>
/// Data-parallel training of the digits perceptron. Under <c>mpirun -np N</c>, rank r computes the gradient of the mean
/// loss over part r of every batch, and a <see cref="ShardedOptimizer{T}"/> averages the parts, steps the rank's shard
/// and gathers the parameters. Alone, one process computes the N parts itself, sums their gradients in rank order,
/// divides by N and steps the whole model with one optimizer: the same arithmetic, so with two ranks (whose sum does
/// not depend on the order) the final parameters have the same bits.
/// </summary>
internal static class DataParallelTraining
{
    /// <summary>Trains and reports each epoch (on rank 0); returns the SHA-256 of the final parameters in hex (empty on other ranks).</summary>
    public static string Run(TrainingOptions options, TextWriter output)
    {
        Dataset data = DigitsData.Load(DigitsData.DefaultPath);
        (int[] trainIndices, int[] testIndices) = DigitsData.StratifiedSplit(data, 0.2, options.Seed);
        Dataset train = data.Subset(trainIndices), test = data.Subset(testIndices);

        var model = new Mlp(options.BatchPerRank);
        model.Initialize(options.Seed);
        ParameterStore<float> store = model.Store;

        bool launched = Mpi.LaunchedSize > 1;
        ShardedOptimizer<float>? sharded = launched ? new ShardedOptimizer<float>(store, length => new ClippedAdamW(length)) : null;
        ClippedAdamW? whole = launched ? null : new ClippedAdamW(store.Length);
        int ranks = sharded?.WorldSize ?? options.Parts;
        int rank = sharded?.Rank ?? 0;
        if (sharded is not null)
        {
            // One thread per rank: the ranks of this sample share a machine.
            sharded.Optimizer.ThreadCount = 1;
        }

        if (rank == 0)
        {
            output.WriteLine(launched
                ? $"{ranks} ranks ({Mpi.Implementation}); each keeps the optimizer state of {sharded!.ShardLength} of the model's {store.Length} parameters."
                : $"One process standing in for {ranks} ranks; the optimizer keeps the state of all {store.Length} parameters.");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Batches of {ranks} × {options.BatchPerRank} samples; {train.Count / (ranks * options.BatchPerRank)} steps per epoch."));
        }

        float[] summed = new float[store.Length];
        int[] order = new int[train.Count];
        float[] inputs = new float[options.BatchPerRank * Mlp.InputCount];
        int[] labels = new int[options.BatchPerRank];
        int globalBatch = ranks * options.BatchPerRank;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            // The same order on every rank: a function of the seed and the epoch only.
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            new Random(unchecked((options.Seed * 7919) + epoch) & int.MaxValue).Shuffle(order); // not HashCode: it differs per process
            double lossSum = 0;
            int steps = 0;
            for (int start = 0; start + globalBatch <= order.Length; start += globalBatch, steps++)
            {
                if (sharded is not null)
                {
                    lossSum += Gradients(model, train, order.AsSpan(start + (rank * options.BatchPerRank), options.BatchPerRank), inputs, labels);
                    sharded.Step();
                    continue;
                }

                for (int part = 0; part < ranks; part++)
                {
                    lossSum += Gradients(model, train, order.AsSpan(start + (part * options.BatchPerRank), options.BatchPerRank), inputs, labels);
                    if (part == 0)
                    {
                        store.Gradients.CopyTo(summed); // not 0 + g, which would turn −0 into +0
                        continue;
                    }

                    for (int i = 0; i < summed.Length; i++)
                    {
                        summed[i] += store.Gradients[i];
                    }
                }

                for (int i = 0; i < summed.Length; i++)
                {
                    store.Gradients[i] = summed[i] / ranks;
                }

                whole!.Step(store);
            }

            if (rank == 0)
            {
                // On rank 0 the loss is that of its own parts: a sample of the batch, enough to follow training.
                double meanLoss = lossSum / (steps * (launched ? 1 : ranks));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch,3}: training loss {meanLoss:F4}, test accuracy {model.Accuracy(test):P1}"));
            }
        }

        return rank == 0 ? Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(store.Parameters))) : string.Empty;
    }

    private static double Gradients(Mlp model, Dataset train, ReadOnlySpan<int> samples, float[] inputs, int[] labels)
    {
        for (int i = 0; i < samples.Length; i++)
        {
            train.Row(samples[i]).CopyTo(inputs.AsSpan(i * Mlp.InputCount, Mlp.InputCount));
            labels[i] = train.Labels[samples[i]];
        }

        return model.ComputeGradients(inputs, labels);
    }
}
