// Trains the digits sample's perceptron with update rules written as [ElementRule] methods (Rules.cs): AdaBelief, Adan,
// AdEMAMix and Sophia's clipped update, next to the Adam and AdamW presets. See README.md in this folder, or run with --help.

using OptGen.Samples.CustomRule;

return CustomRuleCommand.Invoke(args);
