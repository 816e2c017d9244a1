using System;
using System.ComponentModel;

namespace OptGen;

/// <summary>
/// Per-step scalar operations that generated optimizers call where <see cref="Math"/>'s differ from PyTorch's:
/// <see cref="Math.Sign(double)"/> returns an int and throws on NaN, <see cref="Math.Clamp(double, double, double)"/>
/// throws when the bounds are reversed. Each matches the lanes operation of the same name.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StepMath
{
    /// <summary><c>torch.sign</c>: 1 above zero, −1 below, +0 otherwise (±0 and NaN give +0).</summary>
    public static double Sign(double value) => (value > 0 ? 1.0 : 0.0) - (value < 0 ? 1.0 : 0.0);

    /// <summary><c>torch.clamp</c> with scalar bounds: see <see cref="ILanes{TSelf, T}.Clamp"/>.</summary>
    public static double Clamp(double value, double min, double max)
    {
        if (double.IsNaN(min) || double.IsNaN(max))
        {
            return BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000);
        }

        double raised = value < min ? min : value;
        return max < raised ? max : raised;
    }
}
