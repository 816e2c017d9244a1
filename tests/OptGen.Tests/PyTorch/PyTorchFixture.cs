using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace OptGen.Tests.PyTorch;

/// <summary>The committed PyTorch 1.13 reference trajectories (see Fixtures/PyTorch/generate.py).</summary>
internal sealed class PyTorchFixture
{
    private static readonly Lazy<PyTorchFixture> Shared = new(Load);

    private PyTorchFixture(int length, int steps, double[] inputs)
    {
        Length = length;
        Steps = steps;
        InitialParameters = inputs.AsSpan(0, length).ToArray();
        Gradients = inputs.AsSpan(length).ToArray();
    }

    public static PyTorchFixture Instance => Shared.Value;

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "PyTorch");

    public int Length { get; }

    public int Steps { get; }

    public double[] InitialParameters { get; }

    /// <summary>Steps × Length gradients, step by step.</summary>
    public double[] Gradients { get; }

    public ReadOnlySpan<double> GradientsOfStep(int step) => Gradients.AsSpan(step * Length, Length);

    /// <summary>PyTorch's parameters after each step of the float32 run: Steps × Length.</summary>
    public static float[] SingleTrajectory(string name) => Read<float>($"{name}.f32.bin");

    /// <summary>PyTorch's parameters after each step of the float64 run: Steps × Length.</summary>
    public static double[] DoubleTrajectory(string name) => Read<double>($"{name}.f64.bin");

    /// <summary>PyTorch's state buffer <paramref name="buffer"/> after each step of the float32 run: Steps × Length.</summary>
    public static float[] SingleStateTrajectory(string name, string buffer) => Read<float>($"{name}.{buffer}.f32.bin");

    /// <summary>PyTorch's state buffer <paramref name="buffer"/> after each step of the float64 run: Steps × Length.</summary>
    public static double[] DoubleStateTrajectory(string name, string buffer) => Read<double>($"{name}.{buffer}.f64.bin");

    /// <summary>The (config, state buffer) pairs whose state the fixtures record after each step (manifest's <c>state</c>).</summary>
    public static (string Name, string Buffer)[] RecordedStates()
    {
        using JsonDocument manifest = ReadManifest();
        var pairs = new System.Collections.Generic.List<(string, string)>();
        foreach (JsonElement config in manifest.RootElement.GetProperty("configs").EnumerateArray())
        {
            if (config.TryGetProperty("state", out JsonElement buffers))
            {
                foreach (JsonElement buffer in buffers.EnumerateArray())
                {
                    pairs.Add((config.GetProperty("name").GetString()!, buffer.GetString()!));
                }
            }
        }

        return pairs.ToArray();
    }

    /// <summary>The names of the configs the fixtures hold (manifest's <c>configs</c>), in the manifest's order.</summary>
    public static string[] ConfigNames()
    {
        using JsonDocument manifest = ReadManifest();
        var names = new System.Collections.Generic.List<string>();
        foreach (JsonElement config in manifest.RootElement.GetProperty("configs").EnumerateArray())
        {
            names.Add(config.GetProperty("name").GetString()!);
        }

        return names.ToArray();
    }

    /// <summary>Schedule-Free: the parameters after the last step and the reference's <c>eval()</c>, float32 run: Length.</summary>
    public static float[] SingleEvaluationPoint(string name) => Read<float>($"{name}.eval.f32.bin");

    /// <summary>Schedule-Free: the same for the float64 run.</summary>
    public static double[] DoubleEvaluationPoint(string name) => Read<double>($"{name}.eval.f64.bin");

    private static PyTorchFixture Load()
    {
        using JsonDocument manifest = ReadManifest();
        int length = manifest.RootElement.GetProperty("length").GetInt32();
        int steps = manifest.RootElement.GetProperty("steps").GetInt32();
        double[] inputs = Read<double>("inputs.f64.bin");
        if (inputs.Length != length * (steps + 1))
        {
            throw new InvalidDataException($"inputs.f64.bin holds {inputs.Length} values, expected {length * (steps + 1)}.");
        }

        return new PyTorchFixture(length, steps, inputs);
    }

    private static JsonDocument ReadManifest() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));

    private static T[] Read<T>(string file)
        where T : unmanaged
    {
        // Fixtures are little-endian, as is every platform .NET runs these tests on.
        byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, file));
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }
}
