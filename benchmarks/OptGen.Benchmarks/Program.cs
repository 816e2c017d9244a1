// Two ways in:
//   dotnet run -c Release --project benchmarks/OptGen.Benchmarks -- --filter '*'       BenchmarkDotNet's command line
//   dotnet run -c Release --project benchmarks/OptGen.Benchmarks -- suite [--quick] [--billion] [--out path.json]
//                                                                      [--sizes 1000,1000000,...]
// The suite (Suite.cs) checks every baseline against the generated optimizers, then times all rules, sizes and thread
// counts with BenchmarkDotNet in process and writes the JSON that benchmarks/report.py reads.
using System;
using System.Linq;
using BenchmarkDotNet.Running;
using OptGen.Benchmarks;

if (args.Length > 0 && args[0] == "suite")
{
    return Suite.Run(args[1..]);
}

// Every benchmark class of the assembly except the suite's, which only the suite feeds with cases.
Type[] benchmarks = typeof(AdamStepBenchmarks).Assembly.GetTypes()
    .Where(type => type != typeof(SuiteBenchmark) && type.IsPublic && !type.IsAbstract
        && type.GetMethods().Any(method => method.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), inherit: false)))
    .ToArray();
BenchmarkSwitcher.FromTypes(benchmarks).Run(args);
return 0;
