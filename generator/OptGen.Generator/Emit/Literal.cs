using System;
using System.Globalization;

namespace OptGen.Generator.Emit;

/// <summary>
/// C# literals for emitted constants: culture-invariant, and exact: the shortest round-trip form is used only if it
/// parses back to the same bits, otherwise 17 (double) or 9 (float) significant digits, which always round-trip.
/// </summary>
internal static class Literal
{
    public static string Double(double value)
    {
        if (double.IsNaN(value))
        {
            return "double.NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (BitConverter.DoubleToInt64Bits(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)) != BitConverter.DoubleToInt64Bits(value))
        {
            text = value.ToString("G17", CultureInfo.InvariantCulture);
        }

        // "-0" would parse as the integer 0 and lose the sign; "1" would be an int.
        return text.IndexOfAny(['.', 'E', 'e']) < 0 ? text + ".0" : text;
    }

    public static string Single(float value)
    {
        if (float.IsNaN(value))
        {
            return "float.NaN";
        }

        if (float.IsInfinity(value))
        {
            return value > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (SingleBits(float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)) != SingleBits(value))
        {
            text = value.ToString("G9", CultureInfo.InvariantCulture);
        }

        return text + "f";
    }

    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The value as a person writes it in comments and docs: no type suffix, no trailing ".0".</summary>
    public static string Readable(double value, bool single = false)
    {
        string text = single ? Single((float)value).TrimEnd('f') : Double(value);
        return text.EndsWith(".0", StringComparison.Ordinal) ? text.Substring(0, text.Length - 2) : text;
    }

    /// <summary>A C# string literal: quotes, backslashes and control characters escaped.</summary>
    public static string String(string text)
    {
        var literal = new System.Text.StringBuilder(text.Length + 2).Append('"');
        foreach (char c in text)
        {
            _ = c switch
            {
                '"' => literal.Append("\\\""),
                '\\' => literal.Append("\\\\"),
                < ' ' => literal.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => literal.Append(c),
            };
        }

        return literal.Append('"').ToString();
    }

    /// <summary>Escapes text for an XML doc comment.</summary>
    public static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static int SingleBits(float value) => BitConverter.ToInt32(BitConverter.GetBytes(value), 0);
}
