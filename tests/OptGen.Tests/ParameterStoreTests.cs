using System;
using System.Collections.Generic;
using System.Linq;

namespace OptGen.Tests;

/// <summary>A whole model in one store, stepped by one call.</summary>
public sealed class ParameterStoreTests
{
    private static readonly (string Name, int Length)[] Model =
        [("fc1.weight", 64 * 20), ("fc1.bias", 64), ("norm.weight", 7), ("fc2.weight", 10 * 64), ("fc2.bias", 10), ("empty", 0)];

    [Fact]
    public void Tensors_are_laid_out_in_order_on_64_byte_boundaries()
    {
        var store = new ParameterStore<float>(Model);
        Assert.Equal(Model.Select(t => t.Name), store.Tensors.Select(t => t.Name));
        int expectedOffset = 0;
        foreach (TensorSlice slice in store.Tensors)
        {
            Assert.Equal(expectedOffset, slice.Offset);
            Assert.Equal(0, slice.Offset % 16);
            expectedOffset += (slice.Length + 15) / 16 * 16;
        }

        Assert.Equal(expectedOffset, store.Length);
        Assert.Equal(7, store.Parameter("norm.weight").Length);
        Assert.Throws<KeyNotFoundException>(() => store.Gradient("missing").Length);
        Assert.Throws<ArgumentException>(() => new ParameterStore<float>([("a", 1), ("a", 2)]));
        Assert.Throws<ArgumentException>(() => new ParameterStore<float>([("a", -1)]));
    }

    [Fact]
    public void One_step_over_the_store_equals_a_step_per_tensor_and_leaves_padding_at_zero()
    {
        var store = new ParameterStore<float>(Model);
        var random = new Random(3);
        var perTensor = new Dictionary<string, (TestAdam Optimizer, float[] Parameters)>();
        foreach ((string name, int length) in Model)
        {
            float[] initial = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
            initial.CopyTo(store.Parameter(name));
            perTensor[name] = (new TestAdam(length), initial.ToArray());
        }

        var optimizer = new TestAdam(store.Length);
        for (int step = 0; step < 3; step++)
        {
            foreach ((string name, int length) in Model)
            {
                float[] gradients = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                gradients.CopyTo(store.Gradient(name));
                perTensor[name].Optimizer.Step(perTensor[name].Parameters, gradients);
            }

            optimizer.Step(store);
        }

        foreach ((string name, _) in Model)
        {
            Assert.Equal(perTensor[name].Parameters, store.Parameter(name).ToArray());
        }

        // Everything outside the tensors is padding, and stays zero.
        var used = new bool[store.Length];
        foreach (TensorSlice slice in store.Tensors)
        {
            Array.Fill(used, true, slice.Offset, slice.Length);
        }

        for (int i = 0; i < store.Length; i++)
        {
            if (!used[i])
            {
                Assert.Equal(0f, store.Parameters[i]);
            }
        }

        store.ZeroGradients();
        Assert.All(store.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }
}
