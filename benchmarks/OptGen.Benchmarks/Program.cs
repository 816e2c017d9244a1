using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(OptGen.Benchmarks.AdamStepBenchmarks).Assembly).Run(args);
