using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OptGen.Distributed;

/// <summary>
/// A minimal binding over the system's libmpi, found at run time, on <c>MPI_COMM_WORLD</c>. MPICH and OpenMPI agree on
/// the C functions but not on handles: MPICH's are integer constants, OpenMPI's are the addresses of exported objects,
/// so both are resolved here once. Collectives move <see cref="float"/>, <see cref="double"/> and
/// <see cref="BFloat16"/> (as 16-bit integers, summed by an operation of this library: widened to float, added, rounded
/// to nearest even). Every call is collective unless said otherwise: each rank must make it, in the same order.
/// </summary>
public static unsafe class Mpi
{
    private const string InstallHint = "install MPICH (apt-get install -y mpich) or OpenMPI (apt-get install -y openmpi-bin libopenmpi-dev)";

    private static nint s_library;
    private static nint s_commWorld, s_opSum, s_opSumBFloat16, s_typeFloat, s_typeDouble, s_typeUShort, s_inPlace;
    private static delegate* unmanaged<int*, byte***, int> s_init;
    private static delegate* unmanaged<int> s_finalize;
    private static delegate* unmanaged<int*, int> s_initialized;
    private static delegate* unmanaged<nint, int*, int> s_commRank, s_commSize;
    private static delegate* unmanaged<nint, int> s_barrier;
    private static delegate* unmanaged<nint, int, int> s_abort;
    private static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> s_allreduce;
    private static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> s_reduceScatterBlock;
    private static delegate* unmanaged<void*, void*, int*, nint, nint, nint, int> s_reduceScatter;
    private static delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> s_allgather;
    private static delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> s_allgatherv;
    private static delegate* unmanaged<void*, int, nint, int, nint, int> s_bcast;
    private static delegate* unmanaged<delegate* unmanaged<void*, void*, int*, nint*, void>, int, nint*, int> s_opCreate;

    /// <summary>Which implementation was loaded: "MPICH" or "OpenMPI" (empty before the first call).</summary>
    public static string Implementation { get; private set; } = "";

    /// <summary>Whether an MPI library is installed (not whether this process was launched by <c>mpirun</c>).</summary>
    public static bool IsAvailable => TryLoad(out _);

    /// <summary>
    /// The number of processes <c>mpirun</c> launched this one with, read from the launcher's environment (MPICH's
    /// <c>PMI_SIZE</c>, OpenMPI's <c>OMPI_COMM_WORLD_SIZE</c>), without loading MPI: 1 for a process started by itself.
    /// </summary>
    public static int LaunchedSize =>
        int.TryParse(Environment.GetEnvironmentVariable("PMI_SIZE") ?? Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), out int size) && size > 0 ? size : 1;

    /// <summary>Initializes MPI (once; later calls do nothing).</summary>
    /// <exception cref="DllNotFoundException">No MPI library is installed; the message names the install commands.</exception>
    public static void Init()
    {
        Require();
        int done;
        Check(s_initialized(&done), "MPI_Initialized");
        if (done == 0)
        {
            Check(s_init(null, null), "MPI_Init");
        }
    }

    /// <summary>Finalizes MPI (<c>MPI_Finalize</c>); no MPI call may follow.</summary>
    public static void Shutdown()
    {
        Require();
        Check(s_finalize(), "MPI_Finalize");
    }

    /// <summary>This process's rank, from 0 to <see cref="Size"/> − 1.</summary>
    public static int Rank
    {
        get
        {
            Require();
            int rank;
            Check(s_commRank(s_commWorld, &rank), "MPI_Comm_rank");
            return rank;
        }
    }

    /// <summary>The number of processes in the job.</summary>
    public static int Size
    {
        get
        {
            Require();
            int size;
            Check(s_commSize(s_commWorld, &size), "MPI_Comm_size");
            return size;
        }
    }

    /// <summary>Waits until every rank has called it.</summary>
    public static void Barrier()
    {
        Require();
        Check(s_barrier(s_commWorld), "MPI_Barrier");
    }

    /// <summary>Ends every rank of the job with <paramref name="code"/>; for a rank that failed, so that the others do not wait forever. Not collective.</summary>
    public static void Abort(int code)
    {
        Require();
        _ = s_abort(s_commWorld, code);
    }

    /// <summary>Replaces <paramref name="data"/> on every rank by its sum over the ranks.</summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="double"/> or <see cref="BFloat16"/>.</typeparam>
    public static void AllreduceSum<T>(Span<T> data)
        where T : unmanaged
    {
        (nint type, nint op) = SumOf<T>();
        fixed (T* p = data)
        {
            Check(s_allreduce((void*)s_inPlace, p, data.Length, type, op, s_commWorld), "MPI_Allreduce");
        }
    }

    /// <summary>Sums <paramref name="send"/> (<see cref="Size"/> blocks of <paramref name="receive"/>.Length) over the ranks; rank r receives block r.</summary>
    /// <exception cref="ArgumentException"><paramref name="send"/> does not hold <see cref="Size"/> blocks; nothing is sent.</exception>
    public static void ReduceScatterBlockSum<T>(ReadOnlySpan<T> send, Span<T> receive)
        where T : unmanaged
    {
        (nint type, nint op) = SumOf<T>();
        if (send.Length != (long)receive.Length * Size)
        {
            throw new ArgumentException($"{nameof(send)} must hold {Size} blocks of {receive.Length} elements, not {send.Length} elements.", nameof(send));
        }

        fixed (T* s = send)
        fixed (T* r = receive)
        {
            Check(s_reduceScatterBlock(s, r, receive.Length, type, op, s_commWorld), "MPI_Reduce_scatter_block");
        }
    }

    /// <summary>
    /// Sums <paramref name="send"/> over the ranks; rank r receives the <paramref name="counts"/>[r] elements that follow
    /// the blocks of the ranks before it (blocks of unequal length, some possibly empty).
    /// </summary>
    /// <exception cref="ArgumentException">The counts do not match the ranks or the buffers; nothing is sent.</exception>
    public static void ReduceScatterSum<T>(ReadOnlySpan<T> send, Span<T> receive, ReadOnlySpan<int> counts)
        where T : unmanaged
    {
        (nint type, nint op) = SumOf<T>();
        int rank = CheckCounts(counts, send.Length, nameof(send));
        if (receive.Length < counts[rank])
        {
            throw new ArgumentException($"{nameof(receive)} holds {receive.Length} elements, fewer than this rank's {counts[rank]}.", nameof(receive));
        }

        fixed (T* s = send)
        fixed (T* r = receive)
        fixed (int* c = counts)
        {
            Check(s_reduceScatter(s, r, c, type, op, s_commWorld), "MPI_Reduce_scatter");
        }
    }

    /// <summary>Gathers every rank's block into <paramref name="all"/> (<see cref="Size"/> equal blocks), in place: block r of rank r is its input.</summary>
    /// <exception cref="ArgumentException"><paramref name="all"/> is not <see cref="Size"/> equal blocks; nothing is sent.</exception>
    public static void AllgatherInPlace<T>(Span<T> all)
        where T : unmanaged
    {
        nint type = TypeOf<T>();
        int size = Size;
        if (all.Length % size != 0)
        {
            throw new ArgumentException($"{nameof(all)} must hold {size} equal blocks, not {all.Length} elements.", nameof(all));
        }

        fixed (T* a = all)
        {
            Check(s_allgather((void*)s_inPlace, 0, 0, a, all.Length / size, type, s_commWorld), "MPI_Allgather");
        }
    }

    /// <summary>Gathers every rank's <paramref name="local"/> (the same length on each) into <paramref name="all"/>, in rank order.</summary>
    /// <exception cref="ArgumentException"><paramref name="all"/> is not <see cref="Size"/> blocks of <paramref name="local"/>.Length; nothing is sent.</exception>
    public static void Allgather<T>(ReadOnlySpan<T> local, Span<T> all)
        where T : unmanaged
    {
        nint type = TypeOf<T>();
        if (all.Length != (long)local.Length * Size)
        {
            throw new ArgumentException($"{nameof(all)} must hold {Size} blocks of {local.Length} elements, not {all.Length}.", nameof(all));
        }

        fixed (T* l = local)
        fixed (T* a = all)
        {
            Check(s_allgather(l, local.Length, type, a, local.Length, type, s_commWorld), "MPI_Allgather");
        }
    }

    /// <summary>
    /// Gathers every rank's <paramref name="local"/> (<paramref name="counts"/>[r] elements on rank r) into
    /// <paramref name="all"/>, one block after another in rank order.
    /// </summary>
    /// <exception cref="ArgumentException">The counts do not match the ranks or the buffers; nothing is sent.</exception>
    public static void AllgatherV<T>(ReadOnlySpan<T> local, Span<T> all, ReadOnlySpan<int> counts)
        where T : unmanaged
    {
        nint type = TypeOf<T>();
        int rank = CheckCounts(counts, all.Length, nameof(all));
        if (local.Length != counts[rank])
        {
            throw new ArgumentException($"{nameof(local)} holds {local.Length} elements, not this rank's {counts[rank]}.", nameof(local));
        }

        Span<int> displacements = counts.Length <= 256 ? stackalloc int[counts.Length] : new int[counts.Length];
        for (int r = 1; r < counts.Length; r++)
        {
            displacements[r] = displacements[r - 1] + counts[r - 1];
        }

        fixed (T* l = local)
        fixed (T* a = all)
        fixed (int* c = counts)
        fixed (int* d = displacements)
        {
            Check(s_allgatherv(l, local.Length, type, a, c, d, type, s_commWorld), "MPI_Allgatherv");
        }
    }

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> to every rank.</summary>
    public static void Broadcast<T>(Span<T> data, int root = 0)
        where T : unmanaged
    {
        nint type = TypeOf<T>();
        fixed (T* p = data)
        {
            Check(s_bcast(p, data.Length, type, root, s_commWorld), "MPI_Bcast");
        }
    }

    private static int CheckCounts(ReadOnlySpan<int> counts, int total, string buffer)
    {
        int size = Size;
        if (counts.Length != size)
        {
            throw new ArgumentException($"There are {counts.Length} counts for {size} ranks.", nameof(counts));
        }

        long sum = 0;
        foreach (int count in counts)
        {
            if (count < 0)
            {
                throw new ArgumentException($"A count is negative ({count}).", nameof(counts));
            }

            sum += count;
        }

        if (sum != total)
        {
            throw new ArgumentException($"The counts add up to {sum}, but {buffer} holds {total} elements.", buffer);
        }

        return Rank;
    }

    private static nint TypeOf<T>()
        where T : unmanaged
    {
        Require();
        return typeof(T) == typeof(float) ? s_typeFloat
            : typeof(T) == typeof(double) ? s_typeDouble
            : typeof(T) == typeof(BFloat16) ? s_typeUShort
            : throw new NotSupportedException($"MPI collectives here move float, double and BFloat16, not {typeof(T)}.");
    }

    private static (nint Type, nint Op) SumOf<T>()
        where T : unmanaged
    {
        nint type = TypeOf<T>();
        if (typeof(T) != typeof(BFloat16))
        {
            return (type, s_opSum);
        }

        if (s_opSumBFloat16 == 0)
        {
            // MPI's own sum would add the 16-bit patterns as integers.
            nint op = 0;
            Check(s_opCreate(&SumBFloat16, 1, &op), "MPI_Op_create");
            s_opSumBFloat16 = op;
        }

        return (type, s_opSumBFloat16);
    }

    /// <summary>An MPI user operation: <paramref name="inout"/>[i] = bf16(float(<paramref name="input"/>[i]) + float(<paramref name="inout"/>[i])).</summary>
    [UnmanagedCallersOnly]
    private static void SumBFloat16(void* input, void* inout, int* length, nint* datatype)
    {
        var a = new ReadOnlySpan<BFloat16>(input, *length);
        var b = new Span<BFloat16>(inout, *length);
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (BFloat16)((float)a[i] + (float)b[i]);
        }
    }

    private static bool TryLoad(out string? error)
    {
        error = null;
        if (s_library != 0)
        {
            return true;
        }

        foreach (string name in LibraryCandidates())
        {
            if (NativeLibrary.TryLoad(name, out nint handle))
            {
                Bind(handle);
                return true;
            }
        }

        error = $"No MPI library found ({string.Join(" or ", LibraryCandidates())}); " + InstallHint + ".";
        return false;
    }

    /// <summary>
    /// The libraries to try, in order: <c>OPTGEN_MPI_LIBRARY</c> if set; then the one of the launcher that started this
    /// process (OpenMPI's <c>mpirun</c> sets <c>OMPI_COMM_WORLD_SIZE</c>): where both are installed, a rank that loaded the
    /// other implementation would run alone.
    /// </summary>
    private static string[] LibraryCandidates()
    {
        string[] mpich = ["libmpich.so.12", "libmpich.so"], openMpi = ["libmpi.so.40", "libmpi.so"];
        string[] ordered = Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null ? [.. openMpi, .. mpich] : [.. mpich, .. openMpi];
        return Environment.GetEnvironmentVariable("OPTGEN_MPI_LIBRARY") is { Length: > 0 } chosen ? [chosen] : ordered;
    }

    private static void Bind(nint handle)
    {
        if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out nint world))
        {
            Implementation = "OpenMPI";
            s_commWorld = world;
            s_opSum = NativeLibrary.GetExport(handle, "ompi_mpi_op_sum");
            s_typeFloat = NativeLibrary.GetExport(handle, "ompi_mpi_float");
            s_typeDouble = NativeLibrary.GetExport(handle, "ompi_mpi_double");
            s_typeUShort = NativeLibrary.GetExport(handle, "ompi_mpi_unsigned_short");
            s_inPlace = 1;
        }
        else
        {
            // Values from MPICH's mpi.h (ABI-stable across MPICH 3.x and 4.x).
            Implementation = "MPICH";
            s_commWorld = 0x44000000;
            s_opSum = 0x58000003;
            s_typeFloat = 0x4c00040a;
            s_typeDouble = 0x4c00080b;
            s_typeUShort = 0x4c000204;
            s_inPlace = -1;
        }

        s_init = (delegate* unmanaged<int*, byte***, int>)NativeLibrary.GetExport(handle, "MPI_Init");
        s_finalize = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "MPI_Finalize");
        s_initialized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "MPI_Initialized");
        s_commRank = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(handle, "MPI_Comm_rank");
        s_commSize = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(handle, "MPI_Comm_size");
        s_barrier = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "MPI_Barrier");
        s_abort = (delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(handle, "MPI_Abort");
        s_allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Allreduce");
        s_reduceScatterBlock = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Reduce_scatter_block");
        s_reduceScatter = (delegate* unmanaged<void*, void*, int*, nint, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Reduce_scatter");
        s_allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Allgather");
        s_allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Allgatherv");
        s_bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)NativeLibrary.GetExport(handle, "MPI_Bcast");
        s_opCreate = (delegate* unmanaged<delegate* unmanaged<void*, void*, int*, nint*, void>, int, nint*, int>)NativeLibrary.GetExport(handle, "MPI_Op_create");
        s_library = handle;
    }

    private static void Require()
    {
        if (!TryLoad(out string? error))
        {
            throw new DllNotFoundException(error);
        }
    }

    private static void Check(int code, string call)
    {
        if (code != 0)
        {
            throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
        }
    }
}
