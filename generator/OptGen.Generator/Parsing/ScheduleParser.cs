using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using OptGen.Generator.Contracts;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Model;

namespace OptGen.Generator.Parsing;

/// <summary>The learning-rate schedule attributes: their values, defaults from the attribute classes, and validation.</summary>
internal sealed partial class Parser
{
    // Defaults are the attributes' own (their classes are compiled into the generator), never retyped here.
    private static readonly LinearWarmupAttribute s_warmup = new();
    private static readonly ReduceOnPlateauAttribute s_plateau = new();
    private static readonly OneCycleAttribute s_oneCycle = new();

    private readonly List<(AttributeData Attribute, string Name)> _decayAttributes = new();
    private AttributeData? _warmupAttribute;

    /// <summary>Remembers a schedule attribute; returns false if <paramref name="name"/> is not one.</summary>
    private bool CollectSchedule(AttributeData attribute, string name)
    {
        switch (name)
        {
            case nameof(LinearWarmupAttribute):
                _warmupAttribute = attribute;
                return true;
            case nameof(StepDecayAttribute):
            case nameof(MultiStepDecayAttribute):
            case nameof(ExponentialDecayAttribute):
            case nameof(PolynomialDecayAttribute):
            case nameof(CosineDecayAttribute):
            case nameof(CosineWarmRestartsAttribute):
            case nameof(OneCycleAttribute):
            case nameof(InverseSquareRootDecayAttribute):
            case nameof(ReduceOnPlateauAttribute):
                _decayAttributes.Add((attribute, name));
                return true;
            default:
                return false;
        }
    }

    private ScheduleSpec ParseSchedule(double baseRate)
    {
        for (int i = 1; i < _decayAttributes.Count; i++)
        {
            Report(
                DiagnosticDescriptors.TwoDecaySchedules,
                AttributeLocation(_decayAttributes[i].Attribute),
                Short(_decayAttributes[i].Name),
                Short(_decayAttributes[0].Name));
        }

        WarmupSchedule? warmup = null;
        if (_warmupAttribute is not null)
        {
            var values = new ScheduleReader(this, _warmupAttribute, "LinearWarmup");
            int steps = values.Steps(nameof(LinearWarmupAttribute.Steps), ScheduleParameters.Steps, s_warmup.Steps);
            double startFactor = values.Double(nameof(LinearWarmupAttribute.StartFactor), ScheduleParameters.StartFactor, s_warmup.StartFactor, v => v > 0 && v <= 1, "greater than 0 and at most 1");
            warmup = new WarmupSchedule(steps, startFactor);
        }

        if (_decayAttributes.Count == 0)
        {
            return new ScheduleSpec(warmup, null, default);
        }

        (AttributeData attribute, string name) = _decayAttributes[0];
        var reader = new ScheduleReader(this, attribute, Short(name));
        if (name == nameof(ReduceOnPlateauAttribute))
        {
            if (_warmupAttribute is not null)
            {
                Report(DiagnosticDescriptors.PlateauWithWarmup, AttributeLocation(_warmupAttribute));
            }

            var plateau = new List<ScheduleValue>
            {
                reader.Enum<PlateauMode>(nameof(ReduceOnPlateauAttribute.Mode), ScheduleParameters.Mode),
                reader.Value(nameof(ReduceOnPlateauAttribute.Factor), ScheduleParameters.Factor, s_plateau.Factor, v => v > 0 && v < 1, "greater than 0 and less than 1"),
                reader.Count(nameof(ReduceOnPlateauAttribute.Patience), ScheduleParameters.Patience, s_plateau.Patience),
                reader.Value(nameof(ReduceOnPlateauAttribute.Threshold), ScheduleParameters.Threshold, s_plateau.Threshold, v => v >= 0 && !double.IsInfinity(v), "finite and at least 0"),
                reader.Enum<PlateauThresholdMode>(nameof(ReduceOnPlateauAttribute.ThresholdMode), ScheduleParameters.ThresholdMode),
                reader.Count(nameof(ReduceOnPlateauAttribute.Cooldown), ScheduleParameters.Cooldown, s_plateau.Cooldown),
                reader.MinimumRate(nameof(ReduceOnPlateauAttribute.MinLearningRate), ScheduleParameters.MinLearningRate, baseRate),
                reader.Value(nameof(ReduceOnPlateauAttribute.MinimumChange), ScheduleParameters.MinimumChange, s_plateau.MinimumChange, v => v >= 0 && !double.IsInfinity(v), "finite and at least 0"),
            };

            // A relative threshold of 1 or more makes best·(1 − threshold) ≤ 0: no metric would ever count as better.
            if (plateau[4].Number == 0 && plateau[3].Number >= 1)
            {
                Report(DiagnosticDescriptors.InvalidScheduleValue, reader.Location(nameof(ReduceOnPlateauAttribute.Threshold)), "ReduceOnPlateau.Threshold", Show(plateau[3].Number), "less than 1 with a relative threshold");
            }

            return new ScheduleSpec(null, null, plateau.ToEquatableArray());
        }

        DecaySchedule decay = name switch
        {
            nameof(StepDecayAttribute) => Decay(ScheduleKind.Step, reader.StepValue(nameof(StepDecayAttribute.StepSize), ScheduleParameters.StepSize, null), reader.Gamma(new StepDecayAttribute().Gamma)),
            nameof(MultiStepDecayAttribute) => new DecaySchedule(ScheduleKind.MultiStep, EquatableArray.Create(reader.Gamma(new MultiStepDecayAttribute().Gamma)), reader.Milestones()),
            nameof(ExponentialDecayAttribute) => Decay(
                ScheduleKind.Exponential,
                reader.Gamma(null),
                reader.StepValue(nameof(ExponentialDecayAttribute.DecaySteps), ScheduleParameters.DecaySteps, new ExponentialDecayAttribute().DecaySteps),
                reader.Bool(nameof(ExponentialDecayAttribute.Staircase), ScheduleParameters.Staircase)),
            nameof(PolynomialDecayAttribute) => Decay(
                ScheduleKind.Polynomial,
                reader.StepValue(nameof(PolynomialDecayAttribute.TotalSteps), ScheduleParameters.TotalSteps, new PolynomialDecayAttribute().TotalSteps),
                reader.Value(nameof(PolynomialDecayAttribute.Power), ScheduleParameters.Power, new PolynomialDecayAttribute().Power, v => v >= 0 && !double.IsInfinity(v), "finite and at least 0", DiagnosticDescriptors.InvalidPower),
                reader.MinimumRate(nameof(PolynomialDecayAttribute.EndLearningRate), ScheduleParameters.EndRate, baseRate)),
            nameof(CosineDecayAttribute) => Decay(
                ScheduleKind.Cosine,
                reader.StepValue(nameof(CosineDecayAttribute.TotalSteps), ScheduleParameters.TotalSteps, null),
                reader.MinimumRate(nameof(CosineDecayAttribute.MinLearningRate), ScheduleParameters.MinRate, baseRate)),
            nameof(CosineWarmRestartsAttribute) => Decay(
                ScheduleKind.CosineWarmRestarts,
                reader.StepValue(nameof(CosineWarmRestartsAttribute.FirstPeriod), ScheduleParameters.FirstPeriod, null),
                reader.Value(nameof(CosineWarmRestartsAttribute.PeriodMultiplier), ScheduleParameters.PeriodMultiplier, new CosineWarmRestartsAttribute().PeriodMultiplier, v => v >= 1, "at least 1"),
                reader.MinimumRate(nameof(CosineWarmRestartsAttribute.MinLearningRate), ScheduleParameters.MinRate, baseRate)),
            nameof(OneCycleAttribute) => OneCycle(reader),
            _ => Decay(ScheduleKind.InverseSquareRoot, reader.StepValue(nameof(InverseSquareRootDecayAttribute.WarmupSteps), ScheduleParameters.WarmupSteps, null)),
        };

        if (!_failed && warmup is not null && decay.Kind is ScheduleKind.Polynomial or ScheduleKind.Cosine or ScheduleKind.OneCycle
            && warmup.Steps > decay[ScheduleParameters.TotalSteps])
        {
            Report(
                DiagnosticDescriptors.WarmupLongerThanDecay,
                AttributeLocation(_warmupAttribute!),
                Literal(warmup.Steps),
                Literal((long)decay[ScheduleParameters.TotalSteps]),
                Short(name));
        }

        return new ScheduleSpec(warmup, decay, default);
    }

    private DecaySchedule OneCycle(ScheduleReader reader)
    {
        ScheduleValue totalSteps = reader.StepValue(nameof(OneCycleAttribute.TotalSteps), ScheduleParameters.TotalSteps, null, minimum: 2);
        ScheduleValue fraction = reader.Value(nameof(OneCycleAttribute.WarmupFraction), ScheduleParameters.WarmupFraction, s_oneCycle.WarmupFraction, v => v > 0 && v < 1, "greater than 0 and less than 1");
        ScheduleValue anneal = reader.Enum<AnnealStrategy>(nameof(OneCycleAttribute.Anneal), ScheduleParameters.Anneal);
        ScheduleValue initialDivisor = reader.Value(nameof(OneCycleAttribute.InitialDivisor), ScheduleParameters.InitialDivisor, s_oneCycle.InitialDivisor, v => v > 0 && !double.IsInfinity(v), "finite and greater than 0");
        ScheduleValue finalDivisor = reader.Value(nameof(OneCycleAttribute.FinalDivisor), ScheduleParameters.FinalDivisor, s_oneCycle.FinalDivisor, v => v > 0 && !double.IsInfinity(v), "finite and greater than 0");
        ScheduleValue threePhase = reader.Bool(nameof(OneCycleAttribute.ThreePhase), ScheduleParameters.ThreePhase);

        // PyTorch's phases end at pct·T − 1 (and 2·pct·T − 2): each must be longer than the one before. Checked only
        // when TotalSteps and WarmupFraction are themselves valid, so one mistake gets one diagnostic.
        double t = totalSteps.Number;
        double p = fraction.Number;
        bool inputsValid = t >= 2 && p > 0 && p < 1;
        bool phasesValid = p * t > 1 && (threePhase.Number == 0 || p < (t + 1) / (2 * t));
        if (inputsValid && !phasesValid)
        {
            Report(
                DiagnosticDescriptors.InvalidScheduleValue,
                reader.Location(nameof(OneCycleAttribute.WarmupFraction)),
                "OneCycle.WarmupFraction",
                Show(p),
                threePhase.Number == 0
                    ? $"such that WarmupFraction·TotalSteps > 1 (TotalSteps is {Literal((long)t)}), or the warm-up phase is empty"
                    : $"such that WarmupFraction·TotalSteps > 1 and WarmupFraction < (TotalSteps + 1)/(2·TotalSteps) (TotalSteps is {Literal((long)t)}), or a phase is empty");
        }

        return Decay(ScheduleKind.OneCycle, totalSteps, fraction, anneal, initialDivisor, finalDivisor, threePhase);
    }

    private static DecaySchedule Decay(ScheduleKind kind, params ScheduleValue[] values) => new(kind, values.ToEquatableArray(), default);

    private static Location AttributeLocation(AttributeData attribute) =>
        attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? Location.None;

    private static string Short(string attributeName) => attributeName.Substring(0, attributeName.Length - "Attribute".Length);

    private static string Literal(long value) => Emit.Literal.Integer(value);

    /// <summary>Reads the named arguments of one schedule attribute, applying defaults and reporting invalid values.</summary>
    private sealed class ScheduleReader(Parser parser, AttributeData attribute, string attributeName)
    {
        public Location Location(string property) => ArgumentLocation(attribute, property, -1);

        public ScheduleValue Gamma(double? fallback) =>
            Value(nameof(StepDecayAttribute.Gamma), ScheduleParameters.Gamma, fallback, v => v > 0 && v <= 1, "greater than 0 and at most 1", DiagnosticDescriptors.InvalidGamma);

        /// <summary>A step count ≥ <paramref name="minimum"/>; <paramref name="fallback"/> null means required.</summary>
        public ScheduleValue StepValue(string property, ScheduleParameter parameter, int? fallback, int minimum = 1)
        {
            if (!TryGet(property, out TypedConstant constant))
            {
                if (fallback is null)
                {
                    parser.Report(DiagnosticDescriptors.MissingScheduleValue, AttributeLocation(attribute), attributeName, property);
                    return new ScheduleValue(parameter, double.NaN);
                }

                return new ScheduleValue(parameter, fallback.Value);
            }

            if (constant.Value is not int steps || constant.Kind != TypedConstantKind.Primitive)
            {
                parser.Report(DiagnosticDescriptors.UnreadableArgument, Location(property), $"{attributeName}.{property}");
                return new ScheduleValue(parameter, double.NaN);
            }

            if (steps < minimum)
            {
                parser.Report(DiagnosticDescriptors.InvalidStepCount, Location(property), $"{attributeName}.{property}", Literal(steps), Literal(minimum));
            }

            return new ScheduleValue(parameter, steps);
        }

        public int Steps(string property, ScheduleParameter parameter, int fallback)
        {
            double steps = StepValue(property, parameter, fallback).Number;
            return steps >= 1 ? (int)steps : fallback;
        }

        public ScheduleValue Count(string property, ScheduleParameter parameter, int fallback) =>
            Value(property, parameter, fallback, v => v >= 0, "at least 0");

        public double Double(string property, ScheduleParameter parameter, double fallback, Func<double, bool> valid, string range) =>
            Value(property, parameter, fallback, valid, range).Number;

        public ScheduleValue MinimumRate(string property, ScheduleParameter parameter, double baseRate)
        {
            ScheduleValue value = Value(property, parameter, 0, v => v >= 0 && !double.IsInfinity(v), "finite and at least 0");
            if (value.Number > baseRate && baseRate > 0 && !double.IsInfinity(baseRate))
            {
                parser.Report(DiagnosticDescriptors.RateAboveBase, Location(property), $"{attributeName}.{property}", Show(value.Number), Show(baseRate));
            }

            return value;
        }

        public ScheduleValue Value(
            string property,
            ScheduleParameter parameter,
            double? fallback,
            Func<double, bool> valid,
            string range,
            DiagnosticDescriptor? descriptor = null)
        {
            if (!TryGet(property, out TypedConstant constant))
            {
                if (fallback is null)
                {
                    parser.Report(DiagnosticDescriptors.MissingScheduleValue, AttributeLocation(attribute), attributeName, property);
                    return new ScheduleValue(parameter, double.NaN);
                }

                return new ScheduleValue(parameter, fallback.Value);
            }

            double? number = constant.Value switch
            {
                double d => d,
                int i => i,
                _ => null,
            };
            if (number is null || constant.Kind != TypedConstantKind.Primitive)
            {
                parser.Report(DiagnosticDescriptors.UnreadableArgument, Location(property), $"{attributeName}.{property}");
                return new ScheduleValue(parameter, double.NaN);
            }

            if (!valid(number.Value))
            {
                string shown = parameter.Type == ScheduleValueType.Int ? Literal((long)number.Value) : Show(number.Value);
                parser.Report(descriptor ?? DiagnosticDescriptors.InvalidScheduleValue, Location(property), $"{attributeName}.{property}", shown, range);
            }

            return new ScheduleValue(parameter, number.Value);
        }

        public ScheduleValue Bool(string property, ScheduleParameter parameter)
        {
            if (!TryGet(property, out TypedConstant constant))
            {
                return new ScheduleValue(parameter, 0);
            }

            if (constant.Value is not bool flag)
            {
                parser.Report(DiagnosticDescriptors.UnreadableArgument, Location(property), $"{attributeName}.{property}");
                return new ScheduleValue(parameter, 0);
            }

            return new ScheduleValue(parameter, flag ? 1 : 0);
        }

        public ScheduleValue Enum<TEnum>(string property, ScheduleParameter parameter)
            where TEnum : struct
        {
            if (!TryGet(property, out TypedConstant constant))
            {
                return new ScheduleValue(parameter, 0);
            }

            if (constant.Kind != TypedConstantKind.Enum || constant.Value is not int value || !System.Enum.IsDefined(typeof(TEnum), value))
            {
                parser.Report(DiagnosticDescriptors.UnreadableArgument, Location(property), $"{attributeName}.{property}");
                return new ScheduleValue(parameter, 0);
            }

            return new ScheduleValue(parameter, value);
        }

        public EquatableArray<int> Milestones()
        {
            if (!TryGet(nameof(MultiStepDecayAttribute.Milestones), out TypedConstant constant))
            {
                parser.Report(DiagnosticDescriptors.MissingScheduleValue, AttributeLocation(attribute), attributeName, nameof(MultiStepDecayAttribute.Milestones));
                return default;
            }

            if (constant.Kind != TypedConstantKind.Array || constant.IsNull || constant.Values.Any(v => v.Value is not int))
            {
                parser.Report(DiagnosticDescriptors.UnreadableArgument, Location(nameof(MultiStepDecayAttribute.Milestones)), $"{attributeName}.{nameof(MultiStepDecayAttribute.Milestones)}");
                return default;
            }

            int[] milestones = constant.Values.Select(v => (int)v.Value!).ToArray();
            bool increasing = true;
            for (int i = 1; i < milestones.Length; i++)
            {
                increasing &= milestones[i] > milestones[i - 1];
            }

            if (milestones.Length == 0 || milestones[0] < 1 || !increasing)
            {
                parser.Report(DiagnosticDescriptors.InvalidMilestones, Location(nameof(MultiStepDecayAttribute.Milestones)), string.Join(", ", milestones.Select(m => Literal(m))));
            }

            return milestones.ToEquatableArray();
        }

        private bool TryGet(string property, out TypedConstant constant)
        {
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                if (named.Key == property)
                {
                    constant = named.Value;
                    return true;
                }
            }

            constant = default;
            return false;
        }
    }
}
