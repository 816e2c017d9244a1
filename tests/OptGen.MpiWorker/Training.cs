using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using OptGen.Distributed;

namespace OptGen.MpiWorker;

/// <summary>AdamW with the whole-model transforms a sharded step must get right: global-norm clipping and per-tensor weight decay.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2)]
[WeightDecay(0.05, Decoupled = true, Exclude = new[] { "*.bias" })]
[ClipGradientNorm(1.0)]
internal sealed partial class ClippedAdamW;

/// <summary>The same in bfloat16 parameters with float state: the collectives move bfloat16.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2, ElementType = typeof(BFloat16))]
[WeightDecay(0.05, Decoupled = true, Exclude = new[] { "*.bias" })]
[ClipGradientNorm(1.0)]
internal sealed partial class ClippedBf16AdamW;

/// <summary>
/// Trains a synthetic model: sharded over the ranks of the job, or (<c>--reference N</c>) in one process with the
/// whole optimizer and the N ranks' gradients summed in rank order. Either way it prints
/// <c>parameters sha256 &lt;hex&gt;</c> of the final parameters (rank 0 only), so a test compares the two.
/// Options: <c>--steps S</c>, <c>--reference N</c>, <c>--save DIR</c> (after the steps), <c>--load DIR</c> (before),
/// <c>--element float|bf16</c>, <c>--sum</c> (sum the gradients instead of averaging).
/// </summary>
internal static class Training
{
    private static readonly (string Name, int Length)[] Model = [("embed.weight", 5000), ("embed.bias", 33), ("head.weight", 12345), ("head.bias", 7)];

    public static int Run(string[] args)
    {
        int steps = 4, reference = 0;
        string? save = null, load = null;
        bool bf16 = false;
        var reduction = GradientReduction.Average;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--reference": reference = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--save": save = args[++i]; break;
                case "--load": load = args[++i]; break;
                case "--element": bf16 = args[++i] == "bf16"; break;
                case "--sum": reduction = GradientReduction.Sum; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        return bf16
            ? Run<BFloat16>(length => new ClippedBf16AdamW(length), steps, reference, save, load, reduction)
            : Run<float>(length => new ClippedAdamW(length), steps, reference, save, load, reduction);
    }

    private static int Run<T>(Func<int, IOptimizer<T>> create, int steps, int reference, string? save, string? load, GradientReduction reduction)
        where T : unmanaged
    {
        var store = new ParameterStore<T>(Model);
        foreach (TensorSlice tensor in store.Tensors)
        {
            for (int i = 0; i < tensor.Length; i++)
            {
                store.Parameters[tensor.Offset + i] = Convert<T>(Value(99, 0, tensor.Offset + i));
            }
        }

        if (reference > 0)
        {
            // One process: the ranks' gradients summed in rank order (exact: they are multiples of 2⁻¹⁰), then averaged.
            IOptimizer<T> whole = create(store.Length);
            var sum = new float[store.Length];
            for (int step = 0; step < steps; step++)
            {
                Array.Clear(sum);
                for (int rank = 0; rank < reference; rank++)
                {
                    FillGradients(store, rank, step);
                    for (int i = 0; i < sum.Length; i++)
                    {
                        sum[i] = ToFloat(Convert<T>(sum[i] + ToFloat(store.Gradients[i]))); // rounded as the collective rounds
                    }
                }

                for (int i = 0; i < sum.Length; i++)
                {
                    store.Gradients[i] = Convert<T>(reduction == GradientReduction.Average ? sum[i] / reference : sum[i]);
                }

                whole.Step(store);
            }

            Console.WriteLine($"parameters sha256 {Hash(store)}");
            return 0;
        }

        var sharded = new ShardedOptimizer<T>(store, create, reduction);
        sharded.Optimizer.ThreadCount = 1;
        if (load is not null)
        {
            sharded.LoadCheckpoint(load);
        }

        for (int i = 0; i < steps; i++)
        {
            FillGradients(store, sharded.Rank, (int)sharded.Optimizer.StepCount);
            sharded.Step();
        }

        if (save is not null)
        {
            sharded.SaveCheckpoint(save);
        }

        if (sharded.Rank == 0)
        {
            Console.WriteLine($"parameters sha256 {Hash(store)}");
        }

        Mpi.Shutdown();
        return 0;
    }

    /// <summary>Rank <paramref name="rank"/>'s gradients at step <paramref name="step"/>: multiples of 2⁻¹⁰ below 1, larger every third step (so clipping acts).</summary>
    private static void FillGradients<T>(ParameterStore<T> store, int rank, int step)
        where T : unmanaged
    {
        foreach (TensorSlice tensor in store.Tensors)
        {
            for (int i = 0; i < tensor.Length; i++)
            {
                store.Gradients[tensor.Offset + i] = Convert<T>(Value(rank, step, tensor.Offset + i) * (step % 3 == 0 ? 1f : 1f / 64));
            }
        }
    }

    private static float Value(int rank, int step, int index)
    {
        uint h = (uint)(index * 2654435761u) ^ (uint)(rank * 40503 + step * 9973);
        h ^= h >> 15;
        h *= 2246822519u;
        h ^= h >> 13;
        return ((int)(h % 2001) - 1000) / 1024f;
    }

    private static T Convert<T>(float value)
        where T : unmanaged => typeof(T) == typeof(BFloat16) ? (T)(object)(BFloat16)value : (T)(object)value;

    private static float ToFloat<T>(T value)
        where T : unmanaged => value is BFloat16 b ? (float)b : (float)(object)value;

    private static string Hash<T>(ParameterStore<T> store)
        where T : unmanaged => System.Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(store.Parameters)));
}
