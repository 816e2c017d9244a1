using System;
using System.Runtime.InteropServices;

namespace OptGen;

/// <summary>Tells regular files from special ones (FIFOs, devices, sockets), which .NET's file APIs do not distinguish.</summary>
internal static partial class FileKind
{
    private const int AtCurrentDirectory = -100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28; // struct statx is the same on every Linux architecture
    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int Directory = 0x4000;

    /// <summary>True if <paramref name="path"/> exists (following links) and is neither a regular file nor a directory. False where this cannot be told (outside Linux).</summary>
    public static bool IsSpecialFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[256];
        int result;
        try
        {
            result = Statx(AtCurrentDirectory, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer));
        }
        catch (EntryPointNotFoundException)
        {
            return false; // a C library without statx (glibc before 2.28)
        }

        if (result != 0)
        {
            return false; // does not exist (or cannot be inspected): creating it is for the write to decide
        }

        int type = MemoryMarshal.Read<ushort>(buffer[StatxModeOffset..]) & FileTypeMask;
        return type is not (RegularFile or Directory);
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}
