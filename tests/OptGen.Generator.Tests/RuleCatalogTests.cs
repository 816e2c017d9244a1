using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using OptGen.Generator.Model;
using OptGen.Generator.Rules;
using Xunit;

namespace OptGen.Generator.Tests;

/// <summary>The rule definitions: one per runtime enum member, and the fingerprint and diagnostics built from their option tables.</summary>
public sealed class RuleCatalogTests
{
    [Fact]
    public void Every_runtime_rule_has_exactly_one_definition()
    {
        foreach (OptGen.UpdateRule rule in Enum.GetValues<OptGen.UpdateRule>())
        {
            RuleDefinition? definition = RuleCatalog.For((Contracts.UpdateRule)(int)rule);
            Assert.True(definition is not null, $"UpdateRule.{rule} has no definition.");
            Assert.Equal(rule.ToString(), definition!.Rule.ToString());
            Assert.Single(RuleCatalog.All, d => d.Rule == definition.Rule);
        }

        Assert.Equal(Enum.GetValues<OptGen.UpdateRule>().Length, RuleCatalog.All.Count);
    }

    [Fact]
    public void Definitions_accept_each_option_once_and_always_the_learning_rate_and_maximize()
    {
        foreach (RuleDefinition definition in RuleCatalog.All)
        {
            Assert.Equal(definition.Accepts.Count, definition.Accepts.Select(o => o.Key).Distinct().Count());
            Assert.Contains(definition.Accepts, o => o.Key == Options.LearningRate.Key);
            Assert.Contains(definition.Accepts, o => o.Key == Options.Maximize.Key);
            Assert.All(definition.Accepts, o => Assert.True(o.Range is null || o.Range.Contains(o.Default), $"{definition.Rule}: the default of {o.Key} is outside its range."));
        }
    }

    [Theory]
    [InlineData("Sgd")]
    [InlineData("AdaGrad")]
    [InlineData("RMSprop")]
    [InlineData("Adam")]
    [InlineData("AdamW")]
    [InlineData("Asgd")]
    [InlineData("Rprop")]
    [InlineData("Adamax")]
    [InlineData("Adadelta")]
    [InlineData("NAdam")]
    [InlineData("RAdam")]
    [InlineData("Lion")]
    [InlineData("ScheduleFreeAdamW")]
    public void The_fingerprint_changes_with_every_option_the_rule_accepts(string rule)
    {
        RuleDefinition definition = RuleCatalog.All.Single(d => d.Rule.ToString() == rule);
        string Fingerprint(OptionValues values) => Emit.Fingerprint.Of(
            new OptimizerSpec(null, "Opt", default, ElementKind.Single, definition.Rule, values, ScheduleSpec.Constant, false));

        OptionValues defaults = definition.Defaults();
        string baseline = Fingerprint(defaults);
        foreach (Option option in definition.Accepts)
        {
            double other = option.Kind switch
            {
                OptionKind.Flag or OptionKind.Choice => defaults[option] == 0 ? 1 : 0,
                OptionKind.Integer => defaults[option] + 1,
                _ => defaults[option] == 0 ? 0.25 : defaults[option] / 2,
            };
            Assert.NotEqual(baseline, Fingerprint(defaults.With(option, other)));
        }
    }

    [Fact]
    public void An_option_that_does_not_apply_names_the_rules_it_applies_to()
    {
        GeneratorRun run = GeneratorHarness.Run("using OptGen;\n\nnamespace Demo;\n\n[Optimizer(UpdateRule.Sgd)]\n[Epsilon(1e-8)]\npublic partial class Opt;\n");
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("OPTG016", diagnostic.Id);
        Assert.Equal(
            "[Epsilon] does not apply to UpdateRule.Sgd: it applies to UpdateRule.AdaGrad, UpdateRule.RMSprop, UpdateRule.Adam, UpdateRule.AdamW, UpdateRule.Adamax, UpdateRule.Adadelta, UpdateRule.NAdam, UpdateRule.RAdam, UpdateRule.ScheduleFreeAdamW and UpdateRule.Lamb; remove it",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));

        run = GeneratorHarness.Run("using OptGen;\n\nnamespace Demo;\n\n[Optimizer(UpdateRule.RMSprop)]\n[Momentum(0.9, Nesterov = true)]\npublic partial class Opt;\n");
        diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("Momentum.Nesterov does not apply to UpdateRule.RMSprop: it applies to UpdateRule.Sgd and UpdateRule.Lars; remove it", diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal("Nesterov = true", GeneratorHarness.LocatedText(diagnostic, run.InputCompilation));
    }
}
