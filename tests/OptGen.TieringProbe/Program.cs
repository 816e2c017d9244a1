// Steps optimizers of every kind a few times in this fresh process and prints, for each method of the OptGen runtime
// and of the generated code that the runtime compiled while they stepped, how it was compiled:
//   <tier> <namespace>::<method>
// with <tier> the runtime's OptimizationTier (2 Optimized, 3 QuickJitted, 4 OptimizedTier1, 5 OSR, ...).
// Methods compiled while the optimizers were constructed are left out: they run once per optimizer.

using System;
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Linq;
using System.Threading;
using OptGen;

const int Length = 70_000; // several chunks and blocks, and a tail
using var listener = new JitListener();

var adam = new ProbeAdam(Length);
var store = new ParameterStore<float>([("embedding", 3000), ("bias", 4000), ("weight", 30_000)]);
var lamb = new ProbeLamb(store.Length);
var adamW8Bit = new ProbeMasterAdamW8Bit(Length);
var stochastic = new ProbeStochasticAdam8Bit(Length);
var half = new ProbeHalfRmsProp(Length);
var rule = new ProbeElementRule(Length);
float[] parameters = new float[Length], gradients = new float[Length];
BFloat16[] bf16Parameters = new BFloat16[Length], bf16Gradients = new BFloat16[Length];
Half[] halfParameters = new Half[Length], halfGradients = new Half[Length];
for (int i = 0; i < Length; i++)
{
    gradients[i] = MathF.Sin(i) * 1e-2f;
    bf16Gradients[i] = (BFloat16)gradients[i];
    halfGradients[i] = (Half)gradients[i];
}

gradients.AsSpan(0, store.Length).CopyTo(store.Gradients);
JitListener.StepsBegin();
for (int step = 0; step < 3; step++)
{
    adam.Step(parameters, gradients);
    lamb.Step(store);
    adamW8Bit.Step(bf16Parameters, bf16Gradients);
    stochastic.Step(bf16Parameters, bf16Gradients);
    half.Step(halfParameters, halfGradients);
    rule.Step(parameters, gradients);
}

adam.ThreadCount = 2;
adam.Step(parameters, gradients);
listener.WaitUntilQuiet();
foreach ((string method, int tier) in listener.Recorded.OrderBy(pair => pair.Key, StringComparer.Ordinal))
{
    Console.WriteLine($"{tier} {method}");
}

[Optimizer(UpdateRule.Adam)]
internal sealed partial class ProbeAdam;

[Optimizer(UpdateRule.Lamb)]
[ClipGradientNorm(1.0)]
internal sealed partial class ProbeLamb;

[Optimizer(UpdateRule.AdamW, ElementType = typeof(BFloat16))]
[MasterWeights]
[StateStorage(StateStorage.Blockwise8Bit)]
internal sealed partial class ProbeMasterAdamW8Bit;

[Optimizer(UpdateRule.Adam, ElementType = typeof(BFloat16))]
[StateStorage(StateStorage.Blockwise8Bit)]
[StochasticRounding(7)]
internal sealed partial class ProbeStochasticAdam8Bit;

[Optimizer(UpdateRule.RMSprop, ElementType = typeof(Half))]
[StateStorage(StateStorage.BFloat16)]
internal sealed partial class ProbeHalfRmsProp;

[Optimizer(LearningRate = 1e-3)]
internal sealed partial class ProbeElementRule
{
    [ElementRule]
    private static void Update(ref float parameter, float gradient, ref float momentum, StepContext step)
    {
        momentum = (0.9f * momentum) + gradient;
        parameter -= (float)step.LearningRate * RuleMath.Sign(momentum);
    }
}

/// <summary>The runtime's method-load events (JIT keyword), recorded from the compilation of <see cref="StepsBegin"/> on.</summary>
internal sealed class JitListener : EventListener
{
    private const int JitKeyword = 0x10;
    private long _lastEvent = DateTime.UtcNow.Ticks;
    private bool _recording;

    public ConcurrentDictionary<string, int> Recorded { get; } = new();

    // Its compilation marks where the steps begin: the events arrive in order, on one thread, so everything after it
    // was compiled for the steps (event timestamps and the clock are not comparable closely enough).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static void StepsBegin()
    {
    }

    // Events arrive on the runtime's dispatch thread, a little after the compilations.
    public void WaitUntilQuiet()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && DateTime.UtcNow.Ticks - Interlocked.Read(ref _lastEvent) < TimeSpan.TicksPerSecond)
        {
            Thread.Sleep(100);
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)JitKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        Interlocked.Exchange(ref _lastEvent, DateTime.UtcNow.Ticks);
        if (eventData.EventName?.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) != true)
        {
            return;
        }

        var names = eventData.PayloadNames!;
        string space = (string)eventData.Payload![names.IndexOf("MethodNamespace")]!;
        string name = (string)eventData.Payload[names.IndexOf("MethodName")]!;
        string signature = (string)eventData.Payload[names.IndexOf("MethodSignature")]!;
        if (name == nameof(StepsBegin) && space == nameof(JitListener))
        {
            _recording = true;
        }

        if (!_recording)
        {
            return;
        }

        uint flags = Convert.ToUInt32(eventData.Payload[names.IndexOf("MethodFlags")], System.Globalization.CultureInfo.InvariantCulture);
        if (space.StartsWith("OptGen", StringComparison.Ordinal) || space.StartsWith("Probe", StringComparison.Ordinal))
        {
            // MethodFlags bits 7-9: the optimization tier.
            Recorded[$"{space}::{name} {signature}"] = (int)((flags >> 7) & 7);
        }
    }
}
