using System;
using System.IO;

namespace OptGen;

/// <summary>Why a checkpoint could not be read; see <see cref="CheckpointException.Error"/>.</summary>
public enum CheckpointError
{
    /// <summary>The data does not start with the checkpoint magic bytes: it is some other kind of file.</summary>
    NotACheckpoint,

    /// <summary>The checkpoint was written in a newer format version than this library reads.</summary>
    UnsupportedVersion,

    /// <summary>The data ends before the checkpoint does (an interrupted write or copy).</summary>
    Truncated,

    /// <summary>A checksum does not match, a field holds an impossible value, or data follows the end.</summary>
    Corrupt,

    /// <summary>The checkpoint was saved by an optimizer with a different update rule or hyperparameters.</summary>
    RuleMismatch,

    /// <summary>
    /// The checkpoint holds a different element type (<see cref="float"/> vs <see cref="double"/>), or its buffers in
    /// stored form (format 3) while the reader has one element type for all of them.
    /// </summary>
    ElementTypeMismatch,

    /// <summary>The checkpoint holds a different number of parameters.</summary>
    LengthMismatch,

    /// <summary>
    /// The checkpoint holds different state buffers (names, or in stored form element sizes or counts), different
    /// persistent per-step scalars, or plateau-schedule state where none is expected (or the reverse).
    /// </summary>
    StateMismatch,
}

/// <summary>A checkpoint is damaged, of an unknown version, or does not belong to the optimizer loading it.</summary>
/// <remarks>Nothing is loaded when this is thrown: the optimizer keeps its previous state.</remarks>
public sealed class CheckpointException : IOException
{
    /// <summary>Creates an exception for <paramref name="error"/>.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="message">What is wrong in words, and what to do about it.</param>
    public CheckpointException(CheckpointError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>Creates an exception for <paramref name="error"/> caused by <paramref name="innerException"/>.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="message">What is wrong in words, and what to do about it.</param>
    /// <param name="innerException">The failure that revealed the problem.</param>
    public CheckpointException(CheckpointError error, string message, Exception? innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What is wrong with the checkpoint.</summary>
    public CheckpointError Error { get; }
}
