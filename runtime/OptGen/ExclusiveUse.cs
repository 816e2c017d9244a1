using System;
using System.ComponentModel;
using System.Threading;

namespace OptGen;

/// <summary>
/// Detects concurrent use of one optimizer. An instance is not thread-safe; rather than let two threads interleave
/// their updates of the same state, the second caller gets an <see cref="InvalidOperationException"/> before it
/// touches anything. Called by generated code; costs one uncontended interlocked exchange per call.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ExclusiveUse
{
    /// <summary>Marks the optimizer in use, or throws if another thread is using it.</summary>
    /// <param name="flag">The optimizer's in-use flag.</param>
    /// <exception cref="InvalidOperationException">The optimizer is in use on another thread (or re-entered).</exception>
    public static void Enter(ref int flag)
    {
        if (Interlocked.Exchange(ref flag, 1) != 0)
        {
            Throw();
        }
    }

    /// <summary>Marks the optimizer free again.</summary>
    /// <param name="flag">The optimizer's in-use flag.</param>
    public static void Exit(ref int flag) => Volatile.Write(ref flag, 0);

    /// <summary><see cref="Enter"/>, and a lease whose disposal calls <see cref="Exit"/>: <c>using (ExclusiveUse.Acquire(ref flag)) { … }</c>.</summary>
    /// <param name="flag">The optimizer's in-use flag.</param>
    /// <exception cref="InvalidOperationException">The optimizer is in use on another thread (or re-entered).</exception>
    public static Lease Acquire(ref int flag)
    {
        Enter(ref flag);
        return new Lease(ref flag);
    }

    /// <summary>Exclusive use of one optimizer, until disposed.</summary>
    public readonly ref struct Lease
    {
        private readonly ref int _flag;

        internal Lease(ref int flag) => _flag = ref flag;

        /// <summary>Marks the optimizer free again.</summary>
        public void Dispose() => Exit(ref _flag);
    }

    private static void Throw() => throw new InvalidOperationException(
        "This optimizer is in use on another thread (a Step, Reset, checkpoint, metric report, or a change of its step " +
        "count or base learning rate is running). An optimizer instance is not " +
        "thread-safe: call it from one thread at a time (a large Step already uses several threads itself; see ThreadCount), " +
        "or give each thread its own optimizer.");
}
