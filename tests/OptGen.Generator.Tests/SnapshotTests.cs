namespace OptGen.Generator.Tests;

/// <summary>
/// The generated source of every preset and several option combinations, compared with Snapshots/*.verified.cs. Each
/// also compiles without warnings, so a snapshot is always code that builds. Accept changes with
/// <c>OPTGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/OptGen.Generator.Tests</c>.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void Sgd_Default_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd)]
        public partial class SgdOptimizer;
        """);

    [Fact]
    public void Sgd_NesterovWeightDecay_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]
        [Momentum(0.9, Nesterov = true)]
        [WeightDecay(5e-4)]
        public partial class SgdNesterov;
        """);

    [Fact]
    public void Sgd_MomentumDampening_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.05, ElementType = typeof(double))]
        [Momentum(0.9, Dampening = 0.1)]
        public partial class SgdDampened;
        """);

    [Fact]
    public void AdaGrad_Default_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.AdaGrad)]
        public partial class AdaGradOptimizer;
        """);

    [Fact]
    public void AdaGrad_LrDecayInitialAccumulatorEpsilonInside_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.AdaGrad, ElementType = typeof(double))]
        [LearningRateDecay(1e-3)]
        [InitialAccumulator(0.1)]
        [Epsilon(1e-10, Placement = EpsilonPlacement.InsideSquareRoot)]
        public partial class AdaGradDecayed;
        """);

    [Fact]
    public void RMSprop_Default_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.RMSprop)]
        public partial class RmsPropOptimizer;
        """);

    [Fact]
    public void RMSprop_CenteredMomentum_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.RMSprop, ElementType = typeof(double))]
        [Centered]
        [Momentum(0.9)]
        public partial class RmsPropCentered;
        """);

    [Fact]
    public void Adam_Default_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam)]
        public partial class AdamOptimizer;
        """);

    [Fact]
    public void Adam_Default_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam, ElementType = typeof(double))]
        public partial class AdamDouble;
        """);

    [Fact]
    public void Adam_AmsGradMaximizeCoupledWeightDecay_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam, LearningRate = 3e-4, ElementType = typeof(double), Maximize = true)]
        [AmsGrad]
        [WeightDecay(1e-2)]
        public partial class AdamAmsGrad;
        """);

    [Fact]
    public void AdamW_Default_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.AdamW)]
        public partial class AdamWOptimizer;
        """);

    [Fact]
    public void Adam_NoBiasCorrectionDecoupledEpsilonInside_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam)]
        [BiasCorrection(false)]
        [WeightDecay(0.05, Decoupled = true)]
        [MomentDecay(First = 0.8, Second = 0.99)]
        [Epsilon(1e-7, Placement = EpsilonPlacement.InsideSquareRoot)]
        public partial class AdamPlain;
        """);

    [Fact]
    public void NestedInPartialClassInNamespace() => Verify(
        """
        using OptGen;

        namespace Demo.Training
        {
            public static partial class Optimizers
            {
                internal sealed partial class Inner
                {
                    [Optimizer(UpdateRule.Sgd, LearningRate = 0.01)]
                    [Momentum(0.5)]
                    public partial class NestedSgd
                    {
                        public override string ToString() => nameof(NestedSgd);
                    }
                }
            }
        }
        """);

    [Fact]
    public void GlobalNamespace() => Verify(
        """
        [OptGen.Optimizer(OptGen.UpdateRule.RMSprop, LearningRate = 1e-3)]
        internal sealed partial class GlobalRmsProp;
        """);

    private static void Verify(string source, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        GeneratorRun run = GeneratorHarness.RunClean(source);
        Snapshot.Match(run.SingleSource, name);
    }
}
