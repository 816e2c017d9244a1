"""Reference trajectories of Adam and AdamW with blockwise 8-bit state (bitsandbytes' Adam8bit / AdamW8bit), torch ops.

Run with PyTorch 1.13 (Debian's ``/usr/bin/python3``); it writes ``adam8bit.bin`` next to this script:

    python3 generate_adam8bit.py

bitsandbytes is not installable here, so its update is restated from its source (bitsandbytes-foundation/bitsandbytes
at 95f9af309d4d5793847169c39288dcd3fcbdf564):

* ``bitsandbytes/backends/triton/kernels_optim.py``, ``optimizer_update_8bit_blockwise_pytorch`` ("Pure torch
  implementation for reference"), branch ``optimizer_name == "adam"``, which the CPU backend
  (``bitsandbytes/backends/cpu/ops.py``, ``_optimizer_update_8bit_blockwise_cpu``) repeats line for line: dequantize
  both states to float32, then

      state1_fp32.mul_(beta1).add_(grad, alpha=1.0 - beta1)
      state2_fp32.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
      bias_correction1 = 1.0 - beta1**step
      bias_correction2 = 1.0 - beta2**step
      denom = (state2_fp32.sqrt() / math.sqrt(bias_correction2)).add_(eps)
      if weight_decay > 0.0:
          p_fp32.mul_(1.0 - lr * weight_decay)
      p_fp32.addcdiv_(state1_fp32, denom, value=-lr / bias_correction1)

  and requantize both states blockwise (blocks of 256) with the new block maxima. The update uses the *unquantized*
  new moments; only what is stored is quantized. bitsandbytes' Adam8bit and AdamW8bit are both ``optimizer_name
  "adam"``; a weight decay > 0 is always decoupled (AdamW's). That reference's order of operations is PyTorch 1.13's
  ``_single_tensor_adam`` / ``_single_tensor_adamw`` exactly (this script checks it: without quantization, the restated
  update reproduces ``torch.optim.Adam`` / ``AdamW`` bit for bit). The CUDA kernel (``csrc/kernels.cu``,
  ``kOptimizerStatic8bit2StateBlockwise``) orders it differently -- ``step_size = -lr * correction2 / correction1``,
  ``p += step_size * s1 / (sqrt(s2) + correction2 * eps)``, weight decay ``p *= 1 - lr * wd`` *after* the update, a
  sign fix-up of the first moment's code -- and is not what this fixture records; the script prints how far that order
  lands from the recorded one.
* The maps (``create_dynamic_map``, signed for exp_avg, unsigned for exp_avg_sq) and blockwise quantize / dequantize are
  those of ``generate_blockwise.py`` (the scheme OptGen's ``BlockwiseQuantization`` implements and is tested against):
  absmax per block; code = argmin |clamp(x * (1 / absmax), -1, 1) - map|, the first index on a tie; value =
  map[code] * absmax. The pure-torch reference's own ``_quantize_blockwise_pytorch`` divides (``x / absmax``) instead
  of multiplying by the reciprocal and does not clamp; the script counts the codes on which the two would differ over
  every requantization of every trajectory and prints the count (no block here is all zero, where that reference
  would store an absmax of 1 instead of 0).
* Initial state as bitsandbytes' ``Optimizer2State.init_state``: codes 0 and absmax 0 for both states (dequantized:
  -0.0 and 0.0). The step count t starts at 1.

Not restated: bitsandbytes keeps tensors of fewer than ``min_8bit_size`` = 4096 elements in float32 state; the
1000-element trajectories here quantize anyway (as if min_8bit_size=0), to cover a partial last block.

The float32 trajectories are ``torch.optim.Adam`` / ``torch.optim.AdamW`` (PyTorch 1.13, single-tensor path) from the
same initial parameters and gradients.

Format of ``adam8bit.bin`` (little-endian throughout; u32 = uint32, f32 = float32, f64 = float64, u8 = uint8):

    magic      4 bytes  b"OA8B"
    version    u32      1
    block      u32      256 (values per block)
    steps      u32      S (steps of every trajectory)
    K          u32      number of checkpoints
    checkpoint u32[K]   the steps (1-based, ascending, the last = S) after which the trajectories are recorded
    maps       f32[256] the signed map, then f32[256] the unsigned map
    G          u32      number of gradient sets
    G times:   n u32 (length); initial parameters f32[n]; gradients f32[S * n] (step 1's n values first)
    C          u32      number of cases
    C times:   name: u32 byte count + UTF-8 bytes
               gradient set u32 (index into the sets above)
               decoupled u32 (1: AdamW; 0: Adam, no weight decay)
               lr, beta1, beta2, eps, weight_decay: f64 each
               K times, for each checkpoint k (B = ceil(n / 256) blocks):
                   params8    f32[n]  parameters of the 8-bit reference after step checkpoint[k]
                   params32   f32[n]  parameters of the float32 torch.optim trajectory after that step
                   m_codes    u8[n]   exp_avg codes (signed map)
                   v_codes    u8[n]   exp_avg_sq codes (unsigned map)
                   m_absmax   f32[B]  exp_avg block maxima
                   v_absmax   f32[B]  exp_avg_sq block maxima
"""

import math
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from generate_blockwise import BLOCK, create_dynamic_map, dequantize_blockwise, quantize_blockwise  # noqa: E402

STEPS = 50
CHECKPOINTS = [1, 10, 20, 30, 40, 50]
LENGTHS = [1000, 4096]
CONFIGS = [
    # name, decoupled, lr, beta1, beta2, eps, weight_decay
    ("adam_lr1e-3", False, 1e-3, 0.9, 0.999, 1e-8, 0.0),
    ("adamw_lr1e-2", True, 1e-2, 0.9, 0.99, 1e-8, 0.01),
]


def make_inputs(n, seed):
    """Initial parameters ~ 0.1 N(0, 1) (as bitsandbytes' test_optimizer8bit) and S steps of gradients: N(0, 1) times a
    scale fixed per block of 256, log-uniform in [1e-4, 1e-1] (so blocks differ by up to three orders of magnitude),
    times a per-step factor log-uniform in [0.3, 3]."""
    rng = np.random.default_rng(seed)
    params = (rng.standard_normal(n) * 0.1).astype(np.float32)
    blocks = (n + BLOCK - 1) // BLOCK
    block_scale = 10.0 ** rng.uniform(-4, -1, blocks)
    per_element = np.repeat(block_scale, BLOCK)[:n]
    grads = np.empty((STEPS, n), dtype=np.float32)
    for s in range(STEPS):
        step_scale = 10.0 ** rng.uniform(-0.5, 0.5)
        grads[s] = (rng.standard_normal(n) * per_element * step_scale).astype(np.float32)
    return params, grads


def reference_quantize_division(a, code):
    """``_quantize_blockwise_pytorch`` of the pure-torch reference: x / absmax (absmax 0 -> 1), no clamp, argmin."""
    n = a.numel()
    blocks = (n + BLOCK - 1) // BLOCK
    padded = torch.nn.functional.pad(a, (0, blocks * BLOCK - n)).reshape(blocks, BLOCK)
    absmax = padded.abs().max(dim=1, keepdim=True)[0]
    absmax[absmax == 0] = 1.0
    scaled = (padded / absmax).reshape(-1)[:n]
    return torch.argmin(torch.abs(scaled.unsqueeze(-1) - code), dim=-1).to(torch.uint8)


class Reference8Bit:
    """One parameter tensor under optimizer_update_8bit_blockwise_pytorch's "adam" branch."""

    def __init__(self, params, signed, unsigned, quantize=True):
        n = params.numel()
        blocks = (n + BLOCK - 1) // BLOCK
        self.p = params.clone()
        self.signed, self.unsigned = signed, unsigned
        self.quantize = quantize
        self.state1 = torch.zeros(n, dtype=torch.uint8)
        self.state2 = torch.zeros(n, dtype=torch.uint8)
        self.absmax1 = torch.zeros(blocks, dtype=torch.float32)
        self.absmax2 = torch.zeros(blocks, dtype=torch.float32)
        self.m = torch.zeros(n, dtype=torch.float32)  # the unquantized states, when quantize is False
        self.v = torch.zeros(n, dtype=torch.float32)
        self.step_count = 0
        self.division_mismatches = 0

    def step(self, g, lr, beta1, beta2, eps, weight_decay, cuda_order=False):
        self.step_count += 1
        step = self.step_count
        with torch.no_grad():
            if self.quantize:
                state1_fp32 = dequantize_blockwise(self.state1, self.absmax1, self.signed)
                state2_fp32 = dequantize_blockwise(self.state2, self.absmax2, self.unsigned)
            else:
                state1_fp32, state2_fp32 = self.m, self.v
            grad = g.float() * 1.0  # gnorm_scale = 1.0
            p_fp32 = self.p.float()

            state1_fp32.mul_(beta1).add_(grad, alpha=1.0 - beta1)
            state2_fp32.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
            if not cuda_order:
                bias_correction1 = 1.0 - beta1**step
                bias_correction2 = 1.0 - beta2**step
                denom = (state2_fp32.sqrt() / math.sqrt(bias_correction2)).add_(eps)
                if weight_decay > 0.0:
                    p_fp32.mul_(1.0 - lr * weight_decay)
                p_fp32.addcdiv_(state1_fp32, denom, value=-lr / bias_correction1)
            else:
                # kOptimizerStatic8bit2StateBlockwise's order, with its float32 scalars.
                f = np.float32
                correction1 = f(1.0) - f(beta1) ** f(step)
                correction2 = np.sqrt(f(1.0) - f(beta2) ** f(step))
                step_size = f(-f(lr) * correction2) / correction1
                update = state1_fp32 / (state2_fp32.sqrt() + float(f(correction2 * f(eps))))
                p_fp32.add_(update * float(step_size))
                if weight_decay > 0.0:
                    p_fp32.mul_(float(f(1.0) - f(lr) * f(weight_decay)))
            self.p.copy_(p_fp32)

            if self.quantize:
                self.state1, self.absmax1 = quantize_blockwise(state1_fp32, self.signed)
                self.state2, self.absmax2 = quantize_blockwise(state2_fp32, self.unsigned)
                if cuda_order:
                    # "make sure state1 term has still the same sign after quantization"
                    codes = self.state1.long()
                    flip = torch.signbit(self.signed[codes]) != torch.signbit(state1_fp32)
                    codes = torch.where(flip, torch.where(state1_fp32 > 0, codes + 1, codes - 1), codes)
                    self.state1 = codes.to(torch.uint8)
                self.division_mismatches += int(
                    (reference_quantize_division(state1_fp32, self.signed) != self.state1).sum()
                    + (reference_quantize_division(state2_fp32, self.unsigned) != self.state2).sum())


def torch_optimizer(param, decoupled, lr, beta1, beta2, eps, weight_decay):
    if decoupled:
        return torch.optim.AdamW([param], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay, foreach=False)
    assert weight_decay == 0.0
    return torch.optim.Adam([param], lr=lr, betas=(beta1, beta2), eps=eps, foreach=False)


def run_case(params0, grads, config, signed, unsigned):
    name, decoupled, lr, beta1, beta2, eps, weight_decay = config
    hyper = (lr, beta1, beta2, eps, weight_decay)
    n = params0.size
    ref = Reference8Bit(torch.from_numpy(params0.copy()), signed, unsigned)
    plain = Reference8Bit(torch.from_numpy(params0.copy()), signed, unsigned, quantize=False)
    cuda = Reference8Bit(torch.from_numpy(params0.copy()), signed, unsigned)
    p32 = torch.from_numpy(params0.copy()).requires_grad_(True)
    opt = torch_optimizer(p32, decoupled, *hyper)
    records = []
    for s in range(STEPS):
        g = torch.from_numpy(grads[s].copy())
        ref.step(g, *hyper)
        plain.step(g, *hyper)
        cuda.step(g, *hyper, cuda_order=True)
        p32.grad = g.clone()
        opt.step()
        fp32 = p32.detach()
        # The restated update without quantization is PyTorch's Adam / AdamW, bit for bit.
        assert torch.equal(plain.p.view(torch.int32), fp32.view(torch.int32)), f"{name}: restated update != torch.optim"
        assert torch.equal(plain.m, opt.state[p32]["exp_avg"]) and torch.equal(plain.v, opt.state[p32]["exp_avg_sq"])
        if s + 1 in CHECKPOINTS:
            records.append((ref.p.clone().numpy(), fp32.clone().numpy(), ref.state1.clone().numpy(),
                            ref.state2.clone().numpy(), ref.absmax1.clone().numpy(), ref.absmax2.clone().numpy()))
    assert (ref.absmax1 > 0).all() and (ref.absmax2 > 0).all()
    p8, p32f = ref.p.numpy().astype(np.float64), p32.detach().numpy().astype(np.float64)
    p0 = params0.astype(np.float64)
    diff = np.abs(p8 - p32f)
    rel = diff / (np.abs(p32f) + 1e-9)
    moved = np.abs(p32f - p0)
    cuda_diff = np.abs(cuda.p.numpy().astype(np.float64) - p8)
    m8 = dequantize_blockwise(ref.state1, ref.absmax1, signed).numpy().astype(np.float64)
    v8 = dequantize_blockwise(ref.state2, ref.absmax2, unsigned).numpy().astype(np.float64)
    m32 = opt.state[p32]["exp_avg"].numpy().astype(np.float64)
    v32 = opt.state[p32]["exp_avg_sq"].numpy().astype(np.float64)
    summary = {
        "max_abs": diff.max(), "mean_abs": diff.mean(), "max_rel": rel.max(), "mean_rel": rel.mean(),
        "max_moved": moved.max(), "mean_moved": moved.mean(), "diff_over_moved": diff.sum() / moved.sum(),
        "max_abs_over_lr_steps": diff.max() / (lr * STEPS),
        "m_max_abs_err": np.abs(m8 - m32).max(), "v_max_abs_err": np.abs(v8 - v32).max(),
        "cuda_order_max_abs": cuda_diff.max(), "cuda_order_mean_abs": cuda_diff.mean(),
        "division_mismatches": ref.division_mismatches, "requantized": 2 * n * STEPS,
    }
    return records, summary


def main():
    torch.set_num_threads(1)
    signed, unsigned = create_dynamic_map(True), create_dynamic_map(False)
    sets = [make_inputs(n, seed=1000 + n) for n in LENGTHS]
    out = bytearray()
    out += b"OA8B" + struct.pack("<IIII", 1, BLOCK, STEPS, len(CHECKPOINTS)) + struct.pack(f"<{len(CHECKPOINTS)}I", *CHECKPOINTS)
    out += signed.numpy().astype("<f4").tobytes() + unsigned.numpy().astype("<f4").tobytes()
    out += struct.pack("<I", len(sets))
    for params0, grads in sets:
        out += struct.pack("<I", params0.size) + params0.astype("<f4").tobytes() + grads.astype("<f4").tobytes()
    cases = [(config, index) for config in CONFIGS for index in range(len(sets))]
    out += struct.pack("<I", len(cases))
    for config, index in cases:
        params0, grads = sets[index]
        name = f"{config[0]}_n{params0.size}"
        records, summary = run_case(params0, grads, config, signed, unsigned)
        encoded = name.encode("utf-8")
        out += struct.pack("<I", len(encoded)) + encoded
        out += struct.pack("<II", index, 1 if config[1] else 0) + struct.pack("<5d", *config[2:])
        for p8, p32, c1, c2, a1, a2 in records:
            out += p8.astype("<f4").tobytes() + p32.astype("<f4").tobytes()
            out += c1.astype(np.uint8).tobytes() + c2.astype(np.uint8).tobytes()
            out += a1.astype("<f4").tobytes() + a2.astype("<f4").tobytes()
        print(name, "8-bit vs float32 after", STEPS, "steps:",
              ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()))
    path = os.path.join(HERE, "adam8bit.bin")
    with open(path, "wb") as f:
        f.write(out)
    print(torch.__version__, path, len(out), "bytes")


if __name__ == "__main__":
    main()
