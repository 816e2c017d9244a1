#!/usr/bin/env python3
"""Times PyTorch's CPU Adam (float32, defaults) over many small tensors, with and without foreach, for comparison with
`OptGen.Scale tensors` (benchmarks/OptGen.Scale/ManyTensors.cs), which steps the same tensor sizes: 10,000 tensors
of 64-4,096 elements by default, drawn from the same fixed-seed generator. One thread; median of the timed steps.

Run with Debian's python, which has torch:
    taskset -c 1 /usr/bin/python3 benchmarks/pytorch_tensors_bench.py [--count 10000] [--min 64] [--max 4096]
"""

import argparse
import statistics
import sys
import time

try:
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit("pytorch_tensors_bench.py: PyTorch is not importable by " + sys.executable +
             ".\nInstall it (Debian: apt-get install python3-torch) or run with /usr/bin/python3.")


def lengths(count, low, high):
    """ManyTensorsBenchmark.Lengths: a 32-bit linear congruential generator, uniform in [low, high]."""
    state = 12345
    result = []
    for _ in range(count):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        result.append(low + (((state >> 8) * (high - low + 1)) >> 24))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--min", type=int, default=64)
    parser.add_argument("--max", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=9)
    args = parser.parse_args()

    torch.set_num_threads(1)
    sizes = lengths(args.count, args.min, args.max)
    total = sum(sizes)
    print(f"PyTorch {torch.__version__} Adam over {args.count:,} tensors of {args.min:,}-{args.max:,} elements "
          f"({total:,} parameters), 1 thread, median of {args.steps} steps:")
    print("| Layout | ms/step | ns/param |")
    print("|---|--:|--:|")
    cases = [("One tensor of the same total size", [total], False),
             ("Many tensors, foreach=False", sizes, False),
             ("Many tensors, foreach=True", sizes, True)]
    for name, shape, foreach in cases:
        params = [torch.zeros(n, requires_grad=True) for n in shape]
        for p in params:
            p.grad = torch.sin(torch.arange(p.numel(), dtype=torch.float32)) * 1e-2
        opt = torch.optim.Adam(params, foreach=foreach)
        opt.step()
        times = []
        for _ in range(args.steps):
            start = time.perf_counter()
            opt.step()
            times.append(time.perf_counter() - start)
        ms = statistics.median(times) * 1e3
        print(f"| {name} | {ms:.2f} | {ms * 1e6 / total:.3f} |")


if __name__ == "__main__":
    main()
