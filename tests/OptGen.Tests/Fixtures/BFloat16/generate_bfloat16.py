"""PyTorch oracle for OptGen.BFloat16's narrowing (float32 -> bfloat16).

Run from this folder with PyTorch 1.13 (Debian's ``/usr/bin/python3``):

    python3 generate_bfloat16.py

It writes ``float_to_bfloat16.bin``: little-endian pairs (uint32 float32 bits, uint16 bfloat16 bits, uint16 0) for
edge cases (zeros, subnormals, ties at every position that matters, the largest finite values, infinities, NaNs of both
signs and several payloads) and 200,000 random bit patterns, each converted by ``tensor.to(torch.bfloat16)`` on the
CPU, both one element at a time (the scalar kernel) and as one large tensor (the vectorized kernel); the script checks
that the two agree and records their result.
"""

import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    rng = np.random.default_rng(20261201)
    edges = [
        0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x00007FFF, 0x00008000, 0x00008001, 0x00018000, 0x007FFFFF,
        0x00800000, 0x3F800000, 0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, 0x3F80FFFF, 0xBF808000, 0xBF818000,
        0x7F7F7FFF, 0x7F7F8000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001,
        0xFF800001, 0x7FFFFFFF, 0x7FA00000, 0x7F810000, 0x3DCCCCCD, 0x40490FDB,
    ]
    values = np.array(edges + list(rng.integers(0, 2**32, size=200_000, dtype=np.uint64)), dtype=np.uint32)
    floats = values.view(np.float32)
    vector = torch.from_numpy(floats.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    scalar = np.array([torch.tensor([f], dtype=torch.float32).to(torch.bfloat16).view(torch.int16).item() & 0xFFFF for f in floats[:5000]], dtype=np.uint16)
    assert (scalar == vector[:5000]).all(), "scalar and vectorized kernels differ"
    out = np.zeros(len(values), dtype=[("f", "<u4"), ("b", "<u2"), ("pad", "<u2")])
    out["f"] = values
    out["b"] = vector
    out.tofile(os.path.join(HERE, "float_to_bfloat16.bin"))
    nan = np.isnan(floats)
    print(torch.__version__, len(values), "values;", "NaN results:", sorted({hex(b) for b in vector[nan]}))


if __name__ == "__main__":
    main()
