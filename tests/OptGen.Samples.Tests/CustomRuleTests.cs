using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Reflection;
using OptGen.Samples.CustomRule;
using OptGen.Samples.Digits;

namespace OptGen.Samples.Tests;

public class CustomRuleTests
{
    public static TheoryData<string> RuleKeys => [.. Comparison.Rules.Select(r => r.Key)];

    [Theory]
    [MemberData(nameof(RuleKeys))]
    public void Two_epochs_of_each_rule_reduce_the_loss(string key)
    {
        (int[] train, int[] test) = DigitsData.StratifiedSplit(DataTests.Digits, TrainingDefaults.TestFraction, Seeds.Split(42));
        var setup = new TrainingSetup(DataTests.Digits.Subset(train), DataTests.Digits.Subset(test), 2, TrainingDefaults.BatchSize, 42);
        RunResult result = new TrainingRun(Comparison.Rules.Single(r => r.Key == key), setup).Run();

        Assert.All(result.TrainLoss, loss => Assert.True(double.IsFinite(loss), string.Join(", ", result.TrainLoss)));
        Assert.True(result.TrainLoss[2] < 0.7 * result.TrainLoss[0], string.Join(", ", result.TrainLoss));
        Assert.True(result.TestAccuracy > 0.5, $"test accuracy {result.TestAccuracy}");
    }

    // The [ElementRule] method is plain C#: calling it on each element, with the decoupled decay [WeightDecay] applies
    // before it, gives the generated SIMD step's results bit for bit (a length that is no multiple of a vector width).
    [Theory]
    [InlineData(typeof(AdaBelief), 0.0)]
    [InlineData(typeof(Adan), 0.0)]
    [InlineData(typeof(AdEMAMix), 0.0)]
    [InlineData(typeof(SophiaClip), 0.1)]
    public void The_generated_step_equals_the_rule_method(Type rule, double weightDecay)
    {
        const int Length = 83;
        var optimizer = (IOptimizer<float>)Activator.CreateInstance(rule, Length)!;
        MethodInfo method = rule.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Single(m => m.GetCustomAttribute<ElementRuleAttribute>() is not null);
        int states = method.GetParameters().Length - 3;
        Assert.Equal(states, optimizer.StateBufferNames.Count);

        var random = new Random(7);
        float[] parameters = [.. Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] expected = [.. parameters];
        float[][] expectedStates = [.. Enumerable.Range(0, states).Select(_ => new float[Length])];
        for (int step = 1; step <= 4; step++)
        {
            float[] gradients = [.. Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() - 0.5) * 0.1f)];
            double rate = optimizer.LearningRate;
            for (int i = 0; i < Length; i++)
            {
                object[] arguments = [expected[i] * (float)(1 - rate * weightDecay), gradients[i], .. expectedStates.Select(s => (object)s[i]), new StepContext(step, rate)];
                method.Invoke(null, arguments);
                expected[i] = (float)arguments[0];
                for (int s = 0; s < states; s++)
                {
                    expectedStates[s][i] = (float)arguments[2 + s];
                }
            }

            Assert.True(optimizer.Step(parameters, gradients));
            Assert.Equal(expected, parameters);
            for (int s = 0; s < states; s++)
            {
                Assert.Equal(expectedStates[s], optimizer.GetStateBuffer(s).ToArray());
            }
        }
    }

    [Fact]
    public void A_short_run_writes_the_report_and_charts()
    {
        string folder = Path.Combine(Path.GetTempPath(), "custom-rule-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            int exitCode = CustomRuleCommand.Invoke(["--epochs", "1", "--no-sweep", "--output", folder], new InvocationConfiguration { Output = output, Error = error });
            Assert.True(exitCode == 0, error.ToString());
            string markdown = File.ReadAllText(Path.Combine(folder, "results.md"));
            foreach (RunSpec rule in Comparison.Rules.Prepend(Comparison.AdamAtDefaultRate))
            {
                Assert.Contains($"| {rule.Optimizer} |", markdown, StringComparison.Ordinal);
            }

            byte[] png = File.ReadAllBytes(Path.Combine(folder, CustomRuleCommand.LossChart));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.False(File.Exists(Path.Combine(folder, CustomRuleCommand.SensitivityChart)));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
