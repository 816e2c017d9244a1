using BenchmarkDotNet.Attributes;

namespace OptGen.Benchmarks;

/// <summary>
/// A rule written as an <see cref="ElementRuleAttribute"/> method against the preset of the same rule, 10M float
/// parameters, one thread. Both lower to the same IR, so the generated kernels are the same code and must step equally
/// fast. BenchmarkDotNet runs each case in its own process, so neither inherits the other's memory placement.
/// </summary>
public class ElementRuleBenchmarks
{
    private float[] _parameters = [];
    private float[] _gradients = [];
    private IOptimizer<float> _preset = null!;
    private IOptimizer<float> _custom = null!;

    /// <summary>The rule: Lion or Adamax.</summary>
    [Params("Lion", "Adamax")]
    public string Rule { get; set; } = "Lion";

    [Params(10_000_000)]
    public int Length { get; set; }

    [GlobalSetup(Target = nameof(Preset))]
    public void SetupPreset()
    {
        (_parameters, _gradients) = TestData.NewParametersAndGradients(Length);
        _preset = Rule == "Lion" ? new SuiteLion(Length) : new SuiteAdamax(Length);
        _preset.ThreadCount = 1;
    }

    [GlobalSetup(Target = nameof(ElementRule))]
    public void SetupElementRule()
    {
        (_parameters, _gradients) = TestData.NewParametersAndGradients(Length);
        _custom = Rule == "Lion" ? new SuiteCustomLion(Length) : new SuiteCustomAdamax(Length);
        _custom.ThreadCount = 1;
    }

    [Benchmark(Baseline = true, Description = "Preset")]
    public void Preset() => _preset.Step(_parameters, _gradients);

    [Benchmark(Description = "[ElementRule] method")]
    public void ElementRule() => _custom.Step(_parameters, _gradients);
}
