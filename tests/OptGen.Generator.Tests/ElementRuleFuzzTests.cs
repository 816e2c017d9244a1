using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace OptGen.Generator.Tests;

/// <summary>
/// Random <c>[ElementRule]</c> bodies: programs drawn from the supported grammar must generate a step equal to their
/// own method bit for bit; bodies with constructs outside it, or broken ones, must never crash the generator or be
/// dropped without a diagnostic.
/// </summary>
public sealed class ElementRuleFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_261_201;
    private const int ValidRules = 96;
    private const int InvalidRules = 300;

    [Fact]
    public void Random_rules_from_the_grammar_equal_their_method_bit_for_bit()
    {
        var random = new Random(Seed);
        string[] rules = Enumerable.Range(0, ValidRules).Select(i => new RuleWriter(random).Rule("Rule" + i.ToString(CultureInfo.InvariantCulture))).ToArray();
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(rules));
        Assert.Null(run.Exception);
        Assert.True(run.GeneratorDiagnostics.IsEmpty, GeneratorHarness.Describe(run.GeneratorDiagnostics) + "\n" + string.Join("\n\n", run.GeneratorDiagnostics.Select(d => rules.First(r => r.Contains("class " + Class(d, run) + "\n", StringComparison.Ordinal)))));
        // The random bodies draw warnings of their own (x = x, x > x); the generated code must draw none.
        Assert.Empty(run.OutputProblems.Where(d => d.Severity == DiagnosticSeverity.Error || !d.Location.GetLineSpan().Path.StartsWith("/src/", StringComparison.Ordinal)));
        using LoadedAssembly assembly = GeneratorHarness.EmitAndLoad(run.OutputCompilation);
        int compared = 0;
        for (int r = 0; r < ValidRules; r++)
        {
            Type type = assembly.Assembly.GetType("Rule" + r.ToString(CultureInfo.InvariantCulture), throwOnError: true)!;
            MethodInfo method = type.GetMethod("Update", BindingFlags.Static | BindingFlags.NonPublic)!;
            foreach (int length in new[] { 0, 1, 3, 8, 9, 17, 33, 100 })
            {
                compared += Compare(type, method, length, new Random(r * 1000 + length), rules[r]);
            }
        }

        // Parsing includes the translation; the first few pay for the JIT. Reported only: TranslationBenchmarks measures it.
        double[] parse = run.Result.Results.Single().TrackedSteps[TrackingNames.Parse].Select(s => s.ElapsedTime.TotalMilliseconds).OrderBy(t => t).ToArray();
        double median = parse[parse.Length / 2];
        output.WriteLine($"{ValidRules} random rules, {compared} element updates compared bit for bit; parse and translate: median {median:F2} ms, max {parse[^1]:F2} ms.");
    }

    [Fact]
    public void Bodies_outside_the_grammar_never_crash_and_are_never_dropped_silently()
    {
        var random = new Random(Seed + 1);
        int generated = 0;
        int reported = 0;
        for (int i = 0; i < InvalidRules; i++)
        {
            string rule = Mutate(new RuleWriter(random).Rule("Opt"), random);
            GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(rule));
            Assert.True(run.Exception is null, rule + "\n" + run.Exception);
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "OPTG099");
            bool error = run.GeneratorDiagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)
                || run.InputCompilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);
            if (run.GeneratedSources.Count == 0)
            {
                Assert.True(error, "Dropped without a diagnostic:\n" + rule);
                reported++;
            }
            else
            {
                Assert.True(error || !run.OutputProblems.Any(d => d.Severity == DiagnosticSeverity.Error || !d.Location.GetLineSpan().Path.StartsWith("/src/", StringComparison.Ordinal)), rule + GeneratorHarness.Describe(run.OutputProblems));
                generated++;
            }
        }

        output.WriteLine($"{InvalidRules} mutated rules: {generated} generated, {reported} rejected with a diagnostic.");
    }

    private static string Class(Diagnostic diagnostic, GeneratorRun run)
    {
        SyntaxTree tree = run.InputCompilation.SyntaxTrees.First(t => t.FilePath == diagnostic.Location.GetLineSpan().Path);
        string text = tree.ToString();
        int start = text.IndexOf("public partial class ", StringComparison.Ordinal) + "public partial class ".Length;
        return text.Substring(start, text.IndexOf('\n', start) - start);
    }

    private static int Compare(Type type, MethodInfo method, int length, Random random, string rule)
    {
        var optimizer = (IOptimizer<float>)Activator.CreateInstance(type, length)!;
        float[] parameters = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        // The method starts from the optimizer's initial state ([InitialValue(0.5)] on the second), checked below against 0.5.
        float[][] states = [optimizer.GetStateBuffer(0).ToArray(), optimizer.GetStateBuffer(1).ToArray()];
        Assert.All(states[0], x => Assert.Equal(0f, x));
        Assert.All(states[1], x => Assert.Equal(0.5f, x));
        for (int step = 1; step <= 3; step++)
        {
            float[] gradients = Enumerable.Range(0, length).Select(i => i % 7 == 0 ? 0f : (float)((random.NextDouble() * 2) - 1)).ToArray();
            float[] actual = parameters.ToArray();
            double rate = optimizer.LearningRate;
            optimizer.Step(actual, gradients);
            for (int i = 0; i < length; i++)
            {
                object[] arguments = [parameters[i], gradients[i], states[0][i], states[1][i], new StepContext(step, rate)];
                method.Invoke(null, arguments);
                parameters[i] = (float)arguments[0];
                states[0][i] = (float)arguments[2];
                states[1][i] = (float)arguments[3];
                Assert.True(Same(parameters[i], actual[i]), $"length {length}, step {step}, element {i}: method {parameters[i]:R}, step {actual[i]:R}\n{rule}");
            }

            for (int s = 0; s < 2; s++)
            {
                float[] buffer = optimizer.GetStateBuffer(s).ToArray();
                for (int i = 0; i < length; i++)
                {
                    Assert.True(Same(states[s][i], buffer[i]), $"state {s}, length {length}, step {step}, element {i}: method {states[s][i]:R}, step {buffer[i]:R}\n{rule}");
                }
            }
        }

        return 3 * length;
    }

    // Bit for bit, except that any NaN equals any NaN: which NaN payload a vector instruction propagates is the hardware's.
    private static bool Same(float a, float b) =>
        BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));

    private static readonly string[] Mutations =
    [
        "for (int k = 0; k < 2; k++) { parameter += 1f; }",
        "while (parameter > 0) { parameter -= 1f; }",
        "parameter = MathF.Exp(gradient);",
        "parameter = MathF.Sign(gradient);",
        "parameter = Math.Sign(gradient);",
        "gradient = 0;",
        "s_field = parameter;",
        "parameter = s_field;",
        "throw new InvalidOperationException();",
        "try { parameter = 1f; } catch { }",
        "ref float r = ref parameter; r = 0;",
        "string s = \"x\";",
        "parameter = (float)\"x\".Length;",
        "var list = new float[2]; parameter = list[0];",
        "Update(ref parameter, gradient, ref first, ref second, step);",
        "parameter++;",
        "parameter = (int)gradient;",
        "parameter = gradient % 2f;",
        "parameter = (float)(gradient * 0.5);",
        "double d = gradient; parameter = (float)d;",
        "parameter = this.ToString().Length;",
        "Func<float, float> f = x => x; parameter = f(gradient);",
        "float Local(float x) => x; parameter = Local(gradient);",
        "if (gradient > 0) return;",
        "parameter = Math.Clamp(gradient, 1f, -1f);",
        "parameter = Math.Clamp(gradient, -step.Number, 1f);",
        "parameter = (float)Math.Pow(gradient, 2);",
        "parameter = MathF.FusedMultiplyAdd((float)step.LearningRate, 2f, 1f) * gradient;",
        "bool b = gradient > 0; parameter = b ? 1 : 0; b = !b;",
        "checked { parameter = 1; }",
        "goto end; end: parameter = 0;",
        "switch (step.Number) { case 1: parameter = 0; break; }",
        "parameter = gradient is > 0 ? 1f : 0f;",
        "(parameter, first) = (first, parameter);",
        "parameter = default;",
        "parameter = float.NaN;",
        "parameter = step.Number / 2;",
        "parameter = (float)step.Number / 2;",
        "long n = step.Number; n *= 2; parameter = n;",
        "parameter ",
        "}",
        "{",
        "parameter = = 1;",
        "float unassigned; parameter = unassigned;",
        "float never; if (gradient > 0) { never = 1; } parameter = 0;",
        "float once; if (step.Number > 1) { once = 1; } else { once = 2; } parameter = once * gradient;",
    ];

    /// <summary>A rule with one statement outside the grammar (or a broken one) inserted at a random statement boundary.</summary>
    private static string Mutate(string rule, Random random)
    {
        string[] lines = rule.Split('\n');
        int[] boundaries = Enumerable.Range(0, lines.Length).Where(i => lines[i].EndsWith(';') || lines[i].TrimEnd().EndsWith('{')).ToArray();
        int at = boundaries[random.Next(boundaries.Length)];
        var list = lines.ToList();
        list.Insert(at + 1, "        " + Mutations[random.Next(Mutations.Length)]);
        if (random.Next(4) == 0)
        {
            list.Insert(random.Next(list.Count), "        " + Mutations[random.Next(Mutations.Length)]);
        }

        return string.Join("\n", list);
    }

    /// <summary>Writes a random float rule from the grammar: two states, a StepContext, locals, conditions and branches.</summary>
    private sealed class RuleWriter(Random random)
    {
        private readonly List<string> _locals = [];
        private readonly StringBuilder _body = new();
        private int _next;

        public string Rule(string name)
        {
            int statements = random.Next(2, 7);
            for (int i = 0; i < statements; i++)
            {
                Statement("        ", 0);
            }

            _body.Append("        parameter = ").Append(Element(3)).Append(";\n");
            return $$"""
                using System;
                using OptGen;

                [Optimizer(LearningRate = 0.01)]
                public partial class {{name}}
                {
                    const float Beta = 0.9f;
                    static float s_field;

                    [ElementRule]
                    static void Update(ref float parameter, float gradient, ref float first, [InitialValue(0.5)] ref float second, StepContext step)
                    {
                {{_body}}    }
                }

                """;
        }

        private void Statement(string indent, int depth)
        {
            switch (random.Next(depth < 2 ? 8 : 6))
            {
                case 0 or 1:
                    string local = "v" + (_next++).ToString(CultureInfo.InvariantCulture);
                    _body.Append(indent).Append("float ").Append(local).Append(" = ").Append(Element(3)).Append(";\n");
                    if (depth == 0)
                    {
                        _locals.Add(local);
                    }

                    break;
                case 2:
                    _body.Append(indent).Append(Target()).Append(" = ").Append(Element(3)).Append(";\n");
                    break;
                case 3:
                    _body.Append(indent).Append(Target()).Append(' ').Append(new[] { "+=", "-=", "*=", "/=" }[random.Next(4)]).Append(' ').Append(Element(2)).Append(";\n");
                    break;
                case 4:
                    _body.Append(indent).Append("first = ").Append("first * Beta + gradient * (1 - Beta);\n");
                    break;
                case 5:
                    _body.Append(indent).Append("second = MathF.Max(second * 0.99f, MathF.Abs(").Append(Element(2)).Append("));\n");
                    break;
                default:
                    string condition = random.Next(2) == 0 ? StepCondition() : ElementCondition(2);
                    _body.Append(indent).Append("if (").Append(condition).Append(")\n").Append(indent).Append("{\n");
                    Assignment(indent + "    ", depth + 1);
                    _body.Append(indent).Append("}\n");
                    if (random.Next(2) == 0)
                    {
                        _body.Append(indent).Append("else\n").Append(indent).Append("{\n");
                        Assignment(indent + "    ", depth + 1);
                        _body.Append(indent).Append("}\n");
                    }

                    break;
            }
        }

        private void Assignment(string indent, int depth)
        {
            int count = random.Next(1, 3);
            for (int i = 0; i < count; i++)
            {
                if (random.Next(3) == 0)
                {
                    Statement(indent, depth);
                }
                else
                {
                    _body.Append(indent).Append(Target()).Append(" = ").Append(Element(2)).Append(";\n");
                }
            }
        }

        private string Target() => random.Next(4) switch
        {
            0 => "parameter",
            1 => "first",
            2 => "second",
            _ => _locals.Count > 0 ? _locals[random.Next(_locals.Count)] : "first",
        };

        private string Element(int depth)
        {
            if (depth == 0 || random.Next(4) == 0)
            {
                return Leaf();
            }

            return random.Next(13) switch
            {
                10 => $"RuleMath.Sign({Element(depth - 1)})",
                // On per-step floats alone Lerp is rejected (its fused multiply-adds): the end is the gradient.
                11 => $"RuleMath.Lerp({Element(depth - 1)}, gradient, {Element(depth - 1)})",
                0 => $"{Element(depth - 1)} + {Element(depth - 1)}",
                1 => $"({Element(depth - 1)} - {Element(depth - 1)})",
                2 => $"{Element(depth - 1)} * {Element(depth - 1)}",
                3 => $"{Element(depth - 1)} / ({Element(depth - 1)} + 2.5f)",
                4 => $"-({Leaf()})",
                5 => $"MathF.Sqrt(MathF.Abs({Element(depth - 1)}))",
                6 => $"MathF.{(random.Next(2) == 0 ? "Max" : "Min")}({Element(depth - 1)}, {Element(depth - 1)})",
                // A float fused multiply-add on per-step values only is rejected (OPTG064): one operand reads the gradient.
                7 => $"MathF.FusedMultiplyAdd(gradient, {Element(depth - 1)}, {Element(depth - 1)})",
                8 => $"({ElementCondition(depth - 1)} ? {Element(depth - 1)} : {Element(depth - 1)})",
                9 => $"Math.Clamp({Element(depth - 1)}, -1.5f, 0.75f)",
                _ => $"({StepCondition()} ? {Element(depth - 1)} : {Leaf()})",
            };
        }

        private string Leaf() => random.Next(12) switch
        {
            0 => "parameter",
            1 or 2 => "gradient",
            3 => "first",
            4 => "second",
            5 => "Beta",
            6 => random.Next(3) switch { 0 => "0.5f", 1 => "3", _ => "-0.0f" },
            7 => "(float)step.LearningRate",
            8 => "MathF.Sqrt(step.Number)",
            9 => "(float)Math.Pow(0.9, step.Number)",
            10 => "(float)(step.LearningRate * 0.5 + 1e-3)",
            _ => _locals.Count > 0 ? _locals[random.Next(_locals.Count)] : "gradient",
        };

        private string StepCondition() => random.Next(4) switch
        {
            0 => $"step.Number > {random.Next(1, 4)}",
            1 => $"step.Number <= 2 && step.LearningRate > 0.001",
            2 => $"!(step.Number == 2) || step.LearningRate < 0",
            _ => "step.Number >= 2",
        };

        private string ElementCondition(int depth) => random.Next(5) switch
        {
            0 => $"{Element(depth)} > {Element(depth)}",
            1 => $"{Element(depth)} <= 0.25f",
            2 => $"!({Element(depth)} < {Leaf()})",
            3 => $"{Element(depth)} > 0 && {Leaf()} != {Leaf()}",
            _ => $"{Element(depth)} >= 0 || gradient == 0",
        };
    }
}
