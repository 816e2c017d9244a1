using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Operations;
using OptGen.Generator.Diagnostics;
using OptGen.Generator.Ir;
using OptGen.Generator.Model;

namespace OptGen.Generator.Parsing;

/// <summary>
/// Translates the body of an <c>[ElementRule]</c> method, from its IOperation tree, into IR statements with the exact
/// arithmetic C# gives it, so that the generated step equals the method called element by element, bit for bit.
/// </summary>
/// <remarks>
/// <para>
/// Precision. Every value that reads the parameter, the gradient or a state (an element value) is computed in the
/// rule's element type T, as the lanes compute: an element operation that C# would compute in another type (float
/// times a double literal promotes to double) is rejected (OPTG065). Every other value is per-step and is hoisted into
/// the per-step scalars, which are doubles: a C# double operation is the same double operation; a C# float operation
/// on float operands (+ − × ÷ √) is computed in double and rounded to float (RoundToSingle), which gives the float
/// result exactly because double has more than twice float's precision; a float fused multiply-add has no such
/// guarantee and is rejected. A per-step float value is exact when the kernel converts it to T.
/// </para>
/// <para>
/// Conditions (comparisons, <c>&amp;&amp;</c>, <c>||</c>, <c>!</c>, bool locals) are kept symbolic and become selects
/// where a <c>?:</c> uses them; both arms of a <c>?:</c> are computed, which is exact because arms have no effects.
/// </para>
/// <para>The first unsupported construct is reported at its syntax and ends the translation.</para>
/// </remarks>
internal sealed class RuleTranslator
{
    /// <summary>Thrown after the first diagnostic: the translation stops there.</summary>
    internal sealed class RejectedException : Exception
    {
    }

    private enum Num
    {
        Single,
        Double,
        Integer,
        Bool,
    }

    private abstract record Cond;

    private sealed record Compare(ExprKind Kind, Value Left, Value Right) : Cond;

    private sealed record Not(Cond Operand) : Cond;

    private sealed record And(Cond Left, Cond Right) : Cond;

    private sealed record Or(Cond Left, Cond Right) : Cond;

    private sealed record Always(bool Holds) : Cond;

    /// <summary>A C# value: a number (its expression, C# type, whether it is per element) or a condition.</summary>
    private sealed record Value(Expr? Expr, Num Type, bool Element, Cond? Condition = null)
    {
        public bool IsElementCondition => Condition is not null && Mentions(Condition);

        private static bool Mentions(Cond c) => c switch
        {
            Compare x => x.Left.Element || x.Right.Element,
            Not x => Mentions(x.Operand),
            And x => Mentions(x.Left) || Mentions(x.Right),
            Or x => Mentions(x.Left) || Mentions(x.Right),
            _ => false,
        };
    }

    /// <summary>A state parameter of the method: its stream and the names it gets.</summary>
    public sealed record StateParameter(string Stream, string CheckpointName, double InitialValue, bool TensorNorm = false);

    /// <summary>A per-step state: a <c>ref</c> parameter of the <c>[BeforeStep]</c> method, and the names it gets.</summary>
    public sealed record ScalarParameter(string ParameterName, string Name, string CheckpointName, bool Single, double InitialValue);

    /// <summary>A method and its body's operations.</summary>
    public sealed record Method(IMethodSymbol Symbol, IOperation Body);

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        RuleProgram.ParametersStream, RuleProgram.GradientsStream, Expr.StepInput, Expr.LearningRateInput, Expr.GradientScaleInput, Expr.WeightDecayInput, Expr.PhaseInput, Expr.ParameterNormInput, Expr.UpdateNormInput, "g", "p", "one", "zero",
        "weightDecay", "weightDecayFactor", "unused1", "unused2", "unused3", "TLanes", "T", "i", "length", "value",
    };

    private readonly Action<DiagnosticDescriptor, Location, string[]> _report;
    private readonly Num _element;
    private readonly string _elementName;
    private readonly IMethodSymbol _method;
    private readonly IReadOnlyList<StateParameter> _states;
    private readonly Method? _beforeStep;
    private readonly IReadOnlyList<ScalarParameter> _scalars;

    // While the [BeforeStep] method is translated: every value is per step, so an if selects instead of branching the body.
    private bool _perStepOnly;
    private readonly Dictionary<ISymbol, Value?> _variables = new(SymbolEqualityComparer.Default);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Expr> _constants = new();
    private RuleBuilder _rule = null!;

    private RuleTranslator(IMethodSymbol method, ElementKind element, IReadOnlyList<StateParameter> states, Method? beforeStep, IReadOnlyList<ScalarParameter> scalars, Action<DiagnosticDescriptor, Location, string[]> report)
    {
        _method = method;
        _beforeStep = beforeStep;
        _scalars = scalars;
        _element = element == ElementKind.Single ? Num.Single : Num.Double;
        _elementName = element == ElementKind.Single ? "float" : "double";
        _states = states;
        _report = report;
        _names.UnionWith(Reserved);
        _names.UnionWith(states.Select(s => s.Stream));
    }

    /// <summary>
    /// The body of <see cref="Rules.CustomRule"/> for <paramref name="method"/>: declares the states, translates
    /// <paramref name="body"/> and stores the states it writes; returns the new parameter.
    /// </summary>
    /// <exception cref="RejectedException">A construct was reported; the program is not usable.</exception>
    public static Func<RuleBuilder, Expr, Expr, Expr, Expr> Body(
        Method method,
        ElementKind element,
        IReadOnlyList<StateParameter> states,
        Method? beforeStep,
        IReadOnlyList<ScalarParameter> scalars,
        Action<DiagnosticDescriptor, Location, string[]> report) =>
        (rule, gradient, parameter, learningRate) => new RuleTranslator(method.Symbol, element, states, beforeStep, scalars, report).Translate(rule, method.Body, gradient, parameter, learningRate);

    /// <summary>The camelCase stream name and snake_case checkpoint name of a state parameter.</summary>
    public static (string Stream, string CheckpointName) StateNames(string parameterName)
    {
        string name = parameterName.TrimStart('@');
        string stream = name.Length == 0 ? "state" : char.ToLowerInvariant(name[0]) + name.Substring(1);
        var snake = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && name[i - 1] != '_')
            {
                snake.Append('_');
            }

            snake.Append(char.ToLowerInvariant(c));
        }

        return (stream, snake.ToString());
    }

    private Expr Translate(RuleBuilder rule, IOperation body, Expr gradient, Expr parameter, Expr learningRate)
    {
        _rule = rule;
        IParameterSymbol[] parameters = _method.Parameters.ToArray();
        _variables[parameters[0]] = new Value(parameter, _element, true);
        _variables[parameters[1]] = new Value(gradient, _element, true);
        for (int i = 0; i < _states.Count; i++)
        {
            StateParameter state = _states[i];
            _variables[parameters[2 + i]] = new Value(rule.State(state.Stream, state.CheckpointName, $"State '{parameters[2 + i].Name}' of the rule.", state.InitialValue, state.TensorNorm), _element, true);
        }

        _learningRate = learningRate;
        if (_beforeStep is not null)
        {
            BeforeStep(_beforeStep, parameters.Skip(2 + _states.Count));
        }

        Execute(body);

        // Every new value is bound to a local before any store: a value may be another stream's old element
        // (old = expAvg; expAvg = …; parameter = old), which must be read before that stream is written.
        Expr newParameter = ElementLocal(_variables[parameters[0]]!, "p");
        var stores = new List<(string Stream, Expr Value)>();
        for (int i = 0; i < _states.Count; i++)
        {
            Value state = _variables[parameters[2 + i]]!;
            if (state.Expr is { Kind: ExprKind.Load } load && load.Name == _states[i].Stream)
            {
                continue;
            }

            stores.Add((_states[i].Stream, ElementLocal(state, _states[i].Stream + "New")));
        }

        foreach ((string stream, Expr value) in stores)
        {
            rule.Store(stream, value);
        }

        return newParameter;
    }

    private Expr _learningRate = null!;

    /// <summary>
    /// Translates the <c>[BeforeStep]</c> method into per-step statements: its states are read as they were after the
    /// last step, changed as its body changes them, stored for the next step, and their new values are what the
    /// element rule's by-value <paramref name="readers"/> of the same name receive.
    /// </summary>
    private void BeforeStep(Method beforeStep, IEnumerable<IParameterSymbol> readers)
    {
        IParameterSymbol[] parameters = beforeStep.Symbol.Parameters.Where(p => p.RefKind == RefKind.Ref).ToArray();
        var names = new string[_scalars.Count];
        for (int i = 0; i < _scalars.Count; i++)
        {
            ScalarParameter scalar = _scalars[i];
            names[i] = Fresh(scalar.Name);
            Expr before = _rule.ScalarState(names[i], scalar.CheckpointName, $"Per-step state '{scalar.ParameterName}' of the rule ([BeforeStep] {beforeStep.Symbol.Name}).", scalar.InitialValue);
            _variables[parameters[i]] = new Value(before, scalar.Single ? Num.Single : Num.Double, false);
        }

        _perStepOnly = true;
        Execute(beforeStep.Body);
        _perStepOnly = false;
        var after = new Dictionary<string, Value>(StringComparer.Ordinal);
        for (int i = 0; i < _scalars.Count; i++)
        {
            Value value = _variables[parameters[i]] ?? throw new InvalidOperationException("A ref parameter is always assigned.");
            if (!(value.Expr is { Kind: ExprKind.Local } local && local.Name == names[i]))
            {
                // Named, so the element rule reads the new value by name rather than recomputing it.
                value = value.Expr!.Kind is ExprKind.Local or ExprKind.Constant ? value : value with { Expr = _rule.Scalar(Fresh(names[i] + "Now"), value.Expr) };
                _rule.StoreScalarState(names[i], value.Expr!);
            }

            after[_scalars[i].ParameterName] = value;
        }

        foreach (IParameterSymbol reader in readers.Where(p => !(p.Type.Name == "StepContext")))
        {
            _variables[reader] = after[reader.Name];
        }
    }

    // Per-step branches written so far: two give at most four element bodies, the most a kernel takes (ProgramChecker).
    private const int MaxStepBranches = 2;
    private int _stepBranches;

    // ---- statements ----

    private void Execute(IOperation operation)
    {
        switch (operation)
        {
            case IMethodBodyOperation method:
                Execute(method.BlockBody ?? (IOperation?)method.ExpressionBody ?? throw Reject(operation, "a method without a body", "write the rule's body"));
                return;
            case IBlockOperation block:
                foreach (IOperation statement in block.Operations)
                {
                    Execute(statement);
                }

                return;
            case IVariableDeclarationGroupOperation group:
                foreach (IVariableDeclarationOperation declaration in group.Declarations)
                {
                    foreach (IVariableDeclaratorOperation declarator in declaration.Declarators)
                    {
                        if (declarator.Symbol.IsRef)
                        {
                            throw Reject(declarator, "a ref local", "use an ordinary local");
                        }

                        CheckLocalType(declarator.Symbol.Type, declarator);
                        IVariableInitializerOperation? initializer = declarator.Initializer ?? declaration.Initializer;
                        _variables[declarator.Symbol] = initializer is null ? null : Name(Evaluate(initializer.Value), declarator.Symbol.Name);
                    }
                }

                return;
            case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment }:
                Assign(assignment.Target, Evaluate(assignment.Value));
                return;
            case IExpressionStatementOperation { Operation: ICompoundAssignmentOperation compound }:
                Assign(compound.Target, CompoundValue(compound));
                return;
            case IExpressionStatementOperation { Operation: IIncrementOrDecrementOperation increment }:
                throw Reject(increment, "'++' and '--'", "write x += 1 or x -= 1");
            case IExpressionStatementOperation { Operation: IInvocationOperation call }:
                throw Reject(call, $"calling '{call.TargetMethod.Name}' as a statement", "a rule only assigns locals, the parameter and the states");
            case IReturnOperation { ReturnedValue: null, IsImplicit: true }:
            case IEmptyOperation:
                return;
            case IReturnOperation:
                throw Reject(operation, "'return'", "let the method run to its end; choose values with ?: instead");
            case IConditionalOperation conditional:
                If(conditional);
                return;
            case ILoopOperation:
                throw Reject(operation, "a loop", "a rule computes one element without loops; unroll it, or compute per-step values from step.Number");
            case IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation }:
                throw Reject(operation, "'throw'", "a vector step cannot throw for one element; remove it");
            case ITryOperation:
                throw Reject(operation, "'try'", "remove it");
            case ILocalFunctionOperation:
                throw Reject(operation, "a local function", "write its body inline");
            default:
                throw Reject(operation, Describe(operation), "see the supported grammar in the README's \"Write your own rule\"");
        }
    }

    /// <summary>
    /// An <c>if</c> statement. On a per-step condition the element statements of each arm go into a branch the step
    /// chooses once (<see cref="RuleBuilder.If"/>); per-step values are computed for both arms and selected. On an
    /// element condition both arms are computed for every element and each variable they change is selected, which is
    /// exact because the arms only assign values.
    /// </summary>
    private void If(IConditionalOperation statement)
    {
        Cond condition = Condition(statement.Condition);
        var before = new Dictionary<ISymbol, Value?>(_variables, SymbolEqualityComparer.Default);
        Dictionary<ISymbol, Value?> whenTrue;
        Dictionary<ISymbol, Value?> whenFalse;
        // Each branch the step chooses doubles the element bodies written; past the kernels' limit, selects do the same work exactly.
        if (new Value(null, Num.Bool, false, condition).IsElementCondition || _stepBranches == MaxStepBranches || _perStepOnly)
        {
            whenTrue = Arm(statement.WhenTrue, before);
            whenFalse = Arm(statement.WhenFalse, before);
            Merge(before, whenTrue, whenFalse, (symbol, a, b) => Choose(condition, a, b, TypeOf(VariableType(symbol), statement), statement));
            return;
        }

        // Variables of the element type that an arm assigns are element locals defined in both arms, under one name.
        var elementVariables = new Dictionary<ISymbol, string>(SymbolEqualityComparer.Default);
        foreach (IOperation target in new[] { statement.WhenTrue, statement.WhenFalse }.Where(a => a is not null).SelectMany(a => a!.DescendantsAndSelf())
            .Select(o => o is IAssignmentOperation assignment ? assignment.Target : null).OfType<IOperation>())
        {
            ISymbol? symbol = target switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
            if (symbol is not null && before.ContainsKey(symbol) && !elementVariables.ContainsKey(symbol) && TypeOf(VariableType(symbol), target) == _element)
            {
                elementVariables[symbol] = Fresh(symbol.Name);
            }
        }

        _stepBranches++;
        Expr mask = _rule.Scalar(Fresh("condition"), condition is Compare leaf
            ? new Expr(leaf.Kind, 0, string.Empty, new[] { leaf.Left.Expr!, leaf.Right.Expr! }.ToEquatableArray())
            : Expr.GreaterThan(Select(condition, Constant(1), Constant(0), false), Constant(0)));
        whenTrue = whenFalse = before;
        _rule.If(
            mask,
            () => whenTrue = Arm(statement.WhenTrue, before, elementVariables),
            () => whenFalse = Arm(statement.WhenFalse, before, elementVariables));
        Merge(before, whenTrue, whenFalse, (symbol, a, b) => elementVariables.TryGetValue(symbol, out string? name)
            ? new Value(Expr.Local(name), _element, true)
            : Choose(condition, a, b, TypeOf(VariableType(symbol), statement), statement));
    }

    /// <summary>Runs one arm from the variables before the <c>if</c>; returns the variables after it.</summary>
    private Dictionary<ISymbol, Value?> Arm(IOperation? arm, Dictionary<ISymbol, Value?> before, Dictionary<ISymbol, string>? elementVariables = null)
    {
        _variables.Clear();
        foreach (KeyValuePair<ISymbol, Value?> variable in before)
        {
            _variables[variable.Key] = variable.Value;
        }

        if (arm is not null)
        {
            Execute(arm);
        }

        foreach (KeyValuePair<ISymbol, string> variable in elementVariables ?? new Dictionary<ISymbol, string>(SymbolEqualityComparer.Default))
        {
            if (_variables[variable.Key] is { } value)
            {
                Let(variable.Value, ToElement(value));
            }
        }

        return new Dictionary<ISymbol, Value?>(_variables, SymbolEqualityComparer.Default);
    }

    /// <summary>Sets every variable that existed before an <c>if</c> to its value after it: unchanged, merged, or unassigned.</summary>
    private void Merge(Dictionary<ISymbol, Value?> before, Dictionary<ISymbol, Value?> whenTrue, Dictionary<ISymbol, Value?> whenFalse, Func<ISymbol, Value, Value, Value> merge)
    {
        _variables.Clear();
        foreach (ISymbol symbol in before.Keys)
        {
            Value? a = whenTrue[symbol];
            Value? b = whenFalse[symbol];

            // Assigned in one arm only, from unassigned: C# forbids reading it after the if.
            _variables[symbol] = a is null || b is null ? null
                : Equals(a, b) ? a
                : Name(merge(symbol, a, b), symbol.Name);
        }
    }

    private static ITypeSymbol? VariableType(ISymbol symbol) => symbol switch
    {
        ILocalSymbol local => local.Type,
        IParameterSymbol parameter => parameter.Type,
        _ => null,
    };

    private void CheckLocalType(ITypeSymbol type, IOperation at)
    {
        if (type.SpecialType is not (SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Boolean or SpecialType.System_Int32 or SpecialType.System_Int64))
        {
            throw Reject(at, $"a local of type '{type.ToDisplayString()}'", "locals are float, double, bool, int or long");
        }
    }

    private void Assign(IOperation target, Value value)
    {
        switch (target)
        {
            case IParameterReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Parameter, _method.Parameters[1]):
                throw Reject(target, "writing the gradient", "the gradient is read-only; compute the changed value in a local");
            case IParameterReferenceOperation reference when _variables.ContainsKey(reference.Parameter):
                _variables[reference.Parameter] = value.Element ? new Value(ElementLocal(value, reference.Parameter.Ordinal == 0 ? "p" : StateNames(reference.Parameter.Name).Stream + "New"), _element, true) : value;
                return;
            case ILocalReferenceOperation local:
                _variables[local.Local] = Name(value, local.Local.Name);
                return;
            case IFieldReferenceOperation:
                throw Reject(target, "writing a field", "a rule's state is its 'ref' parameters; per-step state is a 'ref' parameter of a [BeforeStep] method");
            default:
                throw Reject(target, "writing " + Describe(target), "a rule only assigns locals, the parameter and the states");
        }
    }

    /// <summary>A local's new value, named after it: element values and per-step numbers get their own statement.</summary>
    private Value Name(Value value, string name)
    {
        if (value.Condition is not null || value.Expr is null || value.Expr.Kind is ExprKind.Constant or ExprKind.Local or ExprKind.Load or ExprKind.Input)
        {
            return value;
        }

        return value.Element
            ? new Value(ElementLocal(value, name), _element, true)
            : new Value(_rule.Scalar(Fresh(name), value.Expr), value.Type, false);
    }

    private Value CompoundValue(ICompoundAssignmentOperation compound)
    {
        if (compound.OperatorMethod is not null)
        {
            throw Reject(compound, "a user-defined operator", "use float or double arithmetic");
        }

        Value current = Evaluate(compound.Target);
        Value operand = Evaluate(compound.Value);
        Num operationType = compound.InConversion.Exists && !compound.InConversion.IsIdentity ? TypeOf(compound.Value.Type, compound.Value) : TypeOf(compound.Target.Type, compound.Target);
        if (!compound.InConversion.IsIdentity && current.Element)
        {
            throw Reject(compound, ElementPrecision(compound, operationType));
        }

        current = current.Element ? current : Convert(current, operationType, compound);
        Value result = Arithmetic(compound.OperatorKind, current, operand, operationType, compound);
        return Convert(result, TypeOf(compound.Target.Type, compound.Target), compound);
    }

    // ---- expressions ----

    private Value Evaluate(IOperation operation)
    {
        if (operation.ConstantValue is { HasValue: true } constant)
        {
            return ConstantValue(constant.Value, operation);
        }

        switch (operation)
        {
            case IParameterReferenceOperation reference when _variables.TryGetValue(reference.Parameter, out Value? value):
                return value ?? throw Reject(operation, "an unassigned variable", "assign it first");
            case IParameterReferenceOperation:
                throw Reject(operation, "the StepContext as a value", "read step.Number or step.LearningRate");
            case ILocalReferenceOperation local:
                return _variables.TryGetValue(local.Local, out Value? localValue) && localValue is not null
                    ? localValue
                    : throw Reject(operation, $"reading '{local.Local.Name}' before it is assigned", "assign it first");
            case IPropertyReferenceOperation { Instance: IParameterReferenceOperation instance } property
                when instance.Parameter.Type.Name == "StepContext" && property.Property.Name == "Number":
                return new Value(RuleBuilder.Step, Num.Integer, false);
            case IPropertyReferenceOperation { Instance: IParameterReferenceOperation instance } property
                when instance.Parameter.Type.Name == "StepContext" && property.Property.Name == "LearningRate":
                return new Value(_learningRate, Num.Double, false);
            case IPropertyReferenceOperation { Instance: IParameterReferenceOperation instance } property
                when instance.Parameter.Type.Name == "StepContext" && property.Property.Name is "Pass" or "ParameterNorm" or "UpdateNorm":
                if (!_states.Any(s => s.TensorNorm))
                {
                    throw Reject(operation, $"step.{property.Property.Name} in a one-pass rule", "mark the state whose per-tensor norm the second pass reads with [TensorNorm]");
                }

                return property.Property.Name switch
                {
                    "Pass" => new Value(Expr.Input(Expr.PhaseInput), Num.Integer, false),
                    "ParameterNorm" => new Value(Expr.Input(Expr.ParameterNormInput), Num.Double, false),
                    _ => new Value(Expr.Input(Expr.UpdateNormInput), Num.Double, false),
                };
            case IConversionOperation conversion:
                if (conversion.OperatorMethod is not null)
                {
                    throw Reject(operation, "a user-defined conversion", "use float or double");
                }

                // An implicit conversion is the compiler's: report the operation that needs it.
                return Convert(Evaluate(conversion.Operand), TypeOf(conversion.Type, conversion), conversion.IsImplicit && conversion.Parent is { } parent ? parent : conversion);
            case IBinaryOperation binary:
                return Binary(binary);
            case IUnaryOperation unary:
                return Unary(unary);
            case IConditionalOperation { WhenFalse: not null } conditional when conditional.Type is not null && conditional.Type.SpecialType != SpecialType.System_Void:
                return Choose(Condition(conditional.Condition), Evaluate(conditional.WhenTrue), Evaluate(conditional.WhenFalse), TypeOf(conditional.Type, conditional), conditional);
            case IInvocationOperation invocation:
                return Call(invocation);
            case IFieldReferenceOperation field:
                throw Reject(operation, $"reading the field '{field.Field.Name}'", "only const fields are constants of a rule; make it const or a local");
            case IInstanceReferenceOperation:
                throw Reject(operation, "'this'", "the rule is static; use const fields and locals");
            case ISimpleAssignmentOperation or ICompoundAssignmentOperation or IIncrementOrDecrementOperation:
                throw Reject(operation, "an assignment inside an expression", "assign in a statement of its own");
            default:
                throw Reject(operation, Describe(operation), "see the supported grammar in the README's \"Write your own rule\"");
        }
    }

    private Value ConstantValue(object? value, IOperation at)
    {
        switch (value)
        {
            case float f:
                return new Value(Constant(f), Num.Single, false);
            case double d:
                return new Value(Constant(d), Num.Double, false);
            case int i:
                return new Value(Constant(i), Num.Integer, false);
            case long l when Math.Abs(l) <= (1L << 53):
                return new Value(Constant(l), Num.Integer, false);
            case bool b:
                return new Value(null, Num.Bool, false, new Always(b));
            case string:
                throw Reject(at, "a string", "a rule computes numbers only");
            default:
                throw Reject(at, $"the constant '{at.Syntax}'", "constants are float, double, int, long or bool");
        }
    }

    private Expr Constant(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        if (!_constants.TryGetValue(bits, out Expr? constant))
        {
            // Named per value, so the kernel declares each constant once.
            constant = Expr.Constant(Fresh("constant" + (_constants.Count + 1).ToString(CultureInfo.InvariantCulture)), value);
            _constants[bits] = constant;
        }

        return constant;
    }

    private Value Convert(Value value, Num to, IOperation at)
    {
        if (value.Type == to)
        {
            return value;
        }

        if (value.Condition is not null || to == Num.Bool)
        {
            throw Reject(at, "a conversion between bool and a number", "choose a number with ?:");
        }

        if (value.Element)
        {
            throw Reject(at, ElementPrecision(at, to));
        }

        return (value.Type, to) switch
        {
            (Num.Single or Num.Integer, Num.Double) => value with { Type = Num.Double },
            (Num.Double or Num.Integer, Num.Single) => new Value(Expr.RoundToSingle(value.Expr!), Num.Single, false),
            _ => throw Reject(at, "a conversion to an integer", "truncation has no vector equivalent here; keep the value in float or double"),
        };
    }

    private Value Binary(IBinaryOperation binary)
    {
        if (binary.OperatorMethod is not null)
        {
            throw Reject(binary, "a user-defined operator", "use float or double arithmetic");
        }

        switch (binary.OperatorKind)
        {
            case BinaryOperatorKind.ConditionalAnd:
                return new Value(null, Num.Bool, false, new And(Condition(binary.LeftOperand), Condition(binary.RightOperand)));
            case BinaryOperatorKind.ConditionalOr:
                return new Value(null, Num.Bool, false, new Or(Condition(binary.LeftOperand), Condition(binary.RightOperand)));
            case BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual
                or BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals:
                Value left = Evaluate(binary.LeftOperand);
                Value right = Evaluate(binary.RightOperand);
                if (left.Condition is not null || right.Condition is not null)
                {
                    throw Reject(binary, "comparing conditions", "combine conditions with && and ||");
                }

                if ((left.Element || right.Element) && (left.Type != _element || right.Type != _element))
                {
                    throw Reject(binary, ElementPrecision(binary, left.Type == _element ? right.Type : left.Type));
                }

                ExprKind kind = binary.OperatorKind switch
                {
                    BinaryOperatorKind.LessThan => ExprKind.LessThan,
                    BinaryOperatorKind.LessThanOrEqual => ExprKind.LessThanOrEqual,
                    BinaryOperatorKind.GreaterThan => ExprKind.GreaterThan,
                    BinaryOperatorKind.GreaterThanOrEqual => ExprKind.GreaterThanOrEqual,
                    BinaryOperatorKind.Equals => ExprKind.Equal,
                    _ => ExprKind.NotEqual,
                };
                return new Value(null, Num.Bool, false, new Compare(kind, left, right));
            default:
                return Arithmetic(binary.OperatorKind, Evaluate(binary.LeftOperand), Evaluate(binary.RightOperand), TypeOf(binary.Type, binary), binary);
        }
    }

    private Value Arithmetic(BinaryOperatorKind kind, Value left, Value right, Num type, IOperation at)
    {
        if (type == Num.Bool || left.Condition is not null || right.Condition is not null)
        {
            throw Reject(at, $"the operator {kind} on bool", "combine conditions with &&, || and !");
        }

        Func<Expr, Expr, Expr> operation = kind switch
        {
            BinaryOperatorKind.Add => (a, b) => a + b,
            BinaryOperatorKind.Subtract => (a, b) => a - b,
            BinaryOperatorKind.Multiply => (a, b) => a * b,
            BinaryOperatorKind.Divide when type != Num.Integer => (a, b) => a / b,
            BinaryOperatorKind.Divide => throw Reject(at, "integer division", "divide in double, e.g. (double)a / b"),
            _ => throw Reject(at, $"the operator {kind}", "use + - * / and Math functions"),
        };

        if (left.Element || right.Element)
        {
            if (type != _element)
            {
                throw Reject(at, ElementPrecision(at, type));
            }

            return new Value(operation(ToElement(left), ToElement(right)), _element, true);
        }

        // C# has converted both operands to the operation's type already (float, double, or an integer type).
        Expr result = operation(left.Expr!, right.Expr!);
        return new Value(type == Num.Single ? Expr.RoundToSingle(result) : result, type, false);
    }

    private Value Unary(IUnaryOperation unary)
    {
        if (unary.OperatorMethod is not null)
        {
            throw Reject(unary, "a user-defined operator", "use float or double arithmetic");
        }

        switch (unary.OperatorKind)
        {
            case UnaryOperatorKind.Plus:
                return Evaluate(unary.Operand);
            case UnaryOperatorKind.Minus:
                Value operand = Evaluate(unary.Operand);
                return operand.Condition is null ? operand with { Expr = -operand.Expr! } : throw Reject(unary, "negating a condition", "use !");
            case UnaryOperatorKind.Not:
                return new Value(null, Num.Bool, false, new Not(Condition(unary.Operand)));
            default:
                throw Reject(unary, $"the operator {unary.OperatorKind}", "use + - * / and Math functions");
        }
    }

    private Cond Condition(IOperation operation)
    {
        Value value = Evaluate(operation);
        return value.Condition ?? throw Reject(operation, "a number used as a condition", "compare it, e.g. x != 0");
    }

    /// <summary><paramref name="condition"/> ? <paramref name="whenTrue"/> : <paramref name="whenFalse"/>, as nested selects.</summary>
    private Value Choose(Cond condition, Value whenTrue, Value whenFalse, Num type, IOperation at)
    {
        if (type == Num.Bool)
        {
            // b ? x : y on conditions: (b && x) || (!b && y).
            return new Value(null, Num.Bool, false, new Or(new And(condition, whenTrue.Condition!), new And(new Not(condition), whenFalse.Condition!)));
        }

        bool element = whenTrue.Element || whenFalse.Element || new Value(null, Num.Bool, false, condition).IsElementCondition;
        if (element && type != _element)
        {
            throw Reject(at, ElementPrecision(at, type));
        }

        return element
            ? new Value(Select(condition, ToElement(whenTrue), ToElement(whenFalse), true), _element, true)
            : new Value(Select(condition, whenTrue.Expr!, whenFalse.Expr!, false), type, false);
    }

    private Expr Select(Cond condition, Expr whenTrue, Expr whenFalse, bool element) => condition switch
    {
        Always always => always.Holds ? whenTrue : whenFalse,
        Not not => Select(not.Operand, whenFalse, whenTrue, element),
        And and => Select(and.Left, Select(and.Right, whenTrue, whenFalse, element), whenFalse, element),
        Or or => Select(or.Left, whenTrue, Select(or.Right, whenTrue, whenFalse, element), element),
        // A per-step comparison in an element select: computed once per step as a number (its operands may be in
        // another precision than the elements), then tested per element.
        Compare compare when element && !compare.Left.Element && !compare.Right.Element => Expr.Select(
            Expr.NotEqual(
                _rule.Scalar(Fresh("condition"), Expr.Select(new Expr(compare.Kind, 0, string.Empty, new[] { compare.Left.Expr!, compare.Right.Expr! }.ToEquatableArray()), Constant(1), Constant(0))),
                Constant(0)),
            whenTrue,
            whenFalse),
        Compare compare => Expr.Select(
            new Expr(compare.Kind, 0, string.Empty, new[] { element ? ToElement(compare.Left) : compare.Left.Expr!, element ? ToElement(compare.Right) : compare.Right.Expr! }.ToEquatableArray()),
            whenTrue,
            whenFalse),
        _ => throw new InvalidOperationException("Unknown condition."),
    };

    private const string AllowedCalls = "a rule calls only Math/MathF Sqrt, Abs, Min, Max, Clamp, FusedMultiplyAdd, Exp, Log, (per step) Math.Pow, and RuleMath.Sign and Lerp";

    private Value Call(IInvocationOperation invocation)
    {
        IMethodSymbol method = invocation.TargetMethod;
        string type = method.ContainingType?.ToDisplayString() ?? string.Empty;
        string name = type + "." + method.Name;
        if (type == "OptGen.RuleMath" && method.Name == "Sign" && invocation.Arguments.Length == 1)
        {
            // torch.sign: the lanes' Sign on element values; per step the same comparisons as RuleMath.Sign's C#.
            Value x = Evaluate(invocation.Arguments[0].Value);
            Num signType = TypeOf(method.ReturnType, invocation);
            if (x.Element)
            {
                return signType == _element ? new Value(Expr.Sign(x.Expr!), _element, true) : throw Reject(invocation, ElementPrecision(invocation, signType));
            }

            Value zero = new(Constant(0), signType, false);
            return new Value(
                Select(new Compare(ExprKind.GreaterThan, x, zero), Constant(1), Select(new Compare(ExprKind.LessThan, x, zero), Constant(-1), Constant(0), false), false),
                signType,
                false);
        }

        if (type == "OptGen.RuleMath" && method.Name == "Lerp" && invocation.Arguments.Length == 3)
        {
            return Lerp(invocation);
        }

        if (type is not ("System.Math" or "System.MathF"))
        {
            throw Reject(invocation, $"calling '{method.ContainingType?.Name}.{method.Name}'", AllowedCalls);
        }

        if (method.Name == "Sign")
        {
            throw Reject(invocation, $"'{name}'", "it returns int and throws on NaN, which a vector step cannot do; use RuleMath.Sign (torch.sign: NaN and 0 give 0)");
        }

        if (method.Name is not ("Sqrt" or "Abs" or "Max" or "Min" or "FusedMultiplyAdd" or "Clamp" or "Pow" or "Exp" or "Log"))
        {
            throw Reject(invocation, $"calling '{name}'", AllowedCalls);
        }

        bool readsElement = invocation.Arguments.Any(a => ReadsElement(a.Value));
        if (method.Name == "Pow" && readsElement)
        {
            throw Reject(invocation, $"{method.ContainingType?.Name}.Pow on element values", "Pow is per-step only; on elements write Sqrt, a product, or Exp(y · Log(x)) (Exp and Log are vectorized within a stated ulp bound)");
        }

        if (method.Name is "Pow" or "Exp" or "Log" && type == "System.MathF" && !readsElement)
        {
            // Per step, MathF's are their own approximations, not Math's rounded to float: only Math's are reproduced.
            throw Reject(invocation, $"MathF.{method.Name} on per-step values", $"use Math.{method.Name} on doubles, and cast the result: (float)Math.{method.Name}(…)");
        }

        Value[] arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => Evaluate(a.Value)).ToArray();
        Num result = TypeOf(method.ReturnType, invocation);
        bool element = arguments.Any(a => a.Element);
        if (result is not (Num.Single or Num.Double) || arguments.Any(a => a.Type != result))
        {
            throw Reject(invocation, $"'{name}' on {method.ReturnType.ToDisplayString()}", method.Name == "Sign"
                ? "Math.Sign returns int and throws on NaN, which a vector step cannot do; use RuleMath.Sign (torch.sign: NaN and 0 give 0)"
                : "call its float or double overload");
        }

        if (element && result != _element)
        {
            throw Reject(invocation, ElementPrecision(invocation, result));
        }

        Expr[] operands = arguments.Select(a => element ? ToElement(a) : a.Expr!).ToArray();
        Expr value;
        switch (method.Name)
        {
            case "Sqrt" when operands.Length == 1:
                value = Expr.SquareRoot(operands[0]);
                break;
            case "Abs" when operands.Length == 1:
                value = Expr.Absolute(operands[0]);
                break;

            // .NET's Math.Max/Min are IEEE 754-2019 maximum/minimum (NaN propagates, +0 above −0), as the IR's.
            case "Max" when operands.Length == 2:
                value = Expr.Maximum(operands[0], operands[1]);
                break;
            case "Min" when operands.Length == 2:
                value = Expr.Minimum(operands[0], operands[1]);
                break;
            case "FusedMultiplyAdd" when operands.Length == 3:
                if (!element && result == Num.Single)
                {
                    throw Reject(invocation, "MathF.FusedMultiplyAdd on per-step values", "a float fused multiply-add cannot be computed exactly in double; use Math.FusedMultiplyAdd on doubles");
                }

                value = Expr.MultiplyAdd(operands[0], operands[1], operands[2]);
                break;
            case "Clamp" when operands.Length == 3:
                // Math.Clamp throws when min > max and returns x for a NaN bound; the IR's Clamp does neither, so the bounds must be constants that cannot differ.
                if (invocation.Arguments.Length != 3
                    || invocation.Arguments[1].Value.ConstantValue is not { HasValue: true } low
                    || invocation.Arguments[2].Value.ConstantValue is not { HasValue: true } high
                    || !(System.Convert.ToDouble(low.Value, CultureInfo.InvariantCulture) <= System.Convert.ToDouble(high.Value, CultureInfo.InvariantCulture)))
                {
                    throw Reject(invocation, "Clamp with bounds that are not constants with min ≤ max", "Math.Clamp throws when min > max and ignores NaN bounds, which a vector step cannot reproduce; use constant bounds, or Math.Min and Math.Max");
                }

                value = Expr.Clamp(operands[0], operands[1], operands[2]);
                break;
            case "Pow" when operands.Length == 2:
                if (element)
                {
                    throw Reject(invocation, "Math.Pow on element values", "Pow is per-step only (its operands may not read the parameter, gradient or states)");
                }

                value = Expr.Power(operands[0], operands[1]);
                break;
            case "Exp" when operands.Length == 1:
                value = Expr.Exponential(operands[0]);
                break;
            case "Log" when operands.Length == 1:
                value = Expr.Logarithm(operands[0]);
                break;
            case "Sign":
                throw Reject(invocation, $"'{name}'", "it returns int and throws on NaN, which a vector step cannot do; use RuleMath.Sign (torch.sign: NaN and 0 give 0)");
            default:
                throw Reject(invocation, $"calling '{name}'", AllowedCalls);
        }

        // Per-step float results are rounded as MathF rounds; Abs, Min, Max and Clamp return an operand, so rounding changes nothing.
        return new Value(!element && result == Num.Single ? Expr.RoundToSingle(value) : value, result, element);
    }

    /// <summary>
    /// <c>RuleMath.Lerp(start, end, weight)</c>, as its C# computes it (PyTorch's CPU lerp):
    /// |w| &lt; 0.5 ? fma(w, end − start, start) : fma(−(end − start), 1 − w, end), both arms computed and one selected,
    /// or the one a constant weight picks.
    /// </summary>
    private Value Lerp(IInvocationOperation invocation)
    {
        Value[] arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => Evaluate(a.Value)).ToArray();
        Num type = TypeOf(invocation.TargetMethod.ReturnType, invocation);
        (Value start, Value end, Value weight) = (arguments[0], arguments[1], arguments[2]);
        bool element = arguments.Any(a => a.Element);
        if (element && type != _element)
        {
            throw Reject(invocation, ElementPrecision(invocation, type));
        }

        if (!element && type == Num.Single)
        {
            throw Reject(invocation, "RuleMath.Lerp on per-step float values", "its fused multiply-adds cannot be computed exactly in double; call the double overload and cast the result");
        }

        Value difference = Arithmetic(BinaryOperatorKind.Subtract, end, start, type, invocation);
        if (difference.Element)
        {
            difference = difference with { Expr = ElementLocal(difference, "difference") };
        }

        Expr Operand(Value value) => element ? ToElement(value) : value.Expr!;

        Value FromStart() => new(Expr.MultiplyAdd(Operand(weight), Operand(difference), Operand(start)), type, element);

        Value FromEnd()
        {
            Value complement = Arithmetic(BinaryOperatorKind.Subtract, new Value(Constant(1), type, false), weight, type, invocation);
            return new(Expr.MultiplyAdd(-Operand(difference), Operand(complement), Operand(end)), type, element);
        }

        // A constant weight (m.lerp_(g, 1 − β)) picks its formula here, once.
        if (!weight.Element && weight.Expr is { Kind: ExprKind.Constant } constant)
        {
            return Math.Abs(constant.Value) < 0.5 ? FromStart() : FromEnd();
        }

        Value magnitude = weight with { Expr = Expr.Absolute(Operand(weight)) };
        Cond small = new Compare(ExprKind.LessThan, magnitude, new Value(Constant(0.5), type, false));
        return Choose(small, FromStart(), FromEnd(), type, invocation);
    }

    // ---- helpers ----

    /// <summary>Whether <paramref name="operation"/> reads a variable that holds an element value.</summary>
    private bool ReadsElement(IOperation operation) =>
        operation.DescendantsAndSelf().Any(o => o switch
        {
            IParameterReferenceOperation p => _variables.TryGetValue(p.Parameter, out Value? v) && v is { Element: true },
            ILocalReferenceOperation l => _variables.TryGetValue(l.Local, out Value? v) && v is ({ Element: true } or { Condition: not null }) && (v.Element || v.IsElementCondition),
            _ => false,
        });

    /// <summary>An element operand: element values as they are, per-step values hoisted into a named per-step scalar.</summary>
    private Expr ToElement(Value value)
    {
        if (value.Condition is not null)
        {
            throw new InvalidOperationException("A condition is not a number.");
        }

        if (value.Element)
        {
            return value.Expr!;
        }

        if (value.Type != _element && value.Type != Num.Integer)
        {
            // Only reached for values C# converts exactly (float to double).
            if (!(value.Type == Num.Single && _element == Num.Double))
            {
                throw new InvalidOperationException("An element operand in another precision.");
            }
        }

        Expr expr = value.Expr!;
        if (value.Type == Num.Integer && _element == Num.Single)
        {
            expr = Expr.RoundToSingle(expr);
        }

        return expr.Kind is ExprKind.Constant or ExprKind.Local ? expr : _rule.Scalar(Fresh("perStep"), expr);
    }

    /// <summary>An element local holding <paramref name="value"/>, named after <paramref name="name"/>.</summary>
    private Expr ElementLocal(Value value, string name)
    {
        Expr expr = ToElement(value);
        return expr.Kind == ExprKind.Local && !expr.Name.StartsWith("perStep", StringComparison.Ordinal) && _elementLocalNames.Contains(expr.Name)
            ? expr
            : Let(Fresh(name), expr);
    }

    private readonly HashSet<string> _elementLocalNames = new(StringComparer.Ordinal);

    private Expr Let(string name, Expr value)
    {
        _elementLocalNames.Add(name);
        return _rule.Let(name, value);
    }

    /// <summary>A name no other local, stream, input or C# keyword has.</summary>
    private string Fresh(string name)
    {
        name = name.TrimStart('@');
        string candidate = name;
        for (int i = 2; _names.Contains(candidate) || SyntaxFacts.GetKeywordKind(candidate) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(candidate) != SyntaxKind.None; i++)
        {
            candidate = name + i.ToString(CultureInfo.InvariantCulture);
        }

        _names.Add(candidate);
        return candidate;
    }

    private Num TypeOf(ITypeSymbol? type, IOperation at) => type?.SpecialType switch
    {
        SpecialType.System_Single => Num.Single,
        SpecialType.System_Double => Num.Double,
        SpecialType.System_Int32 or SpecialType.System_Int64 => Num.Integer,
        SpecialType.System_Boolean => Num.Bool,
        _ => throw Reject(at, $"a value of type '{type?.ToDisplayString() ?? "unknown"}'", "a rule computes float, double, int, long and bool values"),
    };

    private string[] ElementPrecision(IOperation at, Num type) =>
        [at.Syntax.ToString(), type switch { Num.Single => "float", Num.Double => "double", _ => "an integer type" }, _elementName];

    private RejectedException Reject(IOperation at, string[] precision)
    {
        _report(DiagnosticDescriptors.ElementComputedInOtherType, at.Syntax.GetLocation(), precision);
        return new RejectedException();
    }

    private RejectedException Reject(IOperation at, string construct, string instead)
    {
        if (at.Kind == OperationKind.Invalid || at.Syntax.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            // Code that does not compile: the compiler reports it, and nothing is generated.
            return new RejectedException();
        }

        _report(DiagnosticDescriptors.UnsupportedInElementRule, at.Syntax.GetLocation(), [construct, instead]);
        return new RejectedException();
    }

    private static string Describe(IOperation operation) => operation.Kind switch
    {
        OperationKind.ObjectCreation or OperationKind.ArrayCreation or OperationKind.AnonymousObjectCreation => "allocation",
        OperationKind.Invalid => "code that does not compile",
        _ => "'" + operation.Syntax.ToString().Split('\n')[0].Trim() + "' (" + operation.Kind.ToString() + ")",
    };
}
