using OptGen.Generator.Model;
using static OptGen.Generator.Ir.RuleBuilder;

namespace OptGen.Generator.Ir;

/// <summary>
/// The presets: each update rule written as an IR program that follows PyTorch 1.13's single-tensor CPU implementation
/// operation for operation, including where its kernels fuse a multiply-add and where they divide, so float and double
/// results agree with PyTorch to the last bit. Options only add or change statements; lowering to SIMD is the shared
/// emitter's job.
/// </summary>
internal static class RuleLibrary
{
    public static RuleProgram Lower(Hyperparameters h)
    {
        var rule = new RuleBuilder();
        Expr one = Constant("one", 1);
        Expr learningRate = LearningRate;
        if (h.Rule == UpdateRule.AdaGrad && h.LearningRateDecay != 0)
        {
            // PyTorch: clr = lr / (1 + (step - 1) * lr_decay)
            learningRate = rule.Scalar(
                "decayedLearningRate",
                learningRate / (one + ((Step - one) * Constant("learningRateDecay", h.LearningRateDecay))));
        }

        Expr gradient = rule.Let("g", h.Maximize ? -Expr.Load(RuleProgram.GradientsStream) : Expr.Load(RuleProgram.GradientsStream));
        Expr parameter = rule.Let("p", Expr.Load(RuleProgram.ParametersStream));

        if (h.WeightDecay != 0)
        {
            if (h.DecoupledWeightDecay)
            {
                // AdamW: p ← p·(1 − lr·λ), before the rule's own update.
                Expr decay = rule.Scalar("weightDecayFactor", one - (learningRate * Constant("weightDecay", h.WeightDecay)));
                parameter = rule.Let("p", parameter * decay);
            }
            else
            {
                // L2: g ← g + λ·p
                gradient = rule.Let("g", Expr.MultiplyAdd(parameter, Constant("weightDecay", h.WeightDecay), gradient));
            }
        }

        string title;
        switch (h.Rule)
        {
            case UpdateRule.Sgd:
                title = h.Momentum == 0 ? "SGD" : h.Nesterov ? "SGD with Nesterov momentum" : "SGD with momentum";
                parameter = Sgd(rule, h, gradient, parameter, learningRate);
                break;
            case UpdateRule.AdaGrad:
                title = "AdaGrad";
                parameter = AdaGrad(rule, h, gradient, parameter, learningRate);
                break;
            case UpdateRule.RMSprop:
                title = (h.Centered ? "centered RMSprop" : "RMSprop") + (h.Momentum != 0 ? " with momentum" : string.Empty);
                parameter = RmsProp(rule, h, gradient, parameter, learningRate);
                break;
            default:
                title = (h.DecoupledWeightDecay && h.WeightDecay != 0 ? "AdamW" : "Adam") + (h.AmsGrad ? " (AMSGrad)" : string.Empty);
                parameter = Adam(rule, h, gradient, parameter, learningRate);
                break;
        }

        rule.Store(RuleProgram.ParametersStream, rule.Let("p", parameter));
        return rule.Build(title);
    }

    private static Expr Sgd(RuleBuilder rule, Hyperparameters h, Expr gradient, Expr parameter, Expr learningRate)
    {
        Expr direction = gradient;
        if (h.Momentum != 0)
        {
            Expr momentum = Constant("momentum", h.Momentum);

            // PyTorch sets the buffer to the gradient on the first step (b ← g·1 + b·0) and ignores dampening there.
            Expr bufferDecay = rule.Scalar("bufferDecay", Expr.FirstStepSelect(Constant("zero", 0), momentum));
            Expr buffer = rule.State("momentumBuffer", "momentum_buffer", "Momentum buffer b.");
            buffer = rule.Let(
                "b",
                h.Dampening == 0
                    ? gradient + (buffer * bufferDecay) // = fma(g, 1, b·decay), PyTorch's add_(g, alpha=1)
                    : Expr.MultiplyAdd(
                        gradient,
                        rule.Scalar("gradientScale", Expr.FirstStepSelect(Constant("one", 1), Constant("oneMinusDampening", 1 - h.Dampening))),
                        buffer * bufferDecay));
            rule.Store("momentumBuffer", buffer);
            direction = h.Nesterov ? rule.Let("g", Expr.MultiplyAdd(buffer, momentum, gradient)) : buffer;
        }

        return Expr.MultiplyAdd(direction, rule.Scalar("negativeLearningRate", -learningRate), parameter);
    }

    private static Expr AdaGrad(RuleBuilder rule, Hyperparameters h, Expr gradient, Expr parameter, Expr learningRate)
    {
        Expr sum = rule.Let("accumulated", Expr.MultiplyAdd(gradient, gradient, rule.State("sum", "sum", "Sum of squared gradients.", h.InitialAccumulator)));
        rule.Store("sum", sum);
        Expr denominator = rule.Let("denominator", RootPlusEpsilon(h, sum));
        return parameter + ((rule.Scalar("negativeLearningRate", -learningRate) * gradient) / denominator);
    }

    private static Expr RmsProp(RuleBuilder rule, Hyperparameters h, Expr gradient, Expr parameter, Expr learningRate)
    {
        Expr alpha = Constant("alpha", h.Beta2);
        Expr oneMinusAlpha = Constant("oneMinusAlpha", 1 - h.Beta2);
        Expr squareAverage = rule.Let(
            "squareAverage",
            Expr.MultiplyAdd(oneMinusAlpha * gradient, gradient, rule.State("squareAvg", "square_avg", "Moving average of squared gradients.") * alpha));
        rule.Store("squareAvg", squareAverage);

        Expr variance = squareAverage;
        if (h.Centered)
        {
            Expr gradientAverage = rule.Let(
                "gradientAverage",
                Expr.MultiplyAdd(gradient, oneMinusAlpha, rule.State("gradAvg", "grad_avg", "Moving average of gradients.") * alpha));
            rule.Store("gradAvg", gradientAverage);
            variance = rule.Let("variance", Expr.MultiplyAdd(-gradientAverage, gradientAverage, squareAverage));
        }

        Expr denominator = rule.Let("denominator", RootPlusEpsilon(h, variance));
        Expr negativeLearningRate = rule.Scalar("negativeLearningRate", -learningRate);
        if (h.Momentum == 0)
        {
            return parameter + ((negativeLearningRate * gradient) / denominator);
        }

        Expr buffer = rule.Let(
            "b",
            (rule.State("momentumBuffer", "momentum_buffer", "Momentum buffer b.") * Constant("momentum", h.Momentum)) + (gradient / denominator));
        rule.Store("momentumBuffer", buffer);
        return Expr.MultiplyAdd(buffer, negativeLearningRate, parameter);
    }

    private static Expr Adam(RuleBuilder rule, Hyperparameters h, Expr gradient, Expr parameter, Expr learningRate)
    {
        Expr m = rule.Let(
            "m",
            Expr.MultiplyAdd(gradient, Constant("oneMinusBeta1", 1 - h.Beta1), rule.State("expAvg", "exp_avg", "First moment m.") * Constant("beta1", h.Beta1)));
        rule.Store("expAvg", m);
        Expr v = rule.Let(
            "v",
            Expr.MultiplyAdd(Constant("oneMinusBeta2", 1 - h.Beta2) * gradient, gradient, rule.State("expAvgSq", "exp_avg_sq", "Second moment v.") * Constant("beta2", h.Beta2)));
        rule.Store("expAvgSq", v);
        if (h.AmsGrad)
        {
            v = rule.Let("vMax", Expr.Maximum(rule.State("maxExpAvgSq", "max_exp_avg_sq", "Running maximum of v (AMSGrad)."), v));
            rule.Store("maxExpAvgSq", v);
        }

        Expr epsilon = Constant("epsilon", h.Epsilon);
        Expr negativeStepSize;
        Expr denominator;
        if (!h.BiasCorrection)
        {
            negativeStepSize = rule.Scalar("negativeStepSize", -learningRate);
            denominator = h.EpsilonPlacement == EpsilonPlacement.OutsideSquareRoot
                ? Expr.SquareRoot(v) + epsilon
                : Expr.SquareRoot(v + epsilon);
        }
        else
        {
            // PyTorch: step_size = lr / (1 − β₁ᵗ); denom = √v / √(1 − β₂ᵗ) + ε, the corrections computed once per step.
            Expr one = Constant("one", 1);
            Expr biasCorrection1 = rule.Scalar("biasCorrection1", one - Expr.Power(Constant("beta1", h.Beta1), Step));
            Expr biasCorrection2 = rule.Scalar("biasCorrection2", one - Expr.Power(Constant("beta2", h.Beta2), Step));
            negativeStepSize = rule.Scalar("negativeStepSize", -(learningRate / biasCorrection1));
            denominator = h.EpsilonPlacement == EpsilonPlacement.OutsideSquareRoot
                ? (Expr.SquareRoot(v) / rule.Scalar("biasCorrection2Sqrt", Expr.SquareRoot(biasCorrection2))) + epsilon
                : Expr.SquareRoot((v / biasCorrection2) + epsilon);
        }

        Expr denominatorLocal = rule.Let("denominator", denominator);
        return parameter + ((negativeStepSize * m) / denominatorLocal);
    }

    private static Expr RootPlusEpsilon(Hyperparameters h, Expr x)
    {
        Expr epsilon = Constant("epsilon", h.Epsilon);
        return h.EpsilonPlacement == EpsilonPlacement.OutsideSquareRoot
            ? Expr.SquareRoot(x) + epsilon
            : Expr.SquareRoot(x + epsilon);
    }
}
