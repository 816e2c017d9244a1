using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OptGen.Generator.Model;

namespace OptGen.Generator.Tests;

/// <summary>
/// The values flowing through the pipeline hold no symbols, compilations, syntax or locations: those would root old
/// compilations in the cache and break equality, so every edit would recompute everything.
/// </summary>
public sealed class ModelTests
{
    private const string Sources = """
        using OptGen;

        namespace Demo.Models
        {
            public partial class Outer
            {
                [Optimizer(UpdateRule.Adam, LearningRate = 0.01, ElementType = typeof(double))]
                [AmsGrad]
                [WeightDecay(0.1, Decoupled = true)]
                [MomentDecay(First = 0.9, Second = 0.5)]
                [Epsilon(0.01)]
                public partial class WithWarnings;
            }

            [Optimizer(UpdateRule.RMSprop)]
            [Centered]
            [Momentum(0.9)]
            public partial class Valid;

            [Optimizer(UpdateRule.Sgd, LearningRate = -1)]
            [Epsilon(0)]
            public class Invalid;
        }
        """;

    [Fact]
    public void Pipeline_values_hold_no_symbols_compilations_syntax_or_locations()
    {
        GeneratorRun run = GeneratorHarness.Run(Sources);
        GeneratorRunResult result = run.Result.Results.Single();

        var visited = 0;
        foreach (string stepName in new[] { TrackingNames.Parse, TrackingNames.Diagnostics, TrackingNames.Lower })
        {
            Assert.True(result.TrackedSteps.TryGetValue(stepName, out var steps), $"Step {stepName} was not tracked.");
            object[] values = steps.SelectMany(step => step.Outputs).Select(output => output.Value).ToArray();
            Assert.NotEmpty(values);
            foreach (object value in values)
            {
                visited += ForbiddenValueWalker.Walk(value, stepName).Visited;
            }
        }

        // Not vacuous: the walk reached into specs, hyperparameters, IR expressions and diagnostics.
        Assert.True(visited > 200, $"Only {visited} objects were visited.");
        Assert.Equal(3, result.TrackedSteps[TrackingNames.Parse].SelectMany(s => s.Outputs).Count());
        Assert.Equal(2, result.TrackedSteps[TrackingNames.Lower].SelectMany(s => s.Outputs).Count());
    }

    [Fact]
    public void Pipeline_values_are_equal_across_independent_runs()
    {
        // Value equality is what keeps the cache warm: parse the same text twice, in two compilations, and compare.
        GeneratorRun one = GeneratorHarness.Run(Sources);
        GeneratorRun two = GeneratorHarness.Run(Sources);
        object[] first = StepValues(one, TrackingNames.Parse).Concat(StepValues(one, TrackingNames.Lower)).ToArray();
        object[] second = StepValues(two, TrackingNames.Parse).Concat(StepValues(two, TrackingNames.Lower)).ToArray();
        Assert.Equal(5, first.Length);
        Assert.Equal(first.Length, second.Length);
        for (int i = 0; i < first.Length; i++)
        {
            Assert.NotSame(first[i], second[i]);
            Assert.Equal(first[i], second[i]);
            Assert.Equal(first[i].GetHashCode(), second[i].GetHashCode());
        }
    }

    [Fact]
    public void Walker_finds_a_location_hidden_in_an_equatable_array()
    {
        // The walker itself must work, or the test above proves nothing.
        SyntaxTree tree = CSharpSyntaxTree.ParseText("class C { }");
        var holder = Hold(tree.GetRoot().GetLocation());
        var exception = Assert.ThrowsAny<Exception>(() => ForbiddenValueWalker.Walk(holder, "test"));
        Assert.Contains("Location", exception.Message, StringComparison.Ordinal);

        var symbolHolder = Hold(CSharpCompilation.Create("x").GlobalNamespace);
        Assert.ThrowsAny<Exception>(() => ForbiddenValueWalker.Walk(symbolHolder, "test"));
        Assert.ThrowsAny<Exception>(() => ForbiddenValueWalker.Walk(Hold(tree), "test"));
        Assert.ThrowsAny<Exception>(() => ForbiddenValueWalker.Walk(Hold(tree.GetRoot()), "test"));
        Assert.ThrowsAny<Exception>(() => ForbiddenValueWalker.Walk(Hold(CSharpCompilation.Create("y")), "test"));
        Assert.Equal(0, ForbiddenValueWalker.Walk(Hold("fine"), "test").Problems);
    }

    private static IEnumerable<object> StepValues(GeneratorRun run, string stepName) =>
        run.Result.Results.Single().TrackedSteps[stepName].SelectMany(step => step.Outputs).Select(output => output.Value);

    private sealed record Box(object Content);

    private sealed record Holder(EquatableArray<Box> Items);

    private static Holder Hold(object content) => new(EquatableArray.Create(new Box(content)));

    /// <summary>Walks every field and property of an object graph and fails on Roslyn objects that must not be cached.</summary>
    private sealed class ForbiddenValueWalker
    {
        private readonly HashSet<object> _seen = new(ReferenceEqualityComparer.Instance);

        public int Visited { get; private set; }

        public int Problems { get; private set; }

        public static ForbiddenValueWalker Walk(object root, string stepName)
        {
            var walker = new ForbiddenValueWalker();
            walker.Visit(root, stepName);
            return walker;
        }

        private void Visit(object? value, string path)
        {
            if (value is null)
            {
                return;
            }

            string? forbidden = value switch
            {
                ISymbol => nameof(ISymbol),
                Compilation => nameof(Compilation),
                SyntaxNode => nameof(SyntaxNode),
                SyntaxTree => nameof(SyntaxTree),
                Location => nameof(Location),
                SemanticModel => nameof(SemanticModel),
                AttributeData => nameof(AttributeData),
                _ => null,
            };
            if (forbidden is not null)
            {
                Problems++;
                Assert.Fail($"{path} is a {forbidden} ({value.GetType().FullName}): pipeline values must be plain equatable data.");
            }

            // A descriptor is immutable, equatable by value and shared by every report: data, not compilation state.
            Type type = value.GetType();
            if (type.IsPrimitive || type.IsEnum || value is string or decimal or Type or DiagnosticDescriptor)
            {
                return;
            }

            if (!type.IsValueType && !_seen.Add(value))
            {
                return;
            }

            Visited++;
            if (value is IEnumerable sequence)
            {
                int index = 0;
                foreach (object? item in sequence)
                {
                    Visit(item, $"{path}[{index++}]");
                }
            }

            for (Type? t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType.IsPointer || field.FieldType.IsByRefLike)
                    {
                        continue;
                    }

                    Visit(field.GetValue(value), $"{path}.{field.Name}");
                }

                foreach (PropertyInfo property in t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (property.GetIndexParameters().Length > 0 || property.GetMethod is null || property.PropertyType.IsByRefLike
                        || property.GetCustomAttribute<CompilerGeneratedAttribute>() is not null || property.Name == "EqualityContract")
                    {
                        continue;
                    }

                    Visit(property.GetValue(value), $"{path}.{property.Name}");
                }
            }
        }
    }
}
