using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OptGen;

public static partial class BlockwiseQuantization
{
    /// <summary>
    /// What the fast paths need about one map, all derived at first use from the map and the reference's own comparison,
    /// and verified; a map that failed verification would leave <see cref="Verified"/> false and the reference in charge.
    /// </summary>
    /// <remarks>
    /// Between two consecutive entries the reference's choice (|x − high| &lt; |x − low| in float) is monotone in x,
    /// because float subtraction and absolute value are; across entries it is monotone too. So the code of x is the
    /// number of thresholds T_k ≤ x, T_k the smallest float the reference codes above k. Everything below counts those.
    /// </remarks>
    internal sealed class Tables
    {
        /// <summary>The signed map's tables.</summary>
        internal static readonly Tables SignedTables = new(Signed, isSigned: true);

        /// <summary>The unsigned map's tables.</summary>
        internal static readonly Tables UnsignedTables = new(Unsigned, isSigned: false);

        /// <summary>The bucket of 2⁻²⁴ (|x| &gt;&gt; 16): below it the code is that of 0 (the lowest threshold is above 2⁻²³).</summary>
        internal const uint FirstBucket = 0x3380;

        /// <summary>The bucket of 1: above it the reference clamps to 1.</summary>
        internal const uint LastBucket = 0x3F80;

        /// <summary>Buckets per sign.</summary>
        internal const int BucketCount = (int)(LastBucket - FirstBucket + 1);

        /// <summary>The smallest magnitude the AVX-512 path distinguishes, 2⁻²⁴; smaller ones share the code of 0.</summary>
        internal const float Tiny = 5.9604645E-08f;

        private Tables(float[] map, bool isSigned)
        {
            Map = map;
            IsSigned = isSigned;
            Zero = (byte)Array.IndexOf(map, 0f);
            Thresholds = ComputeThresholds(map);
            Buckets = GC.AllocateArray<uint>(2 * BucketCount, pinned: true);
            Planes = new byte[4 * 256];
            for (int c = 0; c < 256; c++)
            {
                uint bits = BitConverter.SingleToUInt32Bits(map[c]);
                for (int k = 0; k < 4; k++)
                {
                    Planes[k * 256 + c] = (byte)(bits >> (8 * k));
                }
            }

            // Byte k of map[127 + j] at k·128 + j (0, then the positive entries but 1), for the signed map's permutes by
            // |c − 127|.
            Magnitudes = new byte[4 * 128];
            for (int j = 0; j < 128; j++)
            {
                uint bits = BitConverter.SingleToUInt32Bits(map[127 + j]);
                for (int k = 0; k < 4; k++)
                {
                    Magnitudes[k * 128 + j] = (byte)(bits >> (8 * k));
                }
            }

            Verified = FillBuckets();
            Wide = Verified ? WideTables.Build(this) : null;
        }

        /// <summary>The map.</summary>
        internal float[] Map { get; }

        /// <summary>Signed or unsigned map.</summary>
        internal bool IsSigned { get; }

        /// <summary>The code of 0.</summary>
        internal byte Zero { get; }

        /// <summary>T_k, k = 0..254: the smallest float the reference codes k + 1 or above.</summary>
        internal float[] Thresholds { get; }

        /// <summary>
        /// By bucket |x| &gt;&gt; 16 (exponent and 7 mantissa bits) from <see cref="FirstBucket"/>, x ≥ 0 then (from
        /// <see cref="BucketCount"/>) x &lt; 0: with L the low 16 bits of |x| for x ≥ 0 and their complement for x &lt; 0
        /// (either way growing with x), the code at L = 0 in the upper half and, when a threshold lies inside the bucket,
        /// 0x10000 minus its L, so that (entry + L) &gt;&gt; 16 is the code of x. Pinned, for gathers. (The negative half
        /// is not the positive one mirrored: where the reference's two float distances round equal, the tie goes to the
        /// lower index, and such ties can span more than one float.)
        /// </summary>
        internal uint[] Buckets { get; }

        /// <summary>Byte k of map[c] at k·256 + c, for the unsigned map's byte permutes.</summary>
        internal byte[] Planes { get; }

        /// <summary>Byte k of map[127 + j] at k·128 + j, j = 0..127 (the signed map's 0 and its positive entries but 1).</summary>
        internal byte[] Magnitudes { get; }

        /// <summary>Whether the buckets hold at most one threshold each and negative values follow from positive ones.</summary>
        internal bool Verified { get; }

        /// <summary>The AVX-512 path's tables, or null where they could not be verified.</summary>
        internal WideTables? Wide { get; }

        /// <summary>The code of <paramref name="x"/> exactly as the reference gives it, from the buckets.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal byte Code(float x)
        {
            uint bits = BitConverter.SingleToUInt32Bits(x);
            uint magnitude = bits & 0x7FFF_FFFF;
            if (magnitude > 0x7F80_0000)
            {
                // NaN: every comparison of the reference's binary search fails, leaving index 0.
                return 0;
            }

            uint negative = bits >> 31;
            uint bucket = Math.Clamp(magnitude >> 16, FirstBucket, LastBucket) - FirstBucket + negative * BucketCount;
            return (byte)((Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Buckets), bucket) + ((magnitude ^ (0 - negative)) & 0xFFFF)) >> 16);
        }

        /// <summary>The reference's code for one value: nearest entry after clamping to [−1, 1], the lower on a tie.</summary>
        internal static byte ReferenceCode(float[] map, float x) => Nearest(map, Math.Clamp(x, -1f, 1f));

        /// <summary>An int whose order is the float order of <paramref name="x"/> (−0 just below +0).</summary>
        private static int OrderKey(float x)
        {
            int bits = BitConverter.SingleToInt32Bits(x);
            return bits < 0 ? bits ^ 0x7FFF_FFFF : bits;
        }

        private static float FromOrderKey(int key) => BitConverter.Int32BitsToSingle(key < 0 ? key ^ 0x7FFF_FFFF : key);

        /// <summary>Each threshold by bisection over float bit patterns between two entries, with the reference's comparison.</summary>
        private static float[] ComputeThresholds(float[] map)
        {
            var thresholds = new float[map.Length - 1];
            for (int k = 0; k < thresholds.Length; k++)
            {
                long low = OrderKey(map[k]), high = OrderKey(map[k + 1]);
                if (ReferenceCode(map, map[k]) != k || ReferenceCode(map, map[k + 1]) != k + 1)
                {
                    throw new InvalidOperationException($"Map entry {k} or {k + 1} does not code to itself.");
                }

                while (high - low > 1)
                {
                    long middle = (low + high) >> 1;
                    if (ReferenceCode(map, FromOrderKey((int)middle)) > k)
                    {
                        high = middle;
                    }
                    else
                    {
                        low = middle;
                    }
                }

                thresholds[k] = FromOrderKey((int)high);
            }

            return thresholds;
        }

        /// <summary>Fills <see cref="Buckets"/>; false if a bucket holds more than one threshold.</summary>
        private bool FillBuckets()
        {
            for (int half = 0; half < 2; half++)
            {
                for (uint bucket = FirstBucket; bucket <= LastBucket; bucket++)
                {
                    int first = ReferenceCode(Map, Value(bucket, half, 0));
                    int last = ReferenceCode(Map, Value(bucket, half, 0xFFFF));
                    uint entry = (uint)first << 16;
                    if (last == first + 1)
                    {
                        // The smallest L coded above L = 0; at least 1, as L = 0 itself is not.
                        uint low = 0, high = 0xFFFF;
                        while (high - low > 1)
                        {
                            uint middle = (low + high) >> 1;
                            if (ReferenceCode(Map, Value(bucket, half, middle)) > first)
                            {
                                high = middle;
                            }
                            else
                            {
                                low = middle;
                            }
                        }

                        entry += 0x10000 - high;
                    }
                    else if (last != first)
                    {
                        return false;
                    }

                    Buckets[(int)(bucket - FirstBucket) + half * BucketCount] = entry;
                }
            }

            // Below the first bucket everything codes as 0 (or −0) does; above the last, as ±1 does.
            float smallest = BitConverter.UInt32BitsToSingle(FirstBucket << 16);
            return ReferenceCode(Map, 0f) == Code(smallest) && ReferenceCode(Map, -0f) == Code(-smallest)
                && ReferenceCode(Map, 2f) == Code(1f) && ReferenceCode(Map, -2f) == Code(-1f);

            // The value of bucket and L: |x| = bucket·65536 + L for x ≥ 0, bucket·65536 + 0xFFFF − L for x &lt; 0.
            static float Value(uint bucket, int half, uint l) => half == 0
                ? BitConverter.UInt32BitsToSingle((bucket << 16) | l)
                : -BitConverter.UInt32BitsToSingle((bucket << 16) | (0xFFFF - l));
        }
    }

    /// <summary>
    /// The AVX-512 quantizer's tables. The magnitudes a ≥ 2⁻²⁴ split into regions by (bits(a) + <see cref="RegionOffset"/>)
    /// &gt;&gt; 23 (binades shifted so that the last threshold starts a region); each region has an affine W(a) placing
    /// its thresholds on integers (the map is linear inside each decade, and a binade straddling two decades still puts
    /// every threshold on the finer decade's lattice), the regions one after another, computed as one fma whose bits v
    /// hold W's integer part and fraction (see <see cref="Fixed"/>). <see cref="Codes"/> maps the integer part to the
    /// code. A value whose fraction lies within <see cref="DangerMask"/>'s window above an integer is too near a threshold
    /// for the float arithmetic and takes the exact path.
    /// </summary>
    internal sealed class WideTables
    {
        private WideTables(float[] slopes, float[] offsets, int regionOffset, int dangerMask, byte[] codes)
        {
            Slopes = slopes;
            Offsets = offsets;
            RegionOffset = regionOffset;
            DangerMask = dangerMask;
            Codes = codes;
        }

        /// <summary>By region &amp; 31: the fma's slope, W's times 2^(18+q) for the region's range [128q, 128q + 128) of W.</summary>
        internal float[] Slopes { get; }

        /// <summary>By region &amp; 31: the fma's offset, W's scaled likewise and moved into [2^(25+q), 2^(26+q)), plus half the danger window.</summary>
        internal float[] Offsets { get; }

        /// <summary>Added to bits(a) before the shift by 23 that gives the region.</summary>
        internal int RegionOffset { get; }

        /// <summary>v &amp; DangerMask == 0: too near a threshold.</summary>
        internal int DangerMask { get; }

        /// <summary>By W's integer part (v's bits 16..24): the code (256 entries for the signed map, of |x|; 512 for the unsigned).</summary>
        internal byte[] Codes { get; }

        /// <summary>
        /// v for magnitude <paramref name="a"/> (≥ 2⁻²⁴), as the vector code computes it: the bits of the float
        /// fma(a, slope, offset), which lies in [2²⁵, 2²⁹), so that its bits 16..24 are W's integer part (mantissa bits
        /// 16..22 and the exponent's two low bits, going 0, 1, 2, 3 over the four binades) and its bits 0..15 W's fraction
        /// times 65536, the float's own rounding doing the conversion.
        /// </summary>
        internal int Fixed(float a)
        {
            int slot = (int)(((uint)BitConverter.SingleToInt32Bits(a) + (uint)RegionOffset) >> 23) & 31;
            return BitConverter.SingleToInt32Bits(MathF.FusedMultiplyAdd(a, Slopes[slot], Offsets[slot]));
        }

        /// <summary>v of the integer W = <paramref name="integer"/>.</summary>
        internal static int Start(int integer) => (152 + (integer >> 7)) << 23 | (integer & 127) << 16;

        /// <summary>The tables for <paramref name="tables"/>'s map, or null if no verified construction fits.</summary>
        internal static WideTables? Build(Tables tables)
        {
            List<float> positive = [];
            foreach (float t in tables.Thresholds)
            {
                if (t > 0)
                {
                    positive.Add(t);
                }
            }

            uint tinyBits = BitConverter.SingleToUInt32Bits(Tables.Tiny);
            uint lastBits = BitConverter.SingleToUInt32Bits(positive[^1]);
            int regionOffset = (int)((128u << 23) - lastBits);
            int firstRegion = (int)((tinyBits + (uint)regionOffset) >> 23);
            int capacity = tables.IsSigned ? 256 : 512;
            if (firstRegion <= 128 - 32 || positive[0] <= Tables.Tiny * 2)
            {
                return null;
            }

            // Per region, in double: W(a) = slope·a + intercept, and each threshold's integer J; regions occupy disjoint
            // integer ranges in order, none across a multiple of 128 (see Fixed). A threshold starting a region gets the
            // region's first integer.
            int regions = 128 - firstRegion + 1;
            var slope = new double[regions];
            var intercept = new double[regions];
            var starts = new uint[regions + 1];
            var assigned = new int[positive.Count];
            int next = 0, index = 0;
            for (int r = 0; r < regions; r++)
            {
                int region = firstRegion + r;
                uint start = Math.Max(((uint)region << 23) - (uint)regionOffset, tinyBits);
                uint end = ((uint)(region + 1) << 23) - (uint)regionOffset;
                starts[r] = start;
                starts[r + 1] = end;
                List<double> inside = [];
                List<int> atStart = [];
                int first = index;
                for (; index < positive.Count && BitConverter.SingleToUInt32Bits(positive[index]) < end; index++)
                {
                    if (BitConverter.SingleToUInt32Bits(positive[index]) == start)
                    {
                        atStart.Add(index);
                    }
                    else
                    {
                        inside.Add(positive[index]);
                    }
                }

                double low = BitConverter.UInt32BitsToSingle(start), high = BitConverter.UInt32BitsToSingle(end - 1);
                double alpha = 0, beta = 0.5;
                var steps = new int[inside.Count];
                if (inside.Count > 0)
                {
                    double unit = Lattice(inside, high - low);
                    if (double.IsNaN(unit))
                    {
                        return null;
                    }

                    // Least squares through (t_i, k_i), k_i the lattice steps from the first threshold inside.
                    int m = inside.Count;
                    double sumT = 0, sumK = 0, sumTT = 0, sumTK = 0;
                    for (int i = 0; i < m; i++)
                    {
                        steps[i] = (int)Math.Round((inside[i] - inside[0]) / unit);
                        sumT += inside[i];
                        sumK += steps[i];
                        sumTT += inside[i] * inside[i];
                        sumTK += inside[i] * steps[i];
                    }

                    alpha = m == 1 ? 1 / unit : (m * sumTK - sumT * sumK) / (m * sumTT - sumT * sumT);
                    beta = m == 1 ? -inside[0] / unit : (sumK - alpha * sumT) / m;
                }

                int floorLow = (int)Math.Floor(alpha * low + beta), floorHigh = (int)Math.Floor(alpha * high + beta);
                if (next >> 7 != (next + floorHigh - floorLow) >> 7)
                {
                    next = (next >> 7) + 1 << 7;
                }

                int shift = next - floorLow;
                slope[r] = alpha;
                intercept[r] = beta + shift;
                foreach (int i in atStart)
                {
                    assigned[i] = next;
                }

                for (int i = 0, j = first + atStart.Count; i < inside.Count; i++, j++)
                {
                    assigned[j] = steps[i] + shift;
                }

                next += floorHigh - floorLow + 1;
            }

            if (next > capacity)
            {
                return null;
            }

            // The points whose windows must hold: the positive thresholds; for the signed map also, for x < 0, the
            // magnitudes from which |x| codes one lower, nextUp(|T|) for each negative T, each on its positive
            // counterpart's integer (so that −a codes max(0, 254 − code(a)), the last positive threshold having no
            // counterpart). The unsigned map codes every x < 0 as 0, which max(x, 2⁻²⁴) gives when no threshold is negative.
            List<(float Point, int Integer)> points = [];
            for (int i = 0; i < positive.Count; i++)
            {
                points.Add((positive[i], assigned[i]));
            }

            List<float> mirrored = [];
            foreach (float t in tables.Thresholds)
            {
                if (t <= 0)
                {
                    mirrored.Add(MathF.BitIncrement(-t));
                }
            }

            mirrored.Sort();
            if (tables.IsSigned ? mirrored.Count + 1 != positive.Count || tables.Zero != 127 : mirrored.Count != 0 || tables.Zero != 0)
            {
                return null;
            }

            for (int i = 0; i < mirrored.Count; i++)
            {
                points.Add((mirrored[i], assigned[i]));
            }

            // In float, with a danger window of 2·half around each multiple of 65536: the smallest that verifies.
            for (int half = 4; half <= 2048; half *= 2)
            {
                var slopes = new float[32];
                var offsets = new float[32];
                for (int r = 0; r < regions; r++)
                {
                    // W in [128q, 128q + 128) as the float 2^(18+q)·W + (1 − q)·2^(25+q), in [2^(25+q), 2^(26+q)).
                    int q = (int)Math.Floor(slope[r] * BitConverter.UInt32BitsToSingle(starts[r]) + intercept[r]) >> 7;
                    double scale = Math.ScaleB(1, 18 + q);
                    int slot = (firstRegion + r) & 31;
                    slopes[slot] = (float)(slope[r] * scale);
                    offsets[slot] = (float)(intercept[r] * scale + (1 - q) * Math.ScaleB(1, 25 + q) + half * Math.ScaleB(1, 2 + q));
                }

                var candidate = new WideTables(slopes, offsets, regionOffset, 0xFFFF & ~(2 * half - 1), new byte[capacity]);
                if (candidate.Verify(points, starts, half, capacity))
                {
                    byte[] codes = candidate.Codes;
                    for (int j = 0, count = 0; j < capacity; j++)
                    {
                        while (count < assigned.Length && assigned[count] <= j)
                        {
                            count++;
                        }

                        codes[j] = (byte)Math.Min(255, tables.Zero + count);
                    }

                    return candidate;
                }
            }

            return null;
        }

        /// <summary>
        /// For every point t with integer J: v(t) ≥ 65536·J and v(t⁻) &lt; 65536·J + 2·half (t⁻ the float below), and
        /// v never decreasing from region to region. Then a value outside the danger windows with v &gt;&gt; 16 = j lies
        /// at or above exactly the thresholds with J ≤ j.
        /// </summary>
        private bool Verify(List<(float Point, int Integer)> points, uint[] starts, int half, int capacity)
        {
            foreach ((float point, int integer) in points)
            {
                int j = Start(integer);
                if (Fixed(point) < j || Fixed(MathF.BitDecrement(point)) >= j + 2 * half)
                {
                    return false;
                }
            }

            int previous = int.MinValue;
            for (int r = 0; r + 1 < starts.Length; r++)
            {
                int first = Fixed(BitConverter.UInt32BitsToSingle(starts[r]));
                int last = Fixed(BitConverter.UInt32BitsToSingle(starts[r + 1] - 1));
                if (first < previous || first < Start(0) || last >= Start(capacity))
                {
                    return false;
                }

                previous = last;
            }

            return true;
        }

        /// <summary>
        /// The lattice spacing of a region's thresholds: the smallest gap divided by 1..8, the first whose multiples all
        /// gaps are (within 10⁻³); the region's width for a single threshold; NaN if none fits.
        /// </summary>
        private static double Lattice(List<double> inside, double width)
        {
            if (inside.Count == 1)
            {
                return width;
            }

            double smallest = double.PositiveInfinity;
            for (int i = 1; i < inside.Count; i++)
            {
                smallest = Math.Min(smallest, inside[i] - inside[i - 1]);
            }

            for (int divisor = 1; divisor <= 8; divisor++)
            {
                double unit = smallest / divisor;
                bool fits = true;
                for (int i = 1; i < inside.Count && fits; i++)
                {
                    double steps = (inside[i] - inside[0]) / unit;
                    fits = Math.Abs(steps - Math.Round(steps)) < 1e-3;
                }

                if (fits)
                {
                    return unit;
                }
            }

            return double.NaN;
        }
    }
}
