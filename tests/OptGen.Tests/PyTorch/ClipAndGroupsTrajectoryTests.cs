using System;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace OptGen.Tests.PyTorch;

[Optimizer(UpdateRule.AdamW, LearningRate = 0.001)]
[WeightDecay(0.05, Decoupled = true, Exclude = new[] { "*.bias", "*norm*" })]
[ClipGradientNorm(1.0)]
internal sealed partial class GroupsAdamWSingle;

[Optimizer(UpdateRule.AdamW, LearningRate = 0.001, ElementType = typeof(double))]
[WeightDecay(0.05, Decoupled = true, Exclude = new[] { "*.bias", "*norm*" })]
[ClipGradientNorm(1.0)]
internal sealed partial class GroupsAdamWDouble;

[Optimizer(UpdateRule.Adam, LearningRate = 0.01)]
[WeightDecay(0.01, Exclude = new[] { "*.bias", "*norm*" })]
[ClipGradientNorm(0.5)]
internal sealed partial class GroupsAdamL2Single;

[Optimizer(UpdateRule.Adam, LearningRate = 0.01, ElementType = typeof(double))]
[WeightDecay(0.01, Exclude = new[] { "*.bias", "*norm*" })]
[ClipGradientNorm(0.5)]
internal sealed partial class GroupsAdamL2Double;

[Optimizer(UpdateRule.Sgd, LearningRate = 0.05)]
[Momentum(0.9)]
[ClipGradientNorm(0.25)]
internal sealed partial class GroupsSgdMomentumSingle;

[Optimizer(UpdateRule.Sgd, LearningRate = 0.05, ElementType = typeof(double))]
[Momentum(0.9)]
[ClipGradientNorm(0.25)]
internal sealed partial class GroupsSgdMomentumDouble;

[Optimizer(UpdateRule.Lamb, LearningRate = 0.001)]
internal sealed partial class LambSingle;

[Optimizer(UpdateRule.Lamb, LearningRate = 0.001, ElementType = typeof(double))]
internal sealed partial class LambDouble;

[Optimizer(UpdateRule.Lamb, LearningRate = 0.01)]
[WeightDecay(0.01, Exclude = new[] { "*.bias", "*norm*" })]
internal sealed partial class LambExcludeSingle;

[Optimizer(UpdateRule.Lamb, LearningRate = 0.01, ElementType = typeof(double))]
[WeightDecay(0.01, Exclude = new[] { "*.bias", "*norm*" })]
internal sealed partial class LambExcludeDouble;

[Optimizer(UpdateRule.Lars, LearningRate = 1.0)]
internal sealed partial class LarsSingle;

[Optimizer(UpdateRule.Lars, LearningRate = 1.0, ElementType = typeof(double))]
internal sealed partial class LarsDouble;

[Optimizer(UpdateRule.Lars, LearningRate = 0.5)]
[Momentum(0.8, Nesterov = true)]
[WeightDecay(0.001, Exclude = new[] { "*.bias", "*norm*" })]
[TrustRatio(Coefficient = 0.002, Epsilon = 1e-3)]
internal sealed partial class LarsNesterovSingle;

[Optimizer(UpdateRule.Lars, LearningRate = 0.5, ElementType = typeof(double))]
[Momentum(0.8, Nesterov = true)]
[WeightDecay(0.001, Exclude = new[] { "*.bias", "*norm*" })]
[TrustRatio(Coefficient = 0.002, Epsilon = 1e-3)]
internal sealed partial class LarsNesterovDouble;

/// <summary>
/// PyTorch 1.13 with <c>clip_grad_norm_</c> before every step, weight decay in a parameter group of the weights only,
/// a group at a tenth of the rate and a frozen tensor (Fixtures/PyTorchGroups): five tensors of odd sizes in one
/// <see cref="ParameterStore{T}"/>, 60 steps, clipping active on most of them, every element of every step compared.
/// </summary>
public sealed class ClipAndGroupsTrajectoryTests(ITestOutputHelper output)
{
    private const int Steps = 60;
    private const int Total = 528;

    // The fixture's tensors in model order: name, length, offset in the fixture's packed layout.
    private static readonly (string Name, int Length, int Offset)[] Tensors =
        [("layer1.weight", 150, 0), ("layer1.bias", 53, 150), ("norm.weight", 17, 203), ("layer2.weight", 301, 220), ("layer2.bias", 7, 521)];

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "PyTorchGroups");

    /// <summary>
    /// PyTorch's norm is its own reduction order's (per-tensor norms in the element type, then the norm of those), OptGen's
    /// the exact sum in double rounded once; the two differ by an ulp on some steps (checked below: at most 8), so the
    /// clipping coefficient and every later step can differ in the last bits, and parameters that cancel to near zero
    /// show it as many ulps. An element must be within a few ulps or within an absolute tolerance of the order of the
    /// element type's precision times the parameters' scale (about 1).
    /// </summary>
    private const long MaxUlps = 16;
    private const double AbsoluteToleranceSingle = 5e-7;
    private const double AbsoluteToleranceDouble = 2e-15;

    [Theory]
    [InlineData("AdamWClipExclude")]
    [InlineData("AdamL2ClipExclude")]
    [InlineData("SgdMomentumClip")]
    [InlineData("AdamWScaledAndFrozen")]
    [InlineData("AdamWClipNonFinite")]
    public void Store_trajectory_matches_PyTorch_in_float_and_double(string name)
    {
        int length = StoreLength<float>();
        Run<float>(name, name switch
        {
            "AdamL2ClipExclude" => new GroupsAdamL2Single(length),
            "SgdMomentumClip" => new GroupsSgdMomentumSingle(length),
            _ => new GroupsAdamWSingle(length),
        }, AbsoluteToleranceSingle, Ulps.Between);
        length = StoreLength<double>();
        Run<double>(name, name switch
        {
            "AdamL2ClipExclude" => new GroupsAdamL2Double(length),
            "SgdMomentumClip" => new GroupsSgdMomentumDouble(length),
            _ => new GroupsAdamWDouble(length),
        }, AbsoluteToleranceDouble, Ulps.Between);
    }

    /// <summary>
    /// LAMB against Optax's order written with torch ops (Fixtures/PyTorchGroups/generate_lamb.py): per tensor of a store,
    /// with weight decay excluded from biases and norms, and a plain span step as one tensor. The trust ratios come from
    /// norms in another order than torch's, so steps can differ in the last bits, as with clipping.
    /// </summary>
    [Theory]
    [InlineData("Default")]
    [InlineData("WeightDecayExclude")]
    [InlineData("OneTensor")]
    public void Lamb_trajectory_matches_the_reference(string name)
    {
        RunLamb<float>("Lamb" + name, AbsoluteToleranceSingle, Ulps.Between, length => name switch
        {
            "Default" => new LambSingle(length),
            _ => new LambExcludeSingle(length),
        });
        RunLamb<double>("Lamb" + name, AbsoluteToleranceDouble, Ulps.Between, length => name switch
        {
            "Default" => new LambDouble(length),
            _ => new LambExcludeDouble(length),
        });
    }

    /// <summary>LARS against Optax's order written with torch ops (generate_lamb.py): per tensor, plain and Nesterov with excluded weight decay.</summary>
    [Theory]
    [InlineData("Default")]
    [InlineData("NesterovWeightDecayExclude")]
    public void Lars_trajectory_matches_the_reference(string name)
    {
        RunLamb<float>("Lars" + name, AbsoluteToleranceSingle, Ulps.Between, length => name == "Default" ? new LarsSingle(length) : new LarsNesterovSingle(length));
        RunLamb<double>("Lars" + name, AbsoluteToleranceDouble, Ulps.Between, length => name == "Default" ? new LarsDouble(length) : new LarsNesterovDouble(length));
    }

    private void RunLamb<T>(string name, double absoluteTolerance, Func<T, T, long> ulps, Func<int, IOptimizer<T>> create)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double[] inputs = Read<double>("inputs.f64.bin");
        T[] expected = Read<T>($"{name}.{(typeof(T) == typeof(float) ? "f32" : "f64")}.bin");
        bool oneTensor = name == "LambOneTensor";
        ParameterStore<T> store = NewStore<T>();
        T[] span = new T[Total];
        IOptimizer<T> optimizer = create(oneTensor ? Total : store.Length);
        foreach ((string tensor, int length, int offset) in Tensors)
        {
            for (int i = 0; i < length; i++)
            {
                store.Parameter(tensor)[i] = span[offset + i] = T.CreateTruncating(inputs[offset + i]);
            }
        }

        long worst = 0;
        double worstAbsolute = 0;
        for (int step = 0; step < Steps; step++)
        {
            T[] gradients = Enumerable.Range(0, Total).Select(i => T.CreateTruncating(inputs[Total + (step * Total) + i])).ToArray();
            if (oneTensor)
            {
                // A plain step over a whole that has no tensor names: one tensor, weight decay everywhere.
                Assert.True(optimizer.Step(span, gradients));
            }
            else
            {
                foreach ((string tensor, int length, int offset) in Tensors)
                {
                    gradients.AsSpan(offset, length).CopyTo(store.Gradient(tensor));
                }

                Assert.True(optimizer.Step(store));
            }

            foreach ((string tensor, int length, int offset) in Tensors)
            {
                for (int i = 0; i < length; i++)
                {
                    T actual = oneTensor ? span[offset + i] : store.Parameter(tensor)[i];
                    T reference = expected[(step * Total) + offset + i];
                    long distance = ulps(actual, reference);
                    double absolute = Math.Abs(double.CreateTruncating(actual) - double.CreateTruncating(reference));
                    Assert.True(distance <= MaxUlps || absolute <= absoluteTolerance, $"{name} {typeof(T).Name} step {step + 1} {tensor}[{i}]: OptGen {actual}, reference {reference} ({distance} ulps, {absolute:E2} apart)");
                    worst = Math.Max(worst, distance);
                    worstAbsolute = Math.Max(worstAbsolute, absolute);
                }
            }
        }

        output.WriteLine($"{name} {typeof(T).Name}: worst {worst} ulps, worst absolute error {worstAbsolute:E2} over {Steps} steps × {Total} parameters.");
    }

    private static int StoreLength<T>()
        where T : unmanaged => NewStore<T>().Length;

    private static ParameterStore<T> NewStore<T>()
        where T : unmanaged => new(Tensors.Select(t => (t.Name, t.Length)));

    private void Run<T>(string name, IOptimizer<T> optimizer, double absoluteTolerance, Func<T, T, long> ulps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double[] inputs = Read<double>("inputs.f64.bin");
        string suffix = typeof(T) == typeof(float) ? "f32" : "f64";
        T[] expected = Read<T>($"{name}.{suffix}.bin");
        T[] expectedNorms = Read<T>($"{name}.norm.{suffix}.bin");
        Assert.Equal(Steps * Total, expected.Length);

        ParameterStore<T> store = NewStore<T>();
        if (name == "AdamWScaledAndFrozen")
        {
            store.SetLearningRateScale("layer1.weight", 0.1);
            store.SetLearningRateScale("norm.weight", 0);
        }

        foreach ((string tensor, int length, int offset) in Tensors)
        {
            for (int i = 0; i < length; i++)
            {
                store.Parameter(tensor)[i] = T.CreateTruncating(inputs[offset + i]);
            }
        }

        long worst = 0;
        double worstAbsolute = 0;
        int clipped = 0;
        var clip = (IGradientNormClipping)optimizer;
        for (int step = 0; step < Steps; step++)
        {
            foreach ((string tensor, int length, int offset) in Tensors)
            {
                for (int i = 0; i < length; i++)
                {
                    store.Gradient(tensor)[i] = T.CreateTruncating(inputs[Total + (step * Total) + offset + i]);
                }
            }

            if (name == "AdamWClipNonFinite" && step == 20)
            {
                store.Gradient("layer2.weight")[100] = T.NaN;
            }

            Assert.True(optimizer.Step(store));
            T norm = T.CreateTruncating(clip.LastGradientNorm);
            long normUlps = T.IsNaN(expectedNorms[step]) && T.IsNaN(norm) ? 0 : ulps(norm, expectedNorms[step]);
            Assert.True(normUlps <= 8, $"{name} step {step + 1}: norm {norm}, PyTorch {expectedNorms[step]} ({normUlps} ulps)");
            clipped += clip.LastGradientNorm > clip.MaxGradientNorm ? 1 : 0;
            foreach ((string tensor, int length, int offset) in Tensors)
            {
                ReadOnlySpan<T> actual = store.Parameter(tensor);
                for (int i = 0; i < length; i++)
                {
                    T reference = expected[(step * Total) + offset + i];
                    bool bothNaN = T.IsNaN(reference) && T.IsNaN(actual[i]);
                    long distance = bothNaN ? 0 : ulps(actual[i], reference);
                    double absolute = bothNaN ? 0 : Math.Abs(double.CreateTruncating(actual[i]) - double.CreateTruncating(reference));
                    Assert.True(distance <= MaxUlps || absolute <= absoluteTolerance, $"{name} {typeof(T).Name} step {step + 1} {tensor}[{i}]: OptGen {actual[i]}, PyTorch {reference} ({distance} ulps, {absolute:E2} apart)");
                    worst = Math.Max(worst, distance);
                    worstAbsolute = Math.Max(worstAbsolute, double.IsNaN(absolute) ? double.PositiveInfinity : absolute);
                }
            }
        }

        Assert.InRange(clipped, 40, 55);
        output.WriteLine($"{name} {typeof(T).Name}: clipping active on {clipped} of {Steps} steps; worst {worst} ulps, worst absolute error {worstAbsolute:E2} over {Steps} steps × {Total} parameters.");
    }

    private static T[] Read<T>(string file)
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(Path.Combine(Folder, file))).ToArray();
}
