"""PyTorch's side of the clipping benchmark (ClippingBenchmarks.cs): one thread, a model of 200 float32 tensors,
torch.optim.Adam at its defaults, with and without torch.nn.utils.clip_grad_norm_(params, 1.0) before each step,
foreach off and on. Prints a table and writes benchmarks/results/clipping/pytorch.json.

    /usr/bin/python3 benchmarks/pytorch_clip_bench.py [--sizes 10000000,100000000]
"""

import argparse
import json
import os
import statistics
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(step, repeats):
    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000000,100000000")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        params = [torch.nn.Parameter(torch.empty(size // 200).uniform_(-1, 1)) for _ in range(200)]
        for p in params:
            p.grad = torch.empty_like(p).uniform_(-0.01, 0.01)
        originals = [p.grad.clone() for p in params]
        for foreach in (False, True):
            optimizer = torch.optim.Adam(params, lr=1e-3, foreach=foreach)

            def adam():
                optimizer.step()

            def clipped():
                for p, g in zip(params, originals):
                    p.grad.copy_(g)  # the same gradients each time; the copy is timed too, so subtract it below
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()

            def copy_only():
                for p, g in zip(params, originals):
                    p.grad.copy_(g)

            a = measure(adam, args.repeats)
            c = measure(clipped, args.repeats) - measure(copy_only, args.repeats)
            results.append(dict(parameters=size, tensors=200, foreach=foreach, adam_ms=a * 1e3, clip_then_adam_ms=c * 1e3))
            print(f"{size:>11,} foreach={foreach!s:5} Adam {a * 1e3:9.2f} ms   clip_grad_norm_ + Adam {c * 1e3:9.2f} ms   ratio {c / a:5.2f}")
        del params, originals
    out = os.path.join(HERE, "results", "clipping", "pytorch.json")
    with open(out, "w") as f:
        json.dump(dict(torch=torch.__version__, threads=1, results=results), f, indent=2)
    print("wrote", out)


if __name__ == "__main__":
    main()
