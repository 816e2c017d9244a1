using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.EventProcessors;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BenchmarkDotNet.Validators;

namespace OptGen.Benchmarks;

/// <summary>One measured row of the JSON.</summary>
public sealed record SuiteResult(string Rule, string Implementation, int Threads, long Parameters, int BytesPerParameter, double SecondsPerStep, long StepsTimed);

/// <summary>
/// <c>suite [--quick] [--billion] [--out path.json] [--sizes 1000,1000000,…]</c>: the whole .NET half of the benchmark
/// comparison, measured with BenchmarkDotNet in process, written as JSON (the schema pytorch_bench.py also writes).
/// </summary>
public static class Suite
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly int[] DefaultSizes = [1_000, 100_000, 1_000_000, 10_000_000, 100_000_000];
    private static readonly List<SuiteResult> s_results = [];

    /// <summary>Runs the suite; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool quick = false, billion = false;
        string output = "dotnet-suite.json";
        int[]? sizes = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--billion": billion = true; break;
                case "--out" when i + 1 < args.Length: output = args[++i]; break;
                case "--sizes" when i + 1 < args.Length:
                    sizes = args[++i].Split(',').Select(s => int.Parse(s.Replace("_", "", StringComparison.Ordinal), Inv)).ToArray();
                    break;
                default:
                    Console.Error.WriteLine($"suite: unknown argument '{args[i]}'.");
                    Console.Error.WriteLine("usage: suite [--quick] [--billion] [--out path.json] [--sizes n1,n2,...]");
                    return 2;
            }
        }

        sizes ??= quick ? DefaultSizes[..3] : DefaultSizes;
        Timing timing = quick ? new Timing(TimeSpan.FromMilliseconds(50), 3, 3) : new Timing(TimeSpan.FromMilliseconds(100), 5, 3);
        int[] threadCounts = Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];
        var total = Stopwatch.StartNew();
        Console.WriteLine($"OptGen suite: {CpuName()}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {SimdName()}; " +
            $"sizes {string.Join(", ", sizes.Select(s => s.ToString("N0", Inv)))}; threads {string.Join(", ", threadCounts)}; output {output}");

        double load = LoadAverage();
        if (load > 0.5)
        {
            Console.WriteLine($"suite: warning: the 1-minute load average is {load:0.00}; other processes will disturb the timings (the multi-threaded cases most).");
        }

        Console.WriteLine("Self-check: every baseline against the generated optimizer, 3 steps");
        if (!SelfCheck.Run(Console.WriteLine))
        {
            Console.Error.WriteLine("suite: self-check failed; a baseline does not compute the generated optimizer's rule. Nothing was timed.");
            return 1;
        }

        Console.WriteLine("Warming up every stepper (tiered JIT: each kernel called until it has been recompiled fully optimised)");
        WarmUp(threadCounts);

        PrintHeader();
        int index = 0;
        foreach (int size in sizes)
        {
            var cases = new List<SuiteCase>();
            foreach (SuiteRule rule in Hyper.Rules)
            {
                foreach (int threads in threadCounts)
                {
                    cases.Add(RuleCase(ref index, rule, Impl.Generated, threads, size));
                    cases.Add(RuleCase(ref index, rule, Impl.Roofline, threads, size));
                }

                if (Hyper.HasBaselines(rule))
                {
                    cases.Add(RuleCase(ref index, rule, Impl.Scalar, 1, size));
                    cases.Add(RuleCase(ref index, rule, Impl.TensorPrimitives, 1, size));
                }
                if (rule == SuiteRule.Adam)
                {
                    cases.Add(RuleCase(ref index, rule, Impl.Expert, 1, size));
                }
            }

            Measure(cases, timing, output, total);
            Workspace.Clear();
        }

        // Extra experiments: dispatch through Parallel.For, and many tensors.
        int all = Environment.ProcessorCount;
        var extras = new List<SuiteCase>();
        foreach (int size in new[] { 1_000_000, 10_000_000 })
        {
            if (quick && size > sizes.Max())
            {
                continue;
            }

            extras.Add(RuleCase(ref index, SuiteRule.Adam, Impl.GeneratedParallelFor, all, size));
        }

        int multiTotal = MultiTensor.Total;
        foreach (int threads in threadCounts)
        {
            foreach (string layout in new[] { Impl.StoreOf200, Impl.OneTensor, Impl.Optimizers200 })
            {
                string name = layout;
                int t = threads;
                extras.Add(new SuiteCase
                {
                    Index = index++,
                    Rule = "Adam",
                    Implementation = layout,
                    Threads = threads,
                    Parameters = multiTotal,
                    BytesPerParameter = 28,
                    Create = () => MultiTensor.Create(name, t),
                });
            }
        }

        Console.WriteLine($"Extra experiments (multi-tensor: {MultiTensor.Count} tensors of {MultiTensor.Sizes.Min():N0} to {MultiTensor.Sizes.Max():N0} elements, {multiTotal:N0} in all)");
        Measure(extras, timing, output, total);
        Workspace.Clear();

        if (billion)
        {
            RunBillion(threadCounts);
        }

        WriteJson(output, total.Elapsed.TotalSeconds);
        Console.WriteLine($"Suite finished in {total.Elapsed.TotalSeconds:0} s; {s_results.Count} results written to {Path.GetFullPath(output)}");
        return 0;
    }

    /// <summary>
    /// Calls every stepper kind, on a small array and (multi-threaded) on one the generated step splits over threads,
    /// in three rounds separated by pauses: the tiered JIT promotes a method only after 30 calls and a quiet 100 ms,
    /// twice (instrumented, then optimised). Without this the first cases would time tier-0 code.
    /// </summary>
    private static void WarmUp(int[] threadCounts)
    {
        var steppers = new List<(Stepper Stepper, int Calls)>();
        foreach (int length in new[] { 4_099, 3 * ParallelStep.MinimumParallelLength + 5 })
        {
            int calls = length < 10_000 ? 200 : 40;
            foreach (SuiteRule rule in Hyper.Rules)
            {
                foreach (int threads in threadCounts)
                {
                    steppers.Add((Steppers.Create(rule, Impl.Generated, threads, length), calls));
                    steppers.Add((Steppers.Create(rule, Impl.Roofline, threads, length), calls));
                }

                if (Hyper.HasBaselines(rule))
                {
                    steppers.Add((Steppers.Create(rule, Impl.Scalar, 1, length), calls));
                    steppers.Add((Steppers.Create(rule, Impl.TensorPrimitives, 1, length), calls));
                }
            }

            steppers.Add((Steppers.Create(SuiteRule.Adam, Impl.Expert, 1, length), calls));
            steppers.Add((Steppers.Create(SuiteRule.Adam, Impl.GeneratedParallelFor, threadCounts[^1], length), calls));
        }

        for (int round = 0; round < 4; round++)
        {
            foreach ((Stepper stepper, int calls) in steppers)
            {
                for (int i = 0; i < calls; i++)
                {
                    stepper.Step();
                }
            }

            System.Threading.Thread.Sleep(250);
        }

        Workspace.Clear();
    }

    private static SuiteCase RuleCase(ref int index, SuiteRule rule, string implementation, int threads, int size) => new()
    {
        Index = index++,
        Rule = Hyper.Name(rule),
        Implementation = implementation,
        Threads = threads,
        Parameters = size,
        BytesPerParameter = Hyper.BytesPerParameter(rule),
        Create = () => Steppers.Create(rule, implementation, threads, size),
    };

    /// <summary>How long BenchmarkDotNet measures each case.</summary>
    /// <param name="IterationTime">Target duration of one iteration (at least one step).</param>
    /// <param name="Iterations">Measured iterations.</param>
    /// <param name="LargeIterations">Measured iterations where one step takes longer than an iteration.</param>
    private sealed record Timing(TimeSpan IterationTime, int Iterations, int LargeIterations);

    /// <summary>
    /// Measures each case with its own BenchmarkRunner call: the stepper is built and calibrated here (its first steps
    /// warm it up: JIT, first touch of fresh pages), and the job gets the invocation count that fills an iteration, so
    /// that BenchmarkDotNet's pilot stage (which takes 5–12 iterations to settle on a count) is skipped. In process,
    /// without overhead evaluation (a virtual call is noise next to a step), one warm-up iteration.
    /// </summary>
    private static void Measure(List<SuiteCase> cases, Timing timing, string output, Stopwatch total)
    {
        foreach (SuiteCase c in cases)
        {
            Stepper stepper = c.Create();
            double perStep = Calibrate(stepper, timing.IterationTime.TotalSeconds / 4);
            bool large = perStep >= timing.IterationTime.TotalSeconds;
            long invocations = Math.Max(1, (long)Math.Round(timing.IterationTime.TotalSeconds / perStep));
            int unroll = invocations >= 64 ? 16 : 1;
            invocations = (invocations + unroll - 1) / unroll * unroll;
            Job job = new Job("OptGenSuite")
                .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(10), logOutput: false))
                .WithEvaluateOverhead(false)
                .WithInvocationCount(invocations)
                .WithUnrollFactor(unroll)
                .WithWarmupCount(large ? 0 : 1)
                .WithIterationCount(large ? timing.LargeIterations : timing.Iterations);
            IConfig config = ManualConfig.CreateEmpty()
                .AddJob(job)
                .AddLogger(new ErrorsOnlyLogger())
                .AddEventProcessor(new ProgressPrinter())
                .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "optgen-suite-bdn"))
                .WithOptions(ConfigOptions.DisableLogFile);

            c.Prepared = stepper;
            SuiteBenchmark.Current = [c];
            Summary summary;
            try
            {
                summary = BenchmarkRunner.Run<SuiteBenchmark>(config);
            }
            finally
            {
                SuiteBenchmark.Current = [];
                c.Prepared = null;
            }

            foreach (BenchmarkReport report in summary.Reports)
            {
                if (report.ResultStatistics is null)
                {
                    Console.Error.WriteLine($"suite: no result for {c}");
                    continue;
                }

                s_results.Add(ToResult(c, report));
            }

            foreach (ValidationError error in summary.ValidationErrors.Where(e => e.IsCritical))
            {
                Console.Error.WriteLine($"suite: {c}: {error.Message}");
            }
        }

        WriteJson(output, total.Elapsed.TotalSeconds); // after every group, so an interrupted run keeps what it measured
    }

    /// <summary>Steps once (untimed), then times doubling batches until one lasts <paramref name="minimumSeconds"/>; seconds per step.</summary>
    private static double Calibrate(Stepper stepper, double minimumSeconds)
    {
        stepper.Step();
        for (long count = 1; ; count *= 2)
        {
            long start = Stopwatch.GetTimestamp();
            for (long i = 0; i < count; i++)
            {
                stepper.Step();
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (seconds >= minimumSeconds)
            {
                return seconds / count;
            }
        }
    }

    private static SuiteResult ToResult(SuiteCase c, BenchmarkReport report)
    {
        long steps = report.AllMeasurements
            .Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Actual)
            .Sum(m => m.Operations);
        return new SuiteResult(c.Rule, c.Implementation, c.Threads, c.Parameters, c.BytesPerParameter, report.ResultStatistics!.Median / 1e9, steps);
    }

    /// <summary>Adam at 10⁹ parameters: four 4 GB arrays, timed by hand (one warm-up step, three timed).</summary>
    private static void RunBillion(int[] threadCounts)
    {
        const int n = 1_000_000_000;
        const int timedSteps = 3;
        double available = AvailableGiB();
        if (available < 18)
        {
            Console.WriteLine($"--billion: skipped, {available:0.0} GiB of memory available and 16 GB of arrays (+ headroom) needed.");
            return;
        }

        Console.WriteLine($"Adam at {n:N0} parameters (16 GB of arrays; {available:0.0} GiB available), {timedSteps} timed steps after one untimed, without BenchmarkDotNet");
        BillionRoofline(n, threadCounts, timedSteps); // its four aligned 4 GB buffers are garbage when it returns
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Workspace w = Workspace.Get(n);
        var optimizer = new SuiteAdam(n);
        foreach (int threads in threadCounts)
        {
            optimizer.ThreadCount = threads;
            Record("Adam", Impl.Generated, threads, n, 28, TimeSteps(() => optimizer.Step(w.Parameters.Span, w.Gradients.Span), timedSteps));
        }

        Workspace.Clear();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void BillionRoofline(int n, int[] threadCounts, int timedSteps)
    {
        var roofline = new Roofline(n, fourStreams: true, threadCounts[0]);
        foreach (int threads in threadCounts)
        {
            Roofline withThreads = threads == threadCounts[0] ? roofline : roofline.WithThreads(threads);
            Record("Adam", Impl.Roofline, threads, n, 28, TimeSteps(withThreads.Step, timedSteps));
        }
    }

    private static (double Median, int Steps) TimeSteps(Action step, int steps)
    {
        step(); // warm-up: first touch of fresh pages, JIT
        var times = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            step();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(times);
        return (times[steps / 2], steps);
    }

    private static void Record(string rule, string implementation, int threads, long parameters, int bytes, (double Median, int Steps) timing)
    {
        var result = new SuiteResult(rule, implementation, threads, parameters, bytes, timing.Median, timing.Steps);
        s_results.Add(result);
        PrintRow(result);
    }

    private static void PrintHeader()
    {
        Console.WriteLine();
        Console.WriteLine($"{"rule",-12} {"implementation",-34} {"thr",3} {"parameters",13} {"time/step",11} {"GB/s",7} {"steps",8}");
        Console.WriteLine(new string('-', 94));
    }

    /// <summary>One console row: time per step and the bytes moved per second.</summary>
    public static void PrintRow(SuiteResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        double gbPerSecond = r.Parameters * (double)r.BytesPerParameter / r.SecondsPerStep / 1e9;
        Console.WriteLine($"{r.Rule,-12} {r.Implementation,-34} {r.Threads,3} {r.Parameters,13:N0} {FormatTime(r.SecondsPerStep),11} {gbPerSecond,7:0.0} {r.StepsTimed,8}");
    }

    private static string FormatTime(double seconds) => seconds switch
    {
        < 1e-6 => $"{seconds * 1e9:0.0} ns",
        < 1e-3 => $"{seconds * 1e6:0.00} µs",
        < 1 => $"{seconds * 1e3:0.00} ms",
        _ => $"{seconds:0.000} s",
    };

    private static void WriteJson(string path, double totalSeconds)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("source", "dotnet");
        json.WriteString("date", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", Inv));
        json.WriteStartObject("machine");
        json.WriteString("cpu", CpuName());
        json.WriteNumber("cores", Environment.ProcessorCount);
        json.WriteString("dotnet", Environment.Version.ToString());
        json.WriteString("simd", SimdName());
        json.WriteString("os", RuntimeInformation.OSDescription);
        json.WriteString("benchmarkdotnet", typeof(BenchmarkRunner).Assembly.GetName().Version?.ToString(3));
        json.WriteEndObject();
        json.WriteNumber("total_seconds", Math.Round(totalSeconds, 1));
        json.WriteStartArray("results");
        foreach (SuiteResult r in s_results)
        {
            json.WriteStartObject();
            json.WriteString("rule", r.Rule);
            json.WriteString("implementation", r.Implementation);
            json.WriteNumber("threads", r.Threads);
            json.WriteNumber("parameters", r.Parameters);
            json.WriteNumber("bytes_per_parameter", r.BytesPerParameter);
            json.WriteNumber("seconds_per_step", r.SecondsPerStep);
            json.WriteNumber("steps_timed", r.StepsTimed);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string CpuName()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string SimdName() =>
        Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";

    private static double LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], Inv);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    private static double AvailableGiB()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    string kb = line["MemAvailable:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim();
                    return double.Parse(kb, Inv) / (1024 * 1024);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
    }

    /// <summary>Prints each case's row as soon as BenchmarkDotNet has measured it.</summary>
    private sealed class ProgressPrinter : EventProcessor
    {
        private static readonly bool s_debug = Environment.GetEnvironmentVariable("OPTGEN_SUITE_DEBUG") == "1";
        private long _start;

        public override void OnStartRunBenchmark(BenchmarkCase benchmarkCase) => _start = Stopwatch.GetTimestamp();

        public override void OnEndRunBenchmark(BenchmarkCase benchmarkCase, BenchmarkReport report)
        {
            if (s_debug)
            {
                var stages = report.AllMeasurements.GroupBy(m => (m.IterationMode, m.IterationStage))
                    .Select(group => $"{group.Key.IterationMode}/{group.Key.IterationStage} x{group.Count()} {group.Sum(m => m.Nanoseconds) / 1e6:0}ms ops {group.Sum(m => m.Operations)}");
                Console.WriteLine($"    [{Stopwatch.GetElapsedTime(_start).TotalMilliseconds:0} ms] {string.Join("; ", stages)}");
            }

            if (benchmarkCase.Parameters["Case"] is SuiteCase c && report.ResultStatistics is not null)
            {
                PrintRow(ToResult(c, report));
            }
            else
            {
                Console.Error.WriteLine($"suite: {benchmarkCase.DisplayInfo} failed");
            }
        }
    }

    /// <summary>
    /// BenchmarkDotNet's own output is not shown, except errors (but not its hints that this configuration defines no
    /// exporters and no columns: the suite writes its own JSON and table).
    /// </summary>
    private sealed class ErrorsOnlyLogger : ILogger
    {
        private bool _skipping;

        public string Id => nameof(ErrorsOnlyLogger);

        public int Priority => 0;

        public void Write(LogKind logKind, string text)
        {
            _skipping = text.StartsWith("//", StringComparison.Ordinal);
            if (logKind == LogKind.Error && !_skipping)
            {
                Console.Error.Write(text);
            }
        }

        public void WriteLine()
        {
            _skipping = false;
        }

        public void WriteLine(LogKind logKind, string text)
        {
            if (logKind == LogKind.Error && !_skipping && !text.StartsWith("//", StringComparison.Ordinal))
            {
                Console.Error.WriteLine(text);
            }

            _skipping = false;
        }

        public void Flush()
        {
        }
    }
}
