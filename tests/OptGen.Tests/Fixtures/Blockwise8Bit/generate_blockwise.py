"""Reference for OptGen's blockwise 8-bit state storage (bitsandbytes' scheme), written with torch ops.

Run from this folder with PyTorch 1.13 (Debian's ``/usr/bin/python3``):

    python3 generate_blockwise.py

bitsandbytes is not installable here; its algorithms are restated below from its source (bitsandbytes/functional.py
``create_dynamic_map``; the default backend's ``quantize_blockwise`` / ``dequantize_blockwise``, blocks of 256):

* the dynamic quantization maps, signed (first moments) and unsigned (second moments): 256 float32 values each;
* quantization: per block, absmax = max |x|; scaled = clamp(x * (1 / absmax), -1, 1); code = argmin |scaled - map|
  (the first index on a tie);
* dequantization: map[code] * absmax.

It writes ``maps.f32.bin`` (the signed map, then the unsigned map), ``inputs.f32.bin`` (the test vectors) and, for
each map, ``{signed,unsigned}.codes.bin`` (uint8), ``.absmax.f32.bin`` and ``.dequantized.f32.bin``.
"""

import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCK = 256


def create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8):
    data = []
    non_sign_bits = total_bits - 1
    additional_items = 2 ** (non_sign_bits - max_exponent_bits) - 1
    for i in range(max_exponent_bits):
        fraction_items = int(2 ** (i + non_sign_bits - max_exponent_bits) + 1 if signed
                             else 2 ** (i + non_sign_bits - max_exponent_bits + 1) + 1)
        boundaries = torch.linspace(0.1, 1, fraction_items)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
        if signed:
            data += (-(10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
    if additional_items > 0:
        boundaries = torch.linspace(0.1, 1, additional_items + 1)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
        if signed:
            data += (-(10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
    data.append(0)
    data.append(1.0)
    assert len(data) == 2 ** total_bits
    data += [0] * (256 - len(data))
    data.sort()
    return torch.tensor(data)


def quantize_blockwise(a, code):
    n = a.numel()
    blocks = (n + BLOCK - 1) // BLOCK
    padded = torch.nn.functional.pad(a, (0, blocks * BLOCK - n)).reshape(blocks, BLOCK)
    absmax = padded.abs().max(dim=-1)[0]
    scaled = torch.clamp(padded * (1 / absmax.view(-1, 1)), -1, 1).reshape(-1)[:n]
    codes = torch.argmin(torch.abs(scaled.unsqueeze(-1) - code), dim=-1).to(torch.uint8)
    return codes, absmax


def dequantize_blockwise(codes, absmax, code):
    n = codes.numel()
    blocks = absmax.numel()
    out = torch.nn.functional.pad(code[codes.long()], (0, blocks * BLOCK - n)).reshape(blocks, BLOCK)
    return (out * absmax.view(-1, 1)).reshape(-1)[:n]


def main():
    torch.set_num_threads(1)
    signed, unsigned = create_dynamic_map(True), create_dynamic_map(False)
    np.concatenate([signed.numpy(), unsigned.numpy()]).astype("<f4").tofile(os.path.join(HERE, "maps.f32.bin"))
    rng = np.random.default_rng(7)
    parts = [
        rng.standard_normal(256 * 3) * 1e-3,                # whole blocks
        np.zeros(256),                                      # a zero block (absmax 0: 0 * inf, as bitsandbytes gives)
        rng.standard_normal(256) * np.logspace(-8, 2, 256), # magnitudes across the map's range
        rng.standard_normal(101) * 5,                       # a partial last block
    ]
    inputs = np.concatenate(parts).astype(np.float32)
    inputs.astype("<f4").tofile(os.path.join(HERE, "inputs.f32.bin"))
    for name, code, values in (("signed", signed, inputs), ("unsigned", unsigned, np.abs(inputs))):
        a = torch.from_numpy(values.copy())
        codes, absmax = quantize_blockwise(a, code)
        codes.numpy().tofile(os.path.join(HERE, f"{name}.codes.bin"))
        absmax.numpy().astype("<f4").tofile(os.path.join(HERE, f"{name}.absmax.f32.bin"))
        dequantize_blockwise(codes, absmax, code).numpy().astype("<f4").tofile(os.path.join(HERE, f"{name}.dequantized.f32.bin"))
    print(torch.__version__, len(inputs), "values; maps", signed[:3].tolist(), unsigned[:3].tolist())


if __name__ == "__main__":
    main()
