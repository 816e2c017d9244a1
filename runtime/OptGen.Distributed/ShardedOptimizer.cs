using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace OptGen.Distributed;

/// <summary>How <see cref="ShardedOptimizer{T}.Step"/> combines the ranks' gradients.</summary>
public enum GradientReduction
{
    /// <summary>Their mean: the sum divided by the number of ranks, for gradients each rank averaged over its part of a batch.</summary>
    Average,

    /// <summary>Their sum, for gradients each rank already weighted (e.g. by its share of the batch).</summary>
    Sum,
}

/// <summary>Where the time of one <see cref="ShardedOptimizer{T}.Step"/> went.</summary>
/// <param name="ReduceScatter">Reducing the gradients, averaging included: communication.</param>
/// <param name="LocalStep">The optimizer's fused step over this rank's shard (and the norm's gathering, if it clips).</param>
/// <param name="Allgather">Gathering the updated parameters: communication.</param>
public readonly record struct ShardedStepTimings(TimeSpan ReduceScatter, TimeSpan LocalStep, TimeSpan Allgather)
{
    /// <summary>Time spent moving gradients and parameters between ranks.</summary>
    public TimeSpan Communication => ReduceScatter + Allgather;

    /// <summary>The whole step.</summary>
    public TimeSpan Total => ReduceScatter + LocalStep + Allgather;
}

/// <summary>
/// Data-parallel training with the optimizer state sharded across the ranks of an MPI job (ZeRO stage 1, as PyTorch's
/// <c>ZeroRedundancyOptimizer</c>). Every rank holds the whole model in a <see cref="ParameterStore{T}"/> and computes
/// gradients on its part of each batch; rank r owns elements [r·<see cref="ShardLength"/>, (r+1)·<see cref="ShardLength"/>)
/// of the store and an optimizer of that length, so each rank keeps 1/N of the optimizer state. A <see cref="Step"/>
/// reduce-scatters the gradients (each rank receives the sum, or mean, of its shard), steps the shard with the fused
/// generated kernel, and all-gathers the updated parameters into every rank's store. Because the rule is elementwise, the
/// result has the bits of one process stepping the whole store with the reduced gradients; clipping by the global norm
/// takes the whole model's norm, in the same order of additions (see <see cref="ShardGroup"/>).
/// </summary>
/// <remarks>
/// Every member but the properties is collective: each rank calls it, in the same order. Shards are whole blocks of
/// <see cref="GradientNorm.BlockLength"/> elements, which keeps a clipping norm's bits, so the last rank's shard may
/// extend past the store (padding) or be empty. Rules that scale each tensor by a ratio of norms (LAMB, LARS) cannot be
/// sharded this way and throw <see cref="NotSupportedException"/> on every rank at the first step.
/// </remarks>
/// <typeparam name="T"><see cref="float"/>, <see cref="double"/> or <see cref="BFloat16"/>.</typeparam>
public sealed class ShardedOptimizer<T>
    where T : unmanaged
{
    private const string FileExtension = ".optgen";
    private readonly int[] _counts;
    private readonly MpiShardGroup _group;

    /// <summary>
    /// Joins the MPI job (initializing MPI if needed), copies rank 0's parameters to every rank (as
    /// <c>DistributedDataParallel</c> does, so that ranks start equal), and creates this rank's shard and its optimizer.
    /// </summary>
    /// <param name="store">The whole model, laid out identically on every rank.</param>
    /// <param name="createOptimizer">Creates the optimizer for a given length, e.g. <c>length =&gt; new MyAdamW(length)</c>.</param>
    /// <param name="reduction">Whether the ranks' gradients are averaged or summed.</param>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, double or BFloat16.</exception>
    /// <exception cref="ArgumentException">The optimizer's length is not the shard's.</exception>
    /// <exception cref="DllNotFoundException">No MPI library is installed.</exception>
    public ShardedOptimizer(ParameterStore<T> store, Func<int, IOptimizer<T>> createOptimizer, GradientReduction reduction = GradientReduction.Average)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(createOptimizer);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && typeof(T) != typeof(BFloat16))
        {
            throw new NotSupportedException($"A sharded optimizer moves float, double or BFloat16 elements, not {typeof(T)}.");
        }

        if (reduction is not (GradientReduction.Average or GradientReduction.Sum))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Average or Sum.");
        }

        Mpi.Init();
        Rank = Mpi.Rank;
        WorldSize = Mpi.Size;
        ShardLength = ShardLengthFor(store.Length, WorldSize);
        if ((long)ShardLength * WorldSize > Array.MaxLength)
        {
            throw new ArgumentException($"{WorldSize} shards of {ShardLength} elements exceed an array's size.", nameof(store));
        }

        ShardOffset = Rank * ShardLength;
        _counts = Enumerable.Range(0, WorldSize).Select(r => (int)Math.Clamp(store.Length - ((long)r * ShardLength), 0, ShardLength)).ToArray();
        Store = store;
        Reduction = reduction;
        _group = new MpiShardGroup(WorldSize);

        Mpi.Broadcast(store.Parameters, root: 0);
        Shard = store.CreateShard(ShardOffset, ShardLength);
        Optimizer = createOptimizer(ShardLength) ?? throw new ArgumentException("The factory returned null.", nameof(createOptimizer));
        if (Optimizer.Length != ShardLength)
        {
            throw new ArgumentException($"The factory made an optimizer of {Optimizer.Length} elements for a shard of {ShardLength}: pass the length it is given.", nameof(createOptimizer));
        }
    }

    /// <summary>This process's rank.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks, each holding one shard.</summary>
    public int WorldSize { get; }

    /// <summary>Index in the store of this rank's first element.</summary>
    public int ShardOffset { get; }

    /// <summary>Elements per shard: the store's length divided by the ranks, rounded up to whole norm blocks.</summary>
    public int ShardLength { get; }

    /// <summary>Elements of the store in this rank's shard (fewer than <see cref="ShardLength"/> for the last ranks).</summary>
    public int ShardCount => _counts[Rank];

    /// <summary>The whole model: parameters, identical on every rank after each step, and this rank's gradients.</summary>
    public ParameterStore<T> Store { get; }

    /// <summary>This rank's shard: its parameters, and after a step its reduced gradients.</summary>
    public ParameterStore<T> Shard { get; }

    /// <summary>
    /// The optimizer of the shard: its state is 1/<see cref="WorldSize"/> of the whole model's. Set its
    /// <see cref="IOptimizer.ThreadCount"/> to the cores each rank has: by default a step uses every core of the machine.
    /// </summary>
    public IOptimizer<T> Optimizer { get; }

    /// <summary>Whether gradients are averaged or summed over the ranks.</summary>
    public GradientReduction Reduction { get; }

    /// <summary>Where the last <see cref="Step"/>'s time went.</summary>
    public ShardedStepTimings LastStepTimings { get; private set; }

    /// <summary>Elements per shard for a store of <paramref name="length"/> elements on <paramref name="worldSize"/> ranks.</summary>
    public static int ShardLengthFor(int length, int worldSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        long perRank = ((long)length + worldSize - 1) / worldSize;
        return (int)Math.Max(GradientNorm.BlockLength, (perRank + GradientNorm.BlockLength - 1) / GradientNorm.BlockLength * GradientNorm.BlockLength);
    }

    /// <summary>The file name of rank <paramref name="rank"/>'s shard in a checkpoint of <paramref name="worldSize"/> ranks.</summary>
    public static string ShardFileName(int rank, int worldSize) =>
        string.Create(CultureInfo.InvariantCulture, $"shard-{rank:D5}-of-{worldSize:D5}{FileExtension}");

    /// <summary>
    /// One data-parallel step: reduce-scatters every rank's <see cref="ParameterStore{T}.Gradients"/>, steps this rank's
    /// shard, and all-gathers the parameters into every rank's store.
    /// </summary>
    /// <returns>False if every rank skipped the step for a non-finite gradient (they decide together).</returns>
    public bool Step()
    {
        long start = Stopwatch.GetTimestamp();
        Span<T> gradients = Shard.Gradients[..ShardCount];
        Mpi.ReduceScatterSum<T>(Store.Gradients, gradients, _counts);
        if (Reduction == GradientReduction.Average && WorldSize > 1)
        {
            Divide(gradients, WorldSize);
        }

        long reduced = Stopwatch.GetTimestamp();
        bool applied;
        using (ShardGroup.Enter(_group))
        {
            applied = Optimizer.Step(Shard);
        }

        long stepped = Stopwatch.GetTimestamp();
        if (applied)
        {
            // A skipped step changed no parameter on any rank: nothing to gather.
            Mpi.AllgatherV<T>(Shard.Parameters[..ShardCount], Store.Parameters, _counts);
        }

        long gathered = Stopwatch.GetTimestamp();
        LastStepTimings = new ShardedStepTimings(Stopwatch.GetElapsedTime(start, reduced), Stopwatch.GetElapsedTime(reduced, stepped), Stopwatch.GetElapsedTime(stepped, gathered));
        return applied;
    }

    /// <summary>
    /// Saves the shards into <paramref name="directory"/> (created if needed): one file per rank,
    /// <see cref="ShardFileName"/>, holding the rank count, the shard's place, its parameters and its optimizer's
    /// checkpoint, each written atomically. Throws on every rank if any rank failed, naming the ranks.
    /// </summary>
    /// <exception cref="IOException">This or another rank could not write its file.</exception>
    public void SaveCheckpoint(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Exception? failure = null;
        try
        {
            Directory.CreateDirectory(directory);
            var header = new CheckpointContent<byte>(Fingerprint, ShardLength, Optimizer.StepCount, Optimizer.SkippedStepCount, Optimizer.BaseLearningRate, null, [], []);
            Checkpoint.WriteFile(Path.Combine(directory, ShardFileName(Rank, WorldSize)), stream =>
            {
                Checkpoint.WriteStored(stream, header, [new StoredBuffer("parameters", Shard.Parameters.ToArray())]);
                Optimizer.SaveCheckpoint(stream);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failure = e;
        }

        ThrowUnlessAllSucceeded(failure, "save");
    }

    /// <summary>
    /// Loads the shards saved by <see cref="SaveCheckpoint"/> into every rank: its shard's parameters and optimizer
    /// state, then gathers the parameters into every rank's store. Every file is read and verified first; if any rank
    /// cannot load its shard (missing, damaged, saved by a job of another rank count, or by another optimizer), every
    /// rank throws and none changes anything.
    /// </summary>
    /// <exception cref="CheckpointException">A shard does not match this job (another rank count, rule or length), or is damaged; nothing changed on any rank.</exception>
    /// <exception cref="IOException">This or another rank could not read its file; nothing changed on any rank.</exception>
    public void LoadCheckpoint(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Exception? failure = null;
        T[] parameters = new T[ShardLength];
        MemoryStream? previous = null;
        try
        {
            string path = Path.Combine(directory, ShardFileName(Rank, WorldSize));
            if (!File.Exists(path))
            {
                throw MissingShard(directory, path);
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            Checkpoint.ReadStoredInto(stream, Fingerprint, ShardLength, expectPlateau: false, [new StoredBuffer("parameters", parameters)]);
            previous = new MemoryStream();
            Optimizer.SaveCheckpoint(previous);
            Optimizer.LoadCheckpoint(stream); // verifies everything before it changes anything
            if (stream.Position != stream.Length)
            {
                previous.Position = 0;
                Optimizer.LoadCheckpoint(previous);
                throw new CheckpointException(CheckpointError.Corrupt, $"'{path}' has data after the optimizer's checkpoint.");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failure = e;
            previous = null; // this rank loaded nothing
        }

        try
        {
            ThrowUnlessAllSucceeded(failure, "load");
        }
        catch when (previous is not null)
        {
            // Another rank failed: this one takes its previous state back, so that the job stays consistent.
            previous.Position = 0;
            Optimizer.LoadCheckpoint(previous);
            throw;
        }

        parameters.CopyTo(Shard.Parameters);
        Mpi.AllgatherV<T>(Shard.Parameters[..ShardCount], Store.Parameters, _counts);
    }

    /// <summary>Identifies a shard: a checkpoint loads only into the same rank of a job with the same rank count and store.</summary>
    private string Fingerprint => string.Create(
        CultureInfo.InvariantCulture,
        $"optgen-shard/1 element={typeof(T).Name} ranks={WorldSize} rank={Rank} offset={ShardOffset} length={ShardLength} store={Store.Length}");

    private CheckpointException MissingShard(string directory, string path)
    {
        string[] others = Directory.Exists(directory) ? Directory.GetFiles(directory, "shard-*-of-*" + FileExtension) : [];
        string? otherWorld = others
            .Select(f => Path.GetFileNameWithoutExtension(f).Split("-of-"))
            .Where(parts => parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n != WorldSize)
            .Select(parts => parts[1].TrimStart('0'))
            .FirstOrDefault();
        return otherWorld is not null
            ? new CheckpointException(CheckpointError.StateMismatch, $"The checkpoint in '{directory}' was saved by a job of {otherWorld} ranks; this job has {WorldSize}. Load it with {otherWorld} ranks (the shards' layout depends on the rank count).")
            : new CheckpointException(CheckpointError.Truncated, $"'{path}', rank {Rank}'s shard, does not exist.");
    }

    /// <summary>
    /// Agrees on the outcome of a local operation: throws on every rank if any rank failed; where the failure was a
    /// refused checkpoint, a <see cref="CheckpointException"/> with the same error on every rank.
    /// </summary>
    private void ThrowUnlessAllSucceeded(Exception? failure, string what)
    {
        // 0: success; 1 + the error of a refused checkpoint; -1: any other failure.
        double outcome = failure switch { null => 0, CheckpointException c => 1 + (int)c.Error, _ => -1 };
        double[] outcomes = new double[WorldSize];
        Mpi.Allgather<double>([outcome], outcomes);
        if (failure is not null)
        {
            throw failure is CheckpointException checkpoint
                ? new CheckpointException(checkpoint.Error, $"Rank {Rank} could not {what} its shard, so no rank did: {failure.Message}", failure)
                : new IOException($"Rank {Rank} could not {what} its shard, so no rank did: {failure.Message}", failure);
        }

        int[] failed = Enumerable.Range(0, WorldSize).Where(r => outcomes[r] != 0).ToArray();
        if (failed.Length > 0)
        {
            string message = $"Rank {string.Join(", ", failed)} could not {what} its shard (see that rank's error), so no rank did.";
            throw outcomes[failed[0]] > 0
                ? new CheckpointException((CheckpointError)(int)(outcomes[failed[0]] - 1), message)
                : new IOException(message);
        }
    }

    // IEEE division, so that a single process dividing the summed gradients gets the same bits.
    private static void Divide(Span<T> values, int divisor)
    {
        if (typeof(T) == typeof(float))
        {
            Span<float> floats = MemoryMarshal.Cast<T, float>(values);
            TensorPrimitives.Divide(floats, divisor, floats);
        }
        else if (typeof(T) == typeof(double))
        {
            Span<double> doubles = MemoryMarshal.Cast<T, double>(values);
            TensorPrimitives.Divide(doubles, divisor, doubles);
        }
        else
        {
            Span<BFloat16> bf16 = MemoryMarshal.Cast<T, BFloat16>(values);
            for (int i = 0; i < bf16.Length; i++)
            {
                bf16[i] = (BFloat16)((float)bf16[i] / divisor);
            }
        }
    }

    /// <summary>The ranks of the job, gathering with MPI.</summary>
    private sealed class MpiShardGroup(int size) : IShardGroup
    {
        public int ProcessCount => size;

        public void AllGather(ReadOnlySpan<double> local, Span<double> all) => Mpi.Allgather(local, all);
    }
}
