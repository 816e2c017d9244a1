using System;

namespace OptGen.Tests;

/// <summary>The rule helpers against PyTorch 1.13.</summary>
public sealed class RuleMathTests
{
    /// <summary>
    /// torch.lerp(a, b, w) on float32 CPU tensors with a scalar weight (Debian's python3-torch 1.13), at elements where
    /// the unfused formula a + w·(b − a) / b − (b − a)·(1 − w) gives another float: PyTorch fuses the multiply-add.
    /// </summary>
    [Theory]
    [InlineData(-0.8019314408302307f, -1.360262155532837f, 0.1f, 0xbf5b9675u)]
    [InlineData(-0.08369619399309158f, 2.415440082550049f, 0.1f, 0x3e2a34e7u)]
    [InlineData(-0.7847803831100464f, 0.9168951511383057f, 0.3f, 0xbe8c6e21u)]
    [InlineData(0.7487457990646362f, -1.5545613765716553f, 0.3f, 0x3d6c8f19u)]
    [InlineData(-0.24836161732673645f, -1.4845319986343384f, 0.49f, 0xbf5aa553u)]
    [InlineData(-0.7847803831100464f, 0.9168951511383057f, 0.49f, 0x3d48ded8u)]
    [InlineData(0.10970640182495117f, -0.06459785252809525f, 0.7f, 0xbc49a186u)]
    [InlineData(-0.5526472926139832f, -0.02215365506708622f, 0.7f, 0xbe39a72au)]
    [InlineData(-1.4623278379440308f, 0.0014731524279341102f, 0.999f, 0x371d34e8u)]
    [InlineData(-1.505789041519165f, 0.20255422592163086f, 0.999f, 0x3e4daa8du)]
    public void Lerp_is_torch_lerp_bit_for_bit(float start, float end, float weight, uint torchBits)
    {
        Assert.Equal(torchBits, (uint)BitConverter.SingleToInt32Bits(RuleMath.Lerp(start, end, weight)));
    }

    [Fact]
    public void Lerp_reaches_its_ends_exactly()
    {
        Assert.Equal(3f, RuleMath.Lerp(3f, 7f, 0f));
        Assert.Equal(7f, RuleMath.Lerp(3f, 7f, 1f));
        Assert.Equal(-2.5, RuleMath.Lerp(0.1, -2.5, 1.0));
        Assert.Equal(0.1, RuleMath.Lerp(0.1, -2.5, 0.0));
    }
}
