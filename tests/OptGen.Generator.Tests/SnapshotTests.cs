using System;

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
    public void Adamax_WeightDecayMaximize_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adamax, Maximize = true)]
        [WeightDecay(0.01)]
        public partial class AdamaxOptimizer;
        """);

    [Fact]
    public void Adadelta_Default_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adadelta, ElementType = typeof(double))]
        public partial class AdadeltaOptimizer;
        """);

    [Fact]
    public void NAdam_DecoupledWeightDecay_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.NAdam)]
        [MomentumDecay(4e-3)]
        [WeightDecay(0.01, Decoupled = true)]
        public partial class NAdamOptimizer;
        """);

    [Fact]
    public void RAdam_Default_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.RAdam)]
        public partial class RAdamOptimizer;
        """);

    [Fact]
    public void Asgd_AveragingWeightDecay_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Asgd, ElementType = typeof(double))]
        [Averaging(Lambda = 1e-3, Power = 0.5, StartStep = 100)]
        [WeightDecay(1e-2)]
        public partial class AveragedSgd;
        """);

    [Fact]
    public void Rprop_StepSizeAdaptationMaximize_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Rprop, Maximize = true)]
        [StepSizeAdaptation(Decrease = 0.4, Increase = 1.3, Minimum = 1e-5, Maximum = 1)]
        public partial class ResilientBackprop;
        """);

    [Fact]
    public void Lion_WeightDecayMaximize_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Lion, Maximize = true)]
        [WeightDecay(0.1)]
        public partial class LionOptimizer;
        """);

    [Fact]
    public void ElementRule_LionWithDecoupledWeightDecayAndCosine_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(LearningRate = 3e-3, Maximize = true)]
        [WeightDecay(0.1, Decoupled = true)]
        [CosineDecay(TotalSteps = 10_000)]
        public partial class MyLion
        {
            const float Beta1 = 0.9f, Beta2 = 0.99f;

            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float expAvg, StepContext step)
            {
                float c = expAvg * Beta1 + gradient * (1 - Beta1);
                float sign = c > 0 ? 1f : c < 0 ? -1f : 0f;
                parameter -= (float)step.LearningRate * sign;
                expAvg = expAvg * Beta2 + gradient * (1 - Beta2);
            }
        }
        """);

    [Fact]
    public void ElementRule_StepAndElementBranches_Double() => Verify(
        """
        using System;
        using OptGen;

        namespace Demo;

        [Optimizer]
        public partial class Rectified
        {
            const double Beta2 = 0.999;
            const double RhoInfinity = 2 / (1 - Beta2) - 1;

            [ElementRule]
            static void Update(ref double parameter, double gradient, [InitialValue(1)] ref double expAvgSq, StepContext step)
            {
                expAvgSq = expAvgSq * Beta2 + (1 - Beta2) * gradient * gradient;
                double beta2t = Math.Pow(Beta2, step.Number);
                double rho = RhoInfinity - 2 * step.Number * beta2t / (1 - beta2t);
                double update = gradient;
                if (rho > 5)
                {
                    update /= Math.Sqrt(expAvgSq / (1 - beta2t)) + 1e-8;
                }

                if (update > 1 || !(update >= -1))
                {
                    update = Math.Clamp(update, -1.0, 1.0);
                }

                parameter -= step.LearningRate * update;
            }
        }
        """);

    [Fact]
    public void FastMath_AdamWeightDecay_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam, LearningRate = 1e-3)]
        [WeightDecay(0.01)]
        [FastMath]
        public partial class FastAdam;
        """);

    [Fact]
    public void MixedPrecision_Bf16MasterWeights8Bit_AdamW() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.AdamW, LearningRate = 1e-3, ElementType = typeof(BFloat16))]
        [MasterWeights]
        [StateStorage(StateStorage.Blockwise8Bit)]
        public partial class Bf16AdamW;
        """);

    [Fact]
    public void MixedPrecision_HalfBf16State_RMSpropCentered() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.RMSprop, LearningRate = 1e-3, ElementType = typeof(System.Half))]
        [Centered]
        [Momentum(0.9)]
        [StateStorage(StateStorage.BFloat16)]
        public partial class HalfRmsProp;
        """);

    [Fact]
    public void Transforms_AdamWClipExclude_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.AdamW, LearningRate = 1e-3)]
        [WeightDecay(0.05, Decoupled = true, Exclude = new[] { "*.bias", "*norm*" })]
        [ClipGradientNorm(1.0)]
        public partial class TransformerAdamW;
        """);

    [Fact]
    public void Lamb_WeightDecayExcludeClip_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Lamb, LearningRate = 1e-2)]
        [WeightDecay(0.01, Exclude = new[] { "*.bias" })]
        [ClipGradientNorm(1.0)]
        public partial class MyLamb;
        """);

    [Fact]
    public void Lars_NesterovTrustRatio_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Lars, LearningRate = 0.5, ElementType = typeof(double))]
        [Momentum(0.8, Nesterov = true)]
        [WeightDecay(0.001)]
        [TrustRatio(Coefficient = 0.002, Epsilon = 1e-3)]
        public partial class MyLars;
        """);

    [Fact]
    public void Transforms_AdamL2Exclude_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam, LearningRate = 1e-2, ElementType = typeof(double))]
        [WeightDecay(0.01, Exclude = new[] { "*.bias" })]
        public partial class GroupedAdam;
        """);

    [Fact]
    public void ElementRule_BeforeStepExpLogLerp_Single() => Verify(
        """
        using System;
        using OptGen;

        namespace Demo;

        [Optimizer(LearningRate = 0.01)]
        public partial class Exponentiated
        {
            [BeforeStep]
            static void Advance([InitialValue(1)] ref double weightSum, StepContext step)
            {
                weightSum += step.LearningRate * step.LearningRate;
            }

            [ElementRule]
            static void Update(ref float parameter, float gradient, ref float expAvg, double weightSum, StepContext step)
            {
                expAvg = RuleMath.Lerp(expAvg, gradient, 0.1f);
                float scale = (float)(step.LearningRate / weightSum);
                parameter *= MathF.Exp(-scale * expAvg) + MathF.Log(1 + MathF.Abs(gradient)) * 0.01f;
            }
        }
        """);

    [Fact]
    public void ScheduleFreeAdamW_WarmupPowerWeightDecay_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.ScheduleFreeAdamW, ElementType = typeof(double))]
        [ScheduleFree(WarmupSteps = 10, R = 1, WeightLearningRatePower = 1.5)]
        [WeightDecay(0.01)]
        public partial class ScheduleFreeOptimizer;
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
    public void NonFiniteGradients_SkipStep_Adam() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam)]
        [NonFiniteGradients(NonFiniteGradientPolicy.SkipStep)]
        public partial class MixedPrecisionAdam;
        """);

    [Fact]
    public void GlobalNamespace() => Verify(
        """
        [OptGen.Optimizer(OptGen.UpdateRule.RMSprop, LearningRate = 1e-3)]
        internal sealed partial class GlobalRmsProp;
        """);

    [Fact]
    public void Schedule_StepDecay_Sgd() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]
        [Momentum(0.9)]
        [StepDecay(StepSize = 30, Gamma = 0.5)]
        public partial class SgdStepDecay;
        """);

    [Fact]
    public void Schedule_MultiStepDecay_Sgd() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]
        [MultiStepDecay(Milestones = new[] { 30, 80, 120 })]
        public partial class SgdMultiStep;
        """);

    [Fact]
    public void Schedule_ExponentialDecay_Adam() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam)]
        [ExponentialDecay(Gamma = 0.95)]
        public partial class AdamExponential;
        """);

    [Fact]
    public void Schedule_ExponentialDecayStaircase_Adam() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam)]
        [ExponentialDecay(Gamma = 0.96, DecaySteps = 1000, Staircase = true)]
        public partial class AdamExponentialStaircase;
        """);

    [Fact]
    public void Schedule_PolynomialDecayEndRate_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.1, ElementType = typeof(double))]
        [PolynomialDecay(TotalSteps = 100, Power = 2, EndLearningRate = 1e-4)]
        public partial class SgdPolynomial;
        """);

    [Fact]
    public void Schedule_CosineDecayMinRate_AdamW() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.AdamW)]
        [CosineDecay(TotalSteps = 1000, MinLearningRate = 1e-5)]
        public partial class AdamWCosine;
        """);

    [Fact]
    public void Schedule_CosineWarmRestarts_Double() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.05, ElementType = typeof(double))]
        [Momentum(0.9)]
        [CosineWarmRestarts(FirstPeriod = 10, PeriodMultiplier = 2, MinLearningRate = 1e-4)]
        public partial class SgdWarmRestarts;
        """);

    [Fact]
    public void Schedule_OneCycleLinearThreePhase_Sgd() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]
        [Momentum(0.9)]
        [OneCycle(TotalSteps = 1000, WarmupFraction = 0.25, Anneal = AnnealStrategy.Linear, ThreePhase = true)]
        public partial class SgdOneCycle;
        """);

    [Fact]
    public void Schedule_InverseSquareRootDecay_Adam() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Adam, LearningRate = 5e-4)]
        [InverseSquareRootDecay(WarmupSteps = 4000)]
        public partial class AdamInverseSqrt;
        """);

    [Fact]
    public void Schedule_LinearWarmup_RMSprop() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.RMSprop)]
        [LinearWarmup(Steps = 100, StartFactor = 0.01)]
        public partial class RmsPropWarmup;
        """);

    [Fact]
    public void Schedule_LinearWarmupCosineDecay_AdamW() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.AdamW, LearningRate = 3e-4)]
        [LinearWarmup(Steps = 500, StartFactor = 0.1)]
        [CosineDecay(TotalSteps = 9500)]
        public partial class AdamWWarmupCosine;
        """);

    [Fact]
    public void Schedule_ReduceOnPlateauMaximizeAbsolute_Sgd() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.Sgd, LearningRate = 0.1)]
        [ReduceOnPlateau(Mode = PlateauMode.Maximize, ThresholdMode = PlateauThresholdMode.Absolute, Factor = 0.5, Patience = 3, Threshold = 0.01, Cooldown = 2, MinLearningRate = 1e-5)]
        public partial class SgdPlateau;
        """);

    [Fact]
    public void AdaGrad_LrDecayStepDecay_Single() => Verify(
        """
        using OptGen;

        namespace Demo;

        [Optimizer(UpdateRule.AdaGrad)]
        [LearningRateDecay(1e-3)]
        [StepDecay(StepSize = 100, Gamma = 0.5)]
        public partial class AdaGradStepDecay;
        """);

    [Fact]
    public void Generated_code_is_stamped_with_the_generator_assemblys_version_which_snapshots_scrub()
    {
        string version = typeof(OptGen.Generator.OptimizerGenerator).Assembly.GetName().Version!.ToString();
        string source = GeneratorHarness.RunClean("[OptGen.Optimizer(OptGen.UpdateRule.Adam)] public partial class A;").SingleSource;
        string stamp = $"[global::System.CodeDom.Compiler.GeneratedCode(\"OptGen.Generator\", \"{version}\")]";
        Assert.Contains(stamp, source, StringComparison.Ordinal);
        Assert.DoesNotContain(version, Snapshot.ScrubVersion(source), StringComparison.Ordinal);
    }

    private static void Verify(string source, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        GeneratorRun run = GeneratorHarness.RunClean(source);
        Snapshot.Match(run.SingleSource, name);
    }
}
