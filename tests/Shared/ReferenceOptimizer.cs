using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace OptGen.Tests.Reference;

/// <summary>
/// The hyperparameters of one <see cref="ReferenceOptimizer"/>: every option of every rule, in double precision.
/// Options that do not apply to <see cref="Rule"/> are ignored by <see cref="ReferenceOptimizer"/> and left out of
/// <see cref="ToAttributes"/>.
/// </summary>
/// <param name="Rule">The update rule.</param>
/// <param name="LearningRate">PyTorch's <c>lr</c>, constant over all steps.</param>
/// <param name="Beta1">Adam/AdamW: PyTorch's <c>betas[0]</c>. Ignored by the other rules.</param>
/// <param name="Beta2">Adam/AdamW: PyTorch's <c>betas[1]</c>; RMSprop: PyTorch's <c>alpha</c>. Ignored by SGD and AdaGrad.</param>
/// <param name="Epsilon">PyTorch's <c>eps</c>. Ignored by SGD.</param>
/// <param name="EpsilonInsideSquareRoot">
/// OptGen extension: <c>√(v + ε)</c> instead of PyTorch's <c>√v + ε</c>. Ignored by SGD.
/// </param>
/// <param name="BiasCorrection">
/// Adam/AdamW: divide the moments by <c>1 − βᵗ</c> (PyTorch always does). When false both bias corrections are 1.
/// Ignored by the other rules.
/// </param>
/// <param name="WeightDecay">PyTorch's <c>weight_decay</c> (λ).</param>
/// <param name="DecoupledWeightDecay">
/// True: <c>p ← p·(1 − lrₜ·λ)</c> before the rule's update, as PyTorch's AdamW (an OptGen extension for the other rules).
/// False: L2 regularisation <c>g ← g + λ·p</c>, as PyTorch's SGD, Adagrad, RMSprop and Adam.
/// </param>
/// <param name="Momentum">SGD and RMSprop: PyTorch's <c>momentum</c>. Ignored by the other rules.</param>
/// <param name="Dampening">SGD: PyTorch's <c>dampening</c>. Ignored by the other rules.</param>
/// <param name="Nesterov">SGD: PyTorch's <c>nesterov</c>. Ignored by the other rules.</param>
/// <param name="AmsGrad">Adam/AdamW: PyTorch's <c>amsgrad</c>. Ignored by the other rules.</param>
/// <param name="Centered">RMSprop: PyTorch's <c>centered</c>. Ignored by the other rules.</param>
/// <param name="LearningRateDecay">AdaGrad: PyTorch's <c>lr_decay</c>. Ignored by the other rules.</param>
/// <param name="InitialAccumulator">AdaGrad: PyTorch's <c>initial_accumulator_value</c>. Ignored by the other rules.</param>
/// <param name="Maximize">PyTorch's <c>maximize</c>: the gradient is negated before anything else.</param>
public sealed record ReferenceHyperparameters(
    UpdateRule Rule,
    double LearningRate,
    double Beta1,
    double Beta2,
    double Epsilon,
    bool EpsilonInsideSquareRoot,
    bool BiasCorrection,
    double WeightDecay,
    bool DecoupledWeightDecay,
    double Momentum,
    double Dampening,
    bool Nesterov,
    bool AmsGrad,
    bool Centered,
    double LearningRateDecay,
    double InitialAccumulator,
    bool Maximize)
{
    /// <summary>
    /// PyTorch 1.13's defaults for <paramref name="rule"/>: Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8; AdamW the same
    /// plus decoupled weight decay 0.01; RMSprop lr 1e-2, alpha (<see cref="Beta2"/>) 0.99, eps 1e-8; Adagrad lr 1e-2,
    /// eps 1e-10; SGD lr 1e-3 (PyTorch has no SGD default; 1e-3 is OptGen's). Everything else is zero or false, except
    /// <see cref="BiasCorrection"/>, which is true.
    /// </summary>
    /// <param name="rule">The update rule.</param>
    /// <returns>The default hyperparameters.</returns>
    public static ReferenceHyperparameters Defaults(UpdateRule rule)
    {
        ReferenceHyperparameters zero = new(
            rule, LearningRate: 0, Beta1: 0, Beta2: 0, Epsilon: 0, EpsilonInsideSquareRoot: false, BiasCorrection: true,
            WeightDecay: 0, DecoupledWeightDecay: false, Momentum: 0, Dampening: 0, Nesterov: false, AmsGrad: false,
            Centered: false, LearningRateDecay: 0, InitialAccumulator: 0, Maximize: false);

        return rule switch
        {
            UpdateRule.Sgd => zero with { LearningRate = 1e-3 },
            UpdateRule.AdaGrad => zero with { LearningRate = 1e-2, Epsilon = 1e-10 },
            UpdateRule.RMSprop => zero with { LearningRate = 1e-2, Beta2 = 0.99, Epsilon = 1e-8 },
            UpdateRule.Adam => zero with { LearningRate = 1e-3, Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8 },
            UpdateRule.AdamW => zero with
            {
                LearningRate = 1e-3, Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, WeightDecay = 0.01, DecoupledWeightDecay = true,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown update rule."),
        };
    }

    /// <summary>
    /// Random valid hyperparameters for <paramref name="rule"/>, for property tests. Only the options that apply to the
    /// rule are drawn; the others keep their <see cref="Defaults"/>.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>learning rate: log-uniform in [1e-4, 1e-1];</item>
    /// <item>betas (Adam/AdamW) and alpha (RMSprop): uniform in [0, 0.999];</item>
    /// <item>epsilon: log-uniform in [1e-10, 1e-3], placed inside or outside the square root at random (not SGD);</item>
    /// <item>weight decay: 0 or log-uniform in [1e-4, 0.1], coupled or decoupled at random (AdamW: always decoupled);</item>
    /// <item>momentum (SGD, RMSprop): 0 or uniform in [0.1, 0.99];</item>
    /// <item>SGD: Nesterov at random when momentum &gt; 0, and then dampening 0; otherwise dampening 0 or uniform in [0, 0.5];</item>
    /// <item>Adam/AdamW: bias correction and AMSGrad at random; RMSprop: centered at random;</item>
    /// <item>AdaGrad: learning-rate decay 0 or log-uniform in [1e-4, 0.1], initial accumulator 0 or uniform in [0, 1];</item>
    /// <item>maximize: at random.</item>
    /// </list>
    /// </remarks>
    /// <param name="rule">The update rule.</param>
    /// <param name="random">The source of randomness.</param>
    /// <returns>The drawn hyperparameters.</returns>
    public static ReferenceHyperparameters Random(UpdateRule rule, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);

        ReferenceHyperparameters h = Defaults(rule) with
        {
            LearningRate = LogUniform(random, 1e-4, 1e-1),
            Maximize = Coin(random),
        };

        if (rule != UpdateRule.Sgd)
        {
            h = h with
            {
                Epsilon = LogUniform(random, 1e-10, 1e-3),
                EpsilonInsideSquareRoot = Coin(random),
            };
        }

        bool hasWeightDecay = Coin(random);
        h = h with
        {
            WeightDecay = hasWeightDecay ? LogUniform(random, 1e-4, 0.1) : 0,
            DecoupledWeightDecay = rule == UpdateRule.AdamW || Coin(random),
        };

        switch (rule)
        {
            case UpdateRule.Sgd:
            {
                double momentum = Coin(random) ? Uniform(random, 0.1, 0.99) : 0;
                bool nesterov = momentum > 0 && Coin(random);
                double dampening = !nesterov && Coin(random) ? Uniform(random, 0, 0.5) : 0;
                h = h with { Momentum = momentum, Nesterov = nesterov, Dampening = dampening };
                break;
            }

            case UpdateRule.AdaGrad:
                h = h with
                {
                    LearningRateDecay = Coin(random) ? LogUniform(random, 1e-4, 0.1) : 0,
                    InitialAccumulator = Coin(random) ? Uniform(random, 0, 1) : 0,
                };
                break;

            case UpdateRule.RMSprop:
                h = h with
                {
                    Beta2 = Uniform(random, 0, 0.999),
                    Momentum = Coin(random) ? Uniform(random, 0.1, 0.99) : 0,
                    Centered = Coin(random),
                };
                break;

            case UpdateRule.Adam:
            case UpdateRule.AdamW:
                h = h with
                {
                    Beta1 = Uniform(random, 0, 0.999),
                    Beta2 = Uniform(random, 0, 0.999),
                    BiasCorrection = Coin(random),
                    AmsGrad = Coin(random),
                };
                break;

            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown update rule.");
        }

        return h;
    }

    /// <summary>
    /// The C# attribute list that declares exactly these hyperparameters on an OptGen optimizer class, for example
    /// <c>[Optimizer(UpdateRule.Adam, LearningRate = 0.001)] [MomentDecay(First = 0.9, Second = 0.999)] [Epsilon(1E-08)] ...</c>.
    /// </summary>
    /// <remarks>
    /// Every attribute that applies to <see cref="Rule"/> is emitted, even at its default value, so that the declaration
    /// does not depend on the generator's defaults; named arguments are emitted only when they differ from the
    /// property's C# default, except <c>WeightDecay.Decoupled</c>, whose default depends on the rule and is always
    /// written. Doubles are written with the invariant culture in round-trip form (a valid C# literal).
    /// </remarks>
    /// <param name="elementType"><c>"float"</c> or <c>"double"</c>; the latter adds <c>ElementType = typeof(double)</c>.</param>
    /// <returns>The attributes, separated by single spaces.</returns>
    public string ToAttributes(string elementType)
    {
        ArgumentNullException.ThrowIfNull(elementType);
        if (elementType != "float" && elementType != "double")
        {
            throw new ArgumentException("The element type must be \"float\" or \"double\".", nameof(elementType));
        }

        List<string> attributes = [];

        StringBuilder optimizer = new();
        optimizer.Append("[Optimizer(UpdateRule.").Append(RuleName(Rule));
        optimizer.Append(", LearningRate = ").Append(Literal(LearningRate));
        if (elementType == "double")
        {
            optimizer.Append(", ElementType = typeof(double)");
        }

        if (Maximize)
        {
            optimizer.Append(", Maximize = true");
        }

        optimizer.Append(")]");
        attributes.Add(optimizer.ToString());

        switch (Rule)
        {
            case UpdateRule.Sgd:
            {
                StringBuilder momentum = new();
                momentum.Append("[Momentum(").Append(Literal(Momentum));
                if (Dampening != 0)
                {
                    momentum.Append(", Dampening = ").Append(Literal(Dampening));
                }

                if (Nesterov)
                {
                    momentum.Append(", Nesterov = true");
                }

                momentum.Append(")]");
                attributes.Add(momentum.ToString());
                attributes.Add(WeightDecayAttributeText());
                break;
            }

            case UpdateRule.AdaGrad:
                attributes.Add(EpsilonAttributeText());
                attributes.Add(WeightDecayAttributeText());
                attributes.Add("[LearningRateDecay(" + Literal(LearningRateDecay) + ")]");
                attributes.Add("[InitialAccumulator(" + Literal(InitialAccumulator) + ")]");
                break;

            case UpdateRule.RMSprop:
                attributes.Add("[MomentDecay(Second = " + Literal(Beta2) + ")]");
                attributes.Add(EpsilonAttributeText());
                attributes.Add(WeightDecayAttributeText());
                attributes.Add("[Momentum(" + Literal(Momentum) + ")]");
                attributes.Add("[Centered(" + BoolLiteral(Centered) + ")]");
                break;

            case UpdateRule.Adam:
            case UpdateRule.AdamW:
                attributes.Add("[MomentDecay(First = " + Literal(Beta1) + ", Second = " + Literal(Beta2) + ")]");
                attributes.Add(EpsilonAttributeText());
                attributes.Add("[BiasCorrection(" + BoolLiteral(BiasCorrection) + ")]");
                attributes.Add(WeightDecayAttributeText());
                attributes.Add("[AmsGrad(" + BoolLiteral(AmsGrad) + ")]");
                break;

            default:
                throw new InvalidOperationException("Unknown update rule " + Rule.ToString() + ".");
        }

        return string.Join(" ", attributes);
    }

    private string EpsilonAttributeText() =>
        EpsilonInsideSquareRoot
            ? "[Epsilon(" + Literal(Epsilon) + ", Placement = EpsilonPlacement.InsideSquareRoot)]"
            : "[Epsilon(" + Literal(Epsilon) + ")]";

    private string WeightDecayAttributeText() =>
        "[WeightDecay(" + Literal(WeightDecay) + ", Decoupled = " + BoolLiteral(DecoupledWeightDecay) + ")]";

    private static string RuleName(UpdateRule rule) => rule switch
    {
        UpdateRule.Sgd => nameof(UpdateRule.Sgd),
        UpdateRule.AdaGrad => nameof(UpdateRule.AdaGrad),
        UpdateRule.RMSprop => nameof(UpdateRule.RMSprop),
        UpdateRule.Adam => nameof(UpdateRule.Adam),
        UpdateRule.AdamW => nameof(UpdateRule.AdamW),
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown update rule."),
    };

    private static string BoolLiteral(bool value) => value ? "true" : "false";

    /// <summary>A finite double as a C# literal that round-trips: <c>0.001</c>, <c>1E-08</c>, <c>2.0</c>.</summary>
    private static string Literal(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Only finite hyperparameters have a C# literal.");
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        bool looksLikeInteger = text.IndexOf('.', StringComparison.Ordinal) < 0
            && text.IndexOf('E', StringComparison.Ordinal) < 0;
        return looksLikeInteger ? text + ".0" : text;
    }

    private static bool Coin(Random random) => random.Next(2) == 1;

    private static double Uniform(Random random, double low, double high) => low + ((high - low) * random.NextDouble());

    private static double LogUniform(Random random, double low, double high) =>
        Math.Exp(Uniform(random, Math.Log(low), Math.Log(high)));
}

/// <summary>
/// A plain scalar, double-precision implementation of PyTorch 1.13's single-tensor (<c>foreach=False</c>) optimizers,
/// plus OptGen's extensions, used as a test oracle. It shares no code with the generator and follows PyTorch's
/// operation order element by element, without SIMD or fused multiply-add.
/// </summary>
/// <remarks>
/// <para>
/// PyTorch's tensor operations map to scalar expressions as follows:
/// <c>a.add(b, alpha=s)</c> is <c>a + s·b</c>; <c>a.addcmul(b, c, value=s)</c> is <c>a + (s·b)·c</c>;
/// <c>a.addcdiv(b, c, value=s)</c> is <c>a + (s·b)/c</c>; <c>a.mul_(s)</c> is <c>a·s</c>.
/// Python-side scalars (<c>1 − β</c>, <c>β ** step</c>, <c>lr / bias_correction1</c>, …) are computed in double as Python does.
/// </para>
/// <para>
/// PyTorch's CPU kernels built for AVX2/AVX-512 evaluate <c>add(alpha=)</c> as <c>fma(s, b, a)</c> and <c>addcmul</c> as
/// <c>fma(s·b, c, a)</c>, in the vector loop and the scalar tail alike. This reference deliberately does not fuse, so it
/// can differ from such a PyTorch by about one ulp per operation; with exactly those two fused it matches
/// PyTorch 1.13 bit for bit.
/// </para>
/// <para>The learning rate is <see cref="ReferenceHyperparameters.LearningRate"/> on every step (no scheduler).</para>
/// </remarks>
public sealed class ReferenceOptimizer
{
    private readonly ReferenceHyperparameters hp;
    private readonly Dictionary<string, double[]> state = [];

    /// <summary>Creates the optimizer and its state for parameter vectors of <paramref name="length"/> elements.</summary>
    /// <remarks>
    /// State is allocated as PyTorch would allocate it, under PyTorch's keys: Adam/AdamW <c>exp_avg</c>,
    /// <c>exp_avg_sq</c> and, with AMSGrad, <c>max_exp_avg_sq</c>; AdaGrad <c>sum</c> (filled with the initial
    /// accumulator); RMSprop <c>square_avg</c>, <c>momentum_buffer</c> when momentum &gt; 0 and <c>grad_avg</c> when
    /// centered; SGD <c>momentum_buffer</c> when momentum ≠ 0. All start at zero except <c>sum</c>; SGD's momentum buffer
    /// holds zeros until the first step sets it to that step's gradient (PyTorch creates it lazily).
    /// </remarks>
    /// <param name="hyperparameters">The hyperparameters.</param>
    /// <param name="length">The number of elements of the parameter and gradient vectors.</param>
    public ReferenceOptimizer(ReferenceHyperparameters hyperparameters, int length)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (hyperparameters.Rule == UpdateRule.Sgd && hyperparameters.Nesterov
            && (hyperparameters.Momentum <= 0 || hyperparameters.Dampening != 0))
        {
            // Same check as torch.optim.SGD.__init__.
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.", nameof(hyperparameters));
        }

        hp = hyperparameters;
        Length = length;

        switch (hp.Rule)
        {
            case UpdateRule.Sgd:
                if (hp.Momentum != 0)
                {
                    state["momentum_buffer"] = new double[length];
                }

                break;

            case UpdateRule.AdaGrad:
                double[] sum = new double[length];
                Array.Fill(sum, hp.InitialAccumulator);
                state["sum"] = sum;
                break;

            case UpdateRule.RMSprop:
                state["square_avg"] = new double[length];
                if (hp.Momentum > 0)
                {
                    state["momentum_buffer"] = new double[length];
                }

                if (hp.Centered)
                {
                    state["grad_avg"] = new double[length];
                }

                break;

            case UpdateRule.Adam:
            case UpdateRule.AdamW:
                state["exp_avg"] = new double[length];
                state["exp_avg_sq"] = new double[length];
                if (hp.AmsGrad)
                {
                    state["max_exp_avg_sq"] = new double[length];
                }

                break;

            default:
                throw new ArgumentOutOfRangeException(nameof(hyperparameters), hp.Rule, "Unknown update rule.");
        }
    }

    /// <summary>The hyperparameters.</summary>
    public ReferenceHyperparameters Hyperparameters => hp;

    /// <summary>The number of elements of the parameter and gradient vectors.</summary>
    public int Length { get; }

    /// <summary>The number of steps taken (PyTorch's <c>state['step']</c>).</summary>
    public long StepCount { get; private set; }

    /// <summary>The optimizer state under PyTorch's keys (see the constructor); the arrays are live, not copies.</summary>
    public IReadOnlyDictionary<string, double[]> State => state;

    /// <summary>Takes one optimizer step, updating <paramref name="parameters"/> and the state in place.</summary>
    /// <param name="parameters">The parameters, <see cref="Length"/> elements, updated in place.</param>
    /// <param name="gradients">The gradients, <see cref="Length"/> elements; not modified.</param>
    public void Step(double[] parameters, double[] gradients)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        if (parameters.Length != Length || gradients.Length != Length)
        {
            throw new ArgumentException("Parameters and gradients must both have Length elements.");
        }

        bool firstStep = StepCount == 0;
        StepCount++;

        switch (hp.Rule)
        {
            case UpdateRule.Sgd:
                SgdStep(parameters, gradients, firstStep);
                break;
            case UpdateRule.AdaGrad:
                AdaGradStep(parameters, gradients);
                break;
            case UpdateRule.RMSprop:
                RMSpropStep(parameters, gradients);
                break;
            case UpdateRule.Adam:
            case UpdateRule.AdamW:
                AdamStep(parameters, gradients);
                break;
            default:
                throw new InvalidOperationException("Unknown update rule " + hp.Rule.ToString() + ".");
        }
    }

    /// <summary><c>torch.optim.sgd._single_tensor_sgd</c>.</summary>
    private void SgdStep(double[] p, double[] gradients, bool firstStep)
    {
        double lr = hp.LearningRate;
        double wd = hp.WeightDecay;
        double momentum = hp.Momentum;
        double dampening = hp.Dampening;
        double[]? buf = hp.Momentum != 0 ? state["momentum_buffer"] : null;

        for (int i = 0; i < p.Length; i++)
        {
            // d_p = d_p_list[i] if not maximize else -d_p_list[i]
            double d_p = hp.Maximize ? -gradients[i] : gradients[i];

            if (hp.DecoupledWeightDecay)
            {
                // OptGen extension: p ← p·(1 − lr·λ), instead of the L2 term.
                p[i] = p[i] * (1 - (lr * wd));
            }
            else if (wd != 0)
            {
                // d_p = d_p.add(param, alpha=weight_decay)
                d_p = d_p + (wd * p[i]);
            }

            if (buf is not null)
            {
                if (firstStep)
                {
                    // buf = torch.clone(d_p).detach()
                    buf[i] = d_p;
                }
                else
                {
                    // buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
                    buf[i] = buf[i] * momentum;
                    buf[i] = buf[i] + ((1 - dampening) * d_p);
                }

                if (hp.Nesterov)
                {
                    // d_p = d_p.add(buf, alpha=momentum)
                    d_p = d_p + (momentum * buf[i]);
                }
                else
                {
                    d_p = buf[i];
                }
            }

            // param.add_(d_p, alpha=-lr)
            p[i] = p[i] + (-lr * d_p);
        }
    }

    /// <summary><c>torch.optim.adagrad._single_tensor_adagrad</c> (dense, real).</summary>
    private void AdaGradStep(double[] p, double[] gradients)
    {
        double step = StepCount;
        double lr = hp.LearningRate;
        double wd = hp.WeightDecay;
        double eps = hp.Epsilon;
        double[] sum = state["sum"];

        // clr = lr / (1 + (step - 1) * lr_decay)
        double clr = lr / (1 + ((step - 1) * hp.LearningRateDecay));

        for (int i = 0; i < p.Length; i++)
        {
            // grad = grad if not maximize else -grad
            double grad = hp.Maximize ? -gradients[i] : gradients[i];

            if (hp.DecoupledWeightDecay)
            {
                // OptGen extension: p ← p·(1 − clr·λ), with the decayed learning rate.
                p[i] = p[i] * (1 - (clr * wd));
            }
            else if (wd != 0)
            {
                // grad = grad.add(param, alpha=weight_decay)
                grad = grad + (wd * p[i]);
            }

            // state_sum.addcmul_(grad, grad, value=1)
            sum[i] = sum[i] + (1 * grad * grad);

            // std = state_sum.sqrt().add_(eps)   (OptGen inside: sqrt(state_sum + eps))
            double std = hp.EpsilonInsideSquareRoot ? Math.Sqrt(sum[i] + eps) : Math.Sqrt(sum[i]) + eps;

            // param.addcdiv_(grad, std, value=-clr)
            p[i] = p[i] + (-clr * grad / std);
        }
    }

    /// <summary><c>torch.optim.rmsprop._single_tensor_rmsprop</c> (real, not differentiable).</summary>
    private void RMSpropStep(double[] p, double[] gradients)
    {
        double lr = hp.LearningRate;
        double alpha = hp.Beta2;
        double eps = hp.Epsilon;
        double wd = hp.WeightDecay;
        double momentum = hp.Momentum;
        double[] squareAvg = state["square_avg"];
        double[]? gradAvg = hp.Centered ? state["grad_avg"] : null;
        double[]? buf = hp.Momentum > 0 ? state["momentum_buffer"] : null;

        for (int i = 0; i < p.Length; i++)
        {
            // grad = grad if not maximize else -grad
            double grad = hp.Maximize ? -gradients[i] : gradients[i];

            if (hp.DecoupledWeightDecay)
            {
                // OptGen extension: p ← p·(1 − lr·λ), instead of the L2 term.
                p[i] = p[i] * (1 - (lr * wd));
            }
            else if (wd != 0)
            {
                // grad = grad.add(param, alpha=weight_decay)
                grad = grad + (wd * p[i]);
            }

            // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            squareAvg[i] = squareAvg[i] * alpha;
            squareAvg[i] = squareAvg[i] + ((1 - alpha) * grad * grad);

            // The quantity under the square root.
            double variance;
            if (gradAvg is not null)
            {
                // grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha)
                gradAvg[i] = gradAvg[i] * alpha;
                gradAvg[i] = gradAvg[i] + ((1 - alpha) * grad);

                // square_avg.addcmul(grad_avg, grad_avg, value=-1)
                variance = squareAvg[i] + (-1 * gradAvg[i] * gradAvg[i]);
            }
            else
            {
                variance = squareAvg[i];
            }

            // avg = variance.sqrt_(); avg = avg.add_(eps)   (OptGen inside: sqrt(variance + eps))
            double avg = hp.EpsilonInsideSquareRoot ? Math.Sqrt(variance + eps) : Math.Sqrt(variance) + eps;

            if (buf is not null)
            {
                // buf.mul_(momentum).addcdiv_(grad, avg)
                buf[i] = buf[i] * momentum;
                buf[i] = buf[i] + (1 * grad / avg);

                // param.add_(buf, alpha=-lr)
                p[i] = p[i] + (-lr * buf[i]);
            }
            else
            {
                // param.addcdiv_(grad, avg, value=-lr)
                p[i] = p[i] + (-lr * grad / avg);
            }
        }
    }

    /// <summary>
    /// <c>torch.optim.adam._single_tensor_adam</c> (not capturable, not differentiable); AdamW is the same with
    /// decoupled weight decay, as <c>torch.optim.adamw._single_tensor_adamw</c>.
    /// </summary>
    private void AdamStep(double[] p, double[] gradients)
    {
        double step = StepCount;
        double lr = hp.LearningRate;
        double beta1 = hp.Beta1;
        double beta2 = hp.Beta2;
        double eps = hp.Epsilon;
        double wd = hp.WeightDecay;
        double[] expAvg = state["exp_avg"];
        double[] expAvgSq = state["exp_avg_sq"];
        double[]? maxExpAvgSq = hp.AmsGrad ? state["max_exp_avg_sq"] : null;

        // bias_correction1 = 1 - beta1 ** step; bias_correction2 = 1 - beta2 ** step   (OptGen: 1 when disabled)
        double biasCorrection1 = hp.BiasCorrection ? 1 - Math.Pow(beta1, step) : 1;
        double biasCorrection2 = hp.BiasCorrection ? 1 - Math.Pow(beta2, step) : 1;

        // step_size = lr / bias_correction1
        double stepSize = lr / biasCorrection1;

        // bias_correction2_sqrt = math.sqrt(bias_correction2)
        double biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);

        for (int i = 0; i < p.Length; i++)
        {
            // grad = grads[i] if not maximize else -grads[i]
            double grad = hp.Maximize ? -gradients[i] : gradients[i];

            if (hp.DecoupledWeightDecay)
            {
                // AdamW: param.mul_(1 - lr * weight_decay)
                p[i] = p[i] * (1 - (lr * wd));
            }
            else if (wd != 0)
            {
                // grad = grad.add(param, alpha=weight_decay)
                grad = grad + (wd * p[i]);
            }

            // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
            expAvg[i] = expAvg[i] * beta1;
            expAvg[i] = expAvg[i] + ((1 - beta1) * grad);

            // exp_avg_sq.mul_(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
            expAvgSq[i] = expAvgSq[i] * beta2;
            expAvgSq[i] = expAvgSq[i] + ((1 - beta2) * grad * grad);

            double secondMoment;
            if (maxExpAvgSq is not null)
            {
                // torch.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])
                maxExpAvgSq[i] = Math.Max(maxExpAvgSq[i], expAvgSq[i]);
                secondMoment = maxExpAvgSq[i];
            }
            else
            {
                secondMoment = expAvgSq[i];
            }

            // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            // (OptGen inside: sqrt(exp_avg_sq / bias_correction2 + eps))
            double denom = hp.EpsilonInsideSquareRoot
                ? Math.Sqrt((secondMoment / biasCorrection2) + eps)
                : (Math.Sqrt(secondMoment) / biasCorrection2Sqrt) + eps;

            // param.addcdiv_(exp_avg, denom, value=-step_size)
            p[i] = p[i] + (-stepSize * expAvg[i] / denom);
        }
    }
}
