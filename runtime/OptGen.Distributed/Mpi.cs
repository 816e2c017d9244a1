using System;
using System.Runtime.InteropServices;

namespace OptGen.Distributed;

/// <summary>Element types the collectives move. BFloat16 travels as 16-bit unsigned integers (no MPI type for it).</summary>
public enum MpiElement { Float32, Float64, BFloat16 }

/// <summary>
/// A minimal binding over the system's libmpi, found at run time. MPICH and OpenMPI agree on the C functions but not on
/// handles: MPICH's are integer constants, OpenMPI's are addresses of exported objects, so both are resolved here once.
/// </summary>
public static unsafe class Mpi
{
    const string InstallHint = "install MPICH (apt-get install -y mpich) or OpenMPI (apt-get install -y openmpi-bin libopenmpi-dev)";

    static nint library;
    static nint commWorld, opSum, typeFloat, typeDouble, typeUShort, inPlace;
    static delegate* unmanaged<int*, byte***, int> init;
    static delegate* unmanaged<int> finalize;
    static delegate* unmanaged<int*, int> initialized;
    static delegate* unmanaged<nint, int*, int> commRank, commSize;
    static delegate* unmanaged<nint, int> barrier;
    static delegate* unmanaged<nint, int, int> abort;
    static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> allreduce;
    static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> reduceScatterBlock;
    static delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> allgather;

    /// <summary>Which implementation was loaded: "MPICH" or "OpenMPI".</summary>
    public static string Implementation { get; private set; } = "";

    public static bool IsAvailable => TryLoad(out _);

    static bool TryLoad(out string? error)
    {
        error = null;
        if (library != 0) return true;
        foreach (var name in new[] { "libmpich.so.12", "libmpi.so.40", "libmpich.so", "libmpi.so" })
        {
            if (NativeLibrary.TryLoad(name, out var handle)) { Bind(handle); return true; }
        }
        error = "No MPI library found (libmpich.so.12 or libmpi.so.40); " + InstallHint + ".";
        return false;
    }

    static void Bind(nint handle)
    {
        if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out var world))
        {
            Implementation = "OpenMPI";
            commWorld = world;
            opSum = NativeLibrary.GetExport(handle, "ompi_mpi_op_sum");
            typeFloat = NativeLibrary.GetExport(handle, "ompi_mpi_float");
            typeDouble = NativeLibrary.GetExport(handle, "ompi_mpi_double");
            typeUShort = NativeLibrary.GetExport(handle, "ompi_mpi_unsigned_short");
            inPlace = 1;
        }
        else
        {
            // Values from MPICH's mpi.h (ABI-stable across MPICH 3.x/4.x).
            Implementation = "MPICH";
            commWorld = 0x44000000;
            opSum = 0x58000003;
            typeFloat = 0x4c00040a;
            typeDouble = 0x4c00080b;
            typeUShort = 0x4c000204;
            inPlace = -1;
        }
        init = (delegate* unmanaged<int*, byte***, int>)NativeLibrary.GetExport(handle, "MPI_Init");
        finalize = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "MPI_Finalize");
        initialized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "MPI_Initialized");
        commRank = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(handle, "MPI_Comm_rank");
        commSize = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(handle, "MPI_Comm_size");
        barrier = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "MPI_Barrier");
        abort = (delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(handle, "MPI_Abort");
        allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Allreduce");
        reduceScatterBlock = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Reduce_scatter_block");
        allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Allgather");
        library = handle;
    }

    static void Require()
    {
        if (!TryLoad(out var error)) throw new DllNotFoundException(error);
    }

    static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
    }

    static nint TypeOf(MpiElement element) => element switch
    {
        MpiElement.Float32 => typeFloat,
        MpiElement.Float64 => typeDouble,
        MpiElement.BFloat16 => typeUShort,
        _ => throw new ArgumentOutOfRangeException(nameof(element)),
    };

    public static void Init()
    {
        Require();
        int done;
        Check(initialized(&done), "MPI_Initialized");
        if (done == 0) Check(init(null, null), "MPI_Init");
    }

    public static void Shutdown() { Require(); Check(finalize(), "MPI_Finalize"); }

    public static int Rank { get { Require(); int r; Check(commRank(commWorld, &r), "MPI_Comm_rank"); return r; } }

    public static int Size { get { Require(); int s; Check(commSize(commWorld, &s), "MPI_Comm_size"); return s; } }

    public static void Barrier() { Require(); Check(barrier(commWorld), "MPI_Barrier"); }

    /// <summary>Ends every rank of the job; used when one rank fails so that the others do not wait forever.</summary>
    public static void Abort(int code) { Require(); abort(commWorld, code); }

    /// <summary>Sums <paramref name="data"/> over all ranks, in place. Counts above int.MaxValue are sent in pieces.</summary>
    public static void AllreduceSum(Span<float> data) { fixed (float* p = data) AllreduceSum(p, data.Length, MpiElement.Float32, sizeof(float)); }

    public static void AllreduceSum(Span<double> data) { fixed (double* p = data) AllreduceSum(p, data.Length, MpiElement.Float64, sizeof(double)); }

    static void AllreduceSum(void* data, long count, MpiElement element, int size)
    {
        Require();
        for (long done = 0; done < count;)
        {
            int piece = (int)Math.Min(count - done, int.MaxValue);
            Check(allreduce((void*)inPlace, (byte*)data + done * size, piece, TypeOf(element), opSum, commWorld), "MPI_Allreduce");
            done += piece;
        }
    }

    /// <summary>Sums <paramref name="send"/> (Size blocks of receive.Length) over ranks; rank r receives block r.</summary>
    public static void ReduceScatterBlockSum(ReadOnlySpan<float> send, Span<float> receive)
    {
        Require();
        if (send.Length != (long)receive.Length * Size) throw new ArgumentException("send must hold Size blocks of receive.Length elements.", nameof(send));
        fixed (float* s = send) fixed (float* r = receive)
            Check(reduceScatterBlock(s, r, receive.Length, typeFloat, opSum, commWorld), "MPI_Reduce_scatter_block");
    }

    /// <summary>Gathers every rank's block into <paramref name="all"/> (Size blocks), in place: rank r's block r is the input.</summary>
    public static void AllgatherInPlace(Span<float> all)
    {
        Require();
        int size = Size;
        if (all.Length % size != 0) throw new ArgumentException("all must hold Size equal blocks.", nameof(all));
        fixed (float* a = all)
            Check(allgather((void*)inPlace, 0, 0, a, all.Length / size, typeFloat, commWorld), "MPI_Allgather");
    }
}
