using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace OptGen.Benchmarks;

/// <summary>One row of the suite: what is timed and how it is reported.</summary>
public sealed class SuiteCase : IComparable<SuiteCase>
{
    /// <summary>Position in the run (BenchmarkDotNet orders the cases by it).</summary>
    public required int Index { get; init; }

    /// <summary>Rule name, as in the JSON.</summary>
    public required string Rule { get; init; }

    /// <summary>Implementation name, as in the JSON.</summary>
    public required string Implementation { get; init; }

    /// <summary>Threads the step may use.</summary>
    public required int Threads { get; init; }

    /// <summary>Parameters updated per step.</summary>
    public required long Parameters { get; init; }

    /// <summary>Bytes moved per parameter per step.</summary>
    public required int BytesPerParameter { get; init; }

    /// <summary>Builds the stepper (untimed).</summary>
    public required Func<Stepper> Create { get; init; }

    /// <summary>The stepper built (and calibrated) before BenchmarkDotNet runs the case, if any.</summary>
    public Stepper? Prepared { get; set; }

    /// <inheritdoc/>
    public int CompareTo(SuiteCase? other) => other is null ? 1 : Index.CompareTo(other.Index);

    /// <inheritdoc/>
    public override string ToString() => $"{Index:000} {Rule}, {Implementation}, {Threads}t, {Parameters}";

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SuiteCase other && other.Index == Index;

    /// <inheritdoc/>
    public override int GetHashCode() => Index;

    /// <summary>Compares by <see cref="Index"/>.</summary>
    public static bool operator ==(SuiteCase? left, SuiteCase? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Compares by <see cref="Index"/>.</summary>
    public static bool operator !=(SuiteCase? left, SuiteCase? right) => !(left == right);

    /// <summary>Compares by <see cref="Index"/>.</summary>
    public static bool operator <(SuiteCase left, SuiteCase right) => left is null ? right is not null : left.CompareTo(right) < 0;

    /// <summary>Compares by <see cref="Index"/>.</summary>
    public static bool operator <=(SuiteCase left, SuiteCase right) => left is null || left.CompareTo(right) <= 0;

    /// <summary>Compares by <see cref="Index"/>.</summary>
    public static bool operator >(SuiteCase left, SuiteCase right) => left is not null && left.CompareTo(right) > 0;

    /// <summary>Compares by <see cref="Index"/>.</summary>
    public static bool operator >=(SuiteCase left, SuiteCase right) => left is null ? right is null : left.CompareTo(right) >= 0;
}

/// <summary>
/// The suite's only benchmark: one step of the current case. Run by <see cref="Suite"/> through BenchmarkRunner with
/// the cases of <see cref="Current"/>; not discovered by the BenchmarkSwitcher of the ordinary command line.
/// </summary>
public class SuiteBenchmark
{
    private Stepper? _stepper;

    /// <summary>The cases of the next BenchmarkRunner call.</summary>
    public static IReadOnlyList<SuiteCase> Current { get; set; } = [];

    /// <summary>The case being measured.</summary>
    [ParamsSource(nameof(Cases))]
    public SuiteCase Case { get; set; } = null!;

    /// <summary>BenchmarkDotNet's source of <see cref="Case"/>.</summary>
    public static IEnumerable<SuiteCase> Cases() => Current;

    /// <summary>Takes the case's prepared stepper (or builds one).</summary>
    [GlobalSetup]
    public void Setup() => _stepper = Case.Prepared ?? Case.Create();

    /// <summary>Drops it (its arrays become garbage).</summary>
    [GlobalCleanup]
    public void Cleanup() => _stepper = null;

    /// <summary>One step.</summary>
    [Benchmark]
    public void Step() => _stepper!.Step();
}
