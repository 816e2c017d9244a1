namespace OptGen.CodeFixes;

/// <summary>
/// The IDs of the generator's diagnostics that have a code fix. Written again here rather than referenced: this assembly
/// must load without the generator's; a test checks them against the generator's descriptors.
/// </summary>
internal static class DiagnosticIds
{
    public const string ClassMustBePartial = "OPTG001";

    public const string ContainingTypeMustBePartial = "OPTG002";

    public const string NotApplicable = "OPTG016";
}
