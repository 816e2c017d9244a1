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

/// <summary>AdamW with its moments in blockwise 8-bit codes (a float maximum per 256 values): shards hold whole blocks.</summary>
[Optimizer(UpdateRule.AdamW, LearningRate = 1e-2)]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class EightBitAdamW;

/// <summary>Adam that skips a step with a non-finite gradient: every rank must skip it together.</summary>
[Optimizer(UpdateRule.Adam, LearningRate = 1e-2)]
[NonFiniteGradients(NonFiniteGradientPolicy.SkipStep)]
internal sealed partial class SkippingAdam;

/// <summary>
/// Trains a synthetic model: sharded over the ranks of the job, or (<c>--reference N</c>) in one process with the
/// whole optimizer and the N ranks' gradients summed in rank order. Either way it prints
/// <c>parameters sha256 &lt;hex&gt;</c> of the final parameters (rank 0 only), so a test compares the two.
/// Options: <c>--steps S</c>, <c>--reference N</c>, <c>--save DIR</c> (after the steps), <c>--load DIR</c> (before),
/// <c>--element float|bf16</c>, <c>--sum</c> (sum the gradients instead of averaging), <c>--optimizer
/// clipped|8bit|skipping</c> (with <c>skipping</c>, the last rank's gradients hold a NaN at step 2, so that step is skipped).
/// </summary>
internal static class Training
{
    private static readonly (string Name, int Length)[] Model = [("embed.weight", 5000), ("embed.bias", 33), ("head.weight", 12345), ("head.bias", 7)];

    public static int Run(string[] args)
    {
        int steps = 4, reference = 0;
        string? save = null, load = null;
        bool bf16 = false;
        string optimizer = "clipped";
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
                case "--optimizer": optimizer = args[++i]; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        if (bf16)
        {
            return Run<BFloat16>(length => new ClippedBf16AdamW(length), steps, reference, save, load, reduction);
        }

        Func<int, IOptimizer<float>> create = optimizer switch
        {
            "clipped" => length => new ClippedAdamW(length),
            "8bit" => length => new EightBitAdamW(length),
            "skipping" => length => new SkippingAdam(length),
            _ => throw new ArgumentException($"Unknown optimizer '{optimizer}': clipped, 8bit or skipping."),
        };
        return Run(create, steps, reference, save, load, reduction, injectNaN: optimizer == "skipping");
    }

    private static int Run<T>(Func<int, IOptimizer<T>> create, int steps, int reference, string? save, string? load, GradientReduction reduction, bool injectNaN = false)
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
                    FillGradients(store, rank, step, injectNaN && rank == reference - 1);
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
            Console.WriteLine($"steps {whole.StepCount} skipped {whole.SkippedStepCount}");
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
            // Steps attempted so far, skipped ones included: the reference's loop index, also after a resume.
            int step = (int)(sharded.Optimizer.StepCount + sharded.Optimizer.SkippedStepCount);
            FillGradients(store, sharded.Rank, step, injectNaN && sharded.Rank == sharded.WorldSize - 1);
            sharded.Step();
        }

        if (save is not null)
        {
            sharded.SaveCheckpoint(save);
        }

        // Every rank reports its counts: they must agree with each other and with the reference.
        Console.WriteLine($"rank {sharded.Rank} steps {sharded.Optimizer.StepCount} skipped {sharded.Optimizer.SkippedStepCount}");
        if (sharded.Rank == 0)
        {
            Console.WriteLine($"parameters sha256 {Hash(store)}");
        }

        Mpi.Shutdown();
        return 0;
    }

    /// <summary>Rank <paramref name="rank"/>'s gradients at step <paramref name="step"/>: multiples of 2⁻¹⁰ below 1, larger every third step (so clipping acts).</summary>
    private static void FillGradients<T>(ParameterStore<T> store, int rank, int step, bool injectNaN)
        where T : unmanaged
    {
        if (injectNaN && step == 2)
        {
            store.Gradients.Clear();
            // Put there by the last rank, but in the first rank's shard: the rank that finds it is not the one that made it.
            store.Gradient("embed.weight")[7] = Convert<T>(float.NaN);
            return;
        }

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
