"""PyTorch oracle for OptGen's whole-model transforms: gradient-norm clipping and parameter groups.

Run from this folder with PyTorch 1.13 (e.g. Debian's ``/usr/bin/python3``):

    python3 generate_groups.py

It rewrites, in this folder:

* ``inputs.f64.bin``       - float64 LE: the TOTAL initial parameters (all tensors concatenated in model order),
                             then STEPS x TOTAL gradients (step by step, same concatenation);
* ``{Name}.f32.bin``       - float32 LE: STEPS x TOTAL parameters (all tensors, model order) after each step,
                             float32 run of config ``Name``;
* ``{Name}.f64.bin``       - float64 LE: the same for the float64 run;
* ``{Name}.norm.f32.bin``  - float32 LE: STEPS values, the total norm ``clip_grad_norm_`` returned at each step
                             (before clipping), float32 run;
* ``{Name}.norm.f64.bin``  - float64 LE: the same for the float64 run;
* ``manifest.json``        - torch version, the model's tensors, STEPS, and per config: the torch optimizer and its
                             parameter groups, the clipping, the C# attributes and run-time calls, and the clip counts.

The outputs are committed test fixtures: the C# tests read them and never run Python. Rerun this script only to
change the fixtures, and commit its outputs together with any change to it.

Each step of a config is, for the run's dtype:

    for every tensor: p.grad = gradient of this step (from inputs.f64.bin, converted to the dtype)
    total = torch.nn.utils.clip_grad_norm_(clipped, max_norm)   # clipped: the tensors given to the optimizer
    optimizer.step()

Everything is deterministic: the inputs come from a seeded NumPy generator, the optimizers run on the CPU with
``foreach=False`` (PyTorch's single-tensor implementations) on one thread.
"""

import fnmatch
import hashlib
import json
import math
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# The model: named tensors of odd sizes, in model order (the order of every concatenation and of the clipping norm).
TENSORS = [
    ("layer1.weight", 150),
    ("layer1.bias", 53),
    ("norm.weight", 17),
    ("layer2.weight", 301),
    ("layer2.bias", 7),
]
TOTAL = sum(n for _, n in TENSORS)
OFFSETS = {}
_offset = 0
for _name, _n in TENSORS:
    OFFSETS[_name] = _offset
    _offset += _n

STEPS = 60
SEED = 20250117

# Weight decay is not applied to the tensors matching these glob patterns (fnmatch, case-sensitive).
EXCLUDE = ["*.bias", "*norm*"]

# Gradient construction (see make_inputs). Each tensor's random gradient is scaled by its factor so that the
# per-tensor norms differ; every step is then scaled to a target total norm drawn from one of these bands.
GRAD_FACTORS = {"layer1.weight": 1.0, "layer1.bias": 0.5, "norm.weight": 0.3, "layer2.weight": 1.0, "layer2.bias": 2.0}
# (number of steps, low, high, log-uniform): below every max_norm used here, between 0.25 and 0.5, between 0.5 and 1,
# and above 1 (the rest of the steps).
NORM_BANDS = [(5, 0.05, 0.2), (4, 0.3, 0.45), (4, 0.6, 0.9), (None, 1.3, 8.0)]
ZERO_TENSOR_STEPS = {"layer2.bias": [7, 33], "layer1.bias": [45]}  # steps where a whole tensor's gradient is 0

# AdamWClipNonFinite: this gradient element is NaN at this (0-based) step.
NAN_STEP = 20
NAN_TENSOR, NAN_INDEX = "layer2.weight", 100

# ---------------------------------------------------------------------------------------------
# Config table. Each entry: name; OptGen UpdateRule; torch optimizer class; keyword arguments shared by all groups
# (given to the constructor); weight decay (value, decoupled) applied to the tensors not matching EXCLUDE (the others
# get weight_decay=0 in a group of their own); max_norm of clip_grad_norm_; learning-rate scales per tensor
# (scale 0: frozen, the tensor is given to neither the optimizer nor the clipping).
# ---------------------------------------------------------------------------------------------
CONFIGS = [
    dict(name="AdamWClipExclude", rule="AdamW", cls="AdamW", kwargs=dict(lr=1e-3),
         weight_decay=(0.05, True), max_norm=1.0),
    dict(name="AdamL2ClipExclude", rule="Adam", cls="Adam", kwargs=dict(lr=1e-2),
         weight_decay=(0.01, False), max_norm=0.5),
    dict(name="SgdMomentumClip", rule="Sgd", cls="SGD", kwargs=dict(lr=0.05, momentum=0.9),
         weight_decay=None, max_norm=0.25),
    dict(name="AdamWScaledAndFrozen", rule="AdamW", cls="AdamW", kwargs=dict(lr=1e-3),
         weight_decay=(0.05, True), max_norm=1.0, scales={"layer1.weight": 0.1, "norm.weight": 0.0}),
    dict(name="AdamWClipNonFinite", rule="AdamW", cls="AdamW", kwargs=dict(lr=1e-3),
         weight_decay=(0.05, True), max_norm=1.0, nan=True),
]


def excluded(name):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDE)


def param_groups(cfg):
    """
    The config's torch parameter groups as lists of (tensor names, group options beyond the constructor's kwargs).
    Tensors keep model order inside a group. A tensor with a learning-rate scale s != 1 gets a group of its own with
    lr = kwargs["lr"] * s (the double product, as C# computes lr x scale); scale 0 leaves the tensor out entirely.
    """
    scales = cfg.get("scales", {})
    wd = cfg["weight_decay"]
    groups = []
    for name, _ in TENSORS:
        scale = scales.get(name, 1.0)
        if scale == 0.0:
            continue
        options = {}
        if scale != 1.0:
            options["lr"] = cfg["kwargs"]["lr"] * scale
        if wd is not None:
            options["weight_decay"] = 0.0 if excluded(name) else wd[0]
        for names, opts in groups:
            if opts == options and "lr" not in options:
                names.append(name)
                break
        else:
            groups.append(([name], options))
    return groups


def optimized(cfg):
    """The tensors given to the optimizer (and to clip_grad_norm_), in model order."""
    return [name for name, _ in TENSORS if cfg.get("scales", {}).get(name, 1.0) != 0.0]


def make_inputs():
    """Initial parameters (TOTAL) and gradients (STEPS x TOTAL), float64, model order, shared by every config."""
    rng = np.random.default_rng(SEED)
    params0 = rng.standard_normal(TOTAL) * 0.5
    # Target total norm of each step: a band per step, the steps of each band chosen at random.
    order = rng.permutation(STEPS)
    targets = np.empty(STEPS)
    start = 0
    for count, low, high in NORM_BANDS:
        steps = order[start:] if count is None else order[start:start + count]
        start += len(steps)
        targets[steps] = np.exp(rng.uniform(math.log(low), math.log(high), size=len(steps)))
    grads = np.empty((STEPS, TOTAL))
    for t in range(STEPS):
        g = np.empty(TOTAL)
        for name, n in TENSORS:
            g[OFFSETS[name]:OFFSETS[name] + n] = rng.standard_normal(n) * GRAD_FACTORS[name]
        perm = rng.permutation(TOTAL)
        outliers, rest = perm[:3], perm[3:]
        # A few larger values: 5..30 times a typical element, random sign.
        g[outliers] = rng.choice([-1.0, 1.0], size=3) * rng.uniform(5.0, 30.0, size=3)
        # About 10% exact zeros among the others.
        g[rest[rng.random(rest.size) < 0.1]] = 0.0
        for name, steps in ZERO_TENSOR_STEPS.items():
            if t in steps:
                g[OFFSETS[name]:OFFSETS[name] + dict(TENSORS)[name]] = 0.0
        grads[t] = g * (targets[t] / np.linalg.norm(g))
    return params0, grads


def run(cfg, params0, grads, dtype):
    """
    Runs the config for STEPS steps in dtype. Returns the STEPS x TOTAL parameters after each step (model order),
    the STEPS total norms clip_grad_norm_ returned, and the number of steps whose clip coefficient was below 1.
    """
    numpy_type = np.float64 if dtype == torch.float64 else np.float32
    params = {}
    for name, n in TENSORS:
        start = OFFSETS[name]
        params[name] = torch.tensor(params0[start:start + n], dtype=torch.float64).to(dtype).requires_grad_(True)
    groups = [dict(params=[params[n] for n in names], **options) for names, options in param_groups(cfg)]
    opt = getattr(torch.optim, cfg["cls"])(groups, **cfg["kwargs"], foreach=False)
    clipped = [params[name] for name in optimized(cfg)]
    out = np.empty((STEPS, TOTAL), dtype=numpy_type)
    norms = np.empty(STEPS, dtype=numpy_type)
    active = []
    for t in range(STEPS):
        g = grads[t].copy()
        if cfg.get("nan") and t == NAN_STEP:
            g[OFFSETS[NAN_TENSOR] + NAN_INDEX] = math.nan
        for name, n in TENSORS:
            start = OFFSETS[name]
            params[name].grad = torch.tensor(g[start:start + n], dtype=torch.float64).to(dtype)
        total = torch.nn.utils.clip_grad_norm_(clipped, cfg["max_norm"])
        assert total.dtype == dtype
        # clip_grad_norm_'s own coefficient, recomputed the same way (in the dtype) to count the clipping steps.
        coef = torch.clamp(cfg["max_norm"] / (total + 1e-6), max=1.0)
        if coef.item() < 1.0:
            active.append(t)
        opt.step()
        norms[t] = total.item()
        for name, _ in TENSORS:
            start = OFFSETS[name]
            out[t, start:start + params[name].numel()] = params[name].detach().numpy()
    # Frozen tensors: parameters untouched, no optimizer state.
    for name, _ in TENSORS:
        if name not in optimized(cfg):
            start = OFFSETS[name]
            assert np.array_equal(out[:, start:start + params[name].numel()],
                                  np.broadcast_to(params0[start:start + params[name].numel()].astype(numpy_type),
                                                  (STEPS, params[name].numel()))), (cfg["name"], name)
            assert len(opt.state[params[name]]) == 0
    return out, norms, active


def reference_norms(cfg, grads):
    """The total norms in float64 straight from the inputs (no clipping involved: the gradients are fresh each step)."""
    idx = np.concatenate([np.arange(OFFSETS[n], OFFSETS[n] + dict(TENSORS)[n]) for n in optimized(cfg)])
    return np.linalg.norm(grads[:, idx], axis=1)


def cs_literal(value):
    """A C# literal for a Python value; floats use repr(), which round-trips exactly (e.g. 0.01, 1e-08)."""
    text = repr(float(value))
    assert float(text) == value and "inf" not in text and "nan" not in text
    return text


def cs_attributes(cfg, double):
    """The C# attributes of the OptGen class equivalent to the config (the run-time scales come separately)."""
    kw = cfg["kwargs"]
    named = ["LearningRate = " + cs_literal(kw["lr"])]
    if double:
        named.append("ElementType = typeof(double)")
    attrs = ["[Optimizer(" + ", ".join(["UpdateRule." + cfg["rule"]] + named) + ")]"]
    if cfg["weight_decay"] is not None:
        value, decoupled = cfg["weight_decay"]
        args = [cs_literal(value)]
        if decoupled:
            args.append("Decoupled = true")
        args.append("Exclude = new[] { " + ", ".join(f'"{p}"' for p in EXCLUDE) + " }")
        attrs.append("[WeightDecay(" + ", ".join(args) + ")]")
    if "momentum" in kw:
        attrs.append(f"[Momentum({cs_literal(kw['momentum'])})]")
    attrs.append(f"[ClipGradientNorm({cs_literal(cfg['max_norm'])})]")
    return attrs


def cs_calls(cfg):
    """The run-time calls that set the config's learning-rate scales (scale 0, frozen, is written as 0)."""
    return [f'store.SetLearningRateScale("{name}", {"0" if scale == 0 else cs_literal(scale)});'
            for name, scale in cfg.get("scales", {}).items()]


def torch_text(cfg):
    groups = []
    for names, options in param_groups(cfg):
        entries = ["'params': [" + ", ".join(names) + "]"] + [f"'{k}': {v!r}" for k, v in options.items()]
        groups.append("{" + ", ".join(entries) + "}")
    args = ["[" + ", ".join(groups) + "]"] + [f"{k}={v!r}" for k, v in cfg["kwargs"].items()] + ["foreach=False"]
    return f"torch.optim.{cfg['cls']}({', '.join(args)})"


def main():
    torch.set_num_threads(1)
    names = [c["name"] for c in CONFIGS]
    assert len(set(names)) == len(names)

    params0, grads = make_inputs()
    np.concatenate([params0, grads.ravel()]).astype("<f8").tofile(os.path.join(HERE, "inputs.f64.bin"))

    summaries = []
    for cfg in CONFIGS:
        reference = reference_norms(cfg, grads)
        result = {}
        for dtype, suffix, layout in ((torch.float32, "f32", "<f4"), (torch.float64, "f64", "<f8")):
            out, norms, active = run(cfg, params0, grads, dtype)
            out.astype(layout).tofile(os.path.join(HERE, f"{cfg['name']}.{suffix}.bin"))
            norms.astype(layout).tofile(os.path.join(HERE, f"{cfg['name']}.norm.{suffix}.bin"))
            finite = np.isfinite(norms)
            if cfg.get("nan"):
                # The NaN spreads: the total norm of that step is NaN, every gradient is multiplied by NaN, and the
                # parameters (and the optimizer state) of every optimized tensor are NaN from that step on.
                assert not finite[NAN_STEP] and finite.sum() == STEPS - 1
                assert np.all(np.isfinite(out[:NAN_STEP])) and np.all(np.isnan(out[NAN_STEP:]))
            else:
                assert np.all(finite) and np.all(np.isfinite(out)), cfg["name"]
            # The returned norms match the float64 norm of the inputs; none is near max_norm, so both dtypes clip
            # on the same steps.
            tolerance = 1e-5 if dtype == torch.float32 else 1e-12
            assert np.allclose(norms[finite], reference[finite], rtol=tolerance, atol=0), cfg["name"]
            assert np.min(np.abs(norms[finite] / cfg["max_norm"] - 1)) > 0.02, cfg["name"]
            result[suffix] = dict(out=out, norms=norms, active=active)
            digest = hashlib.sha256(out.astype(layout).tobytes()).hexdigest()[:16]
            print(f"{cfg['name']:22s} {suffix}: clipped on {len(active)}/{STEPS} steps, final total norm "
                  f"{norms[-1]!r}, params sha256 {digest}")
        assert result["f32"]["active"] == result["f64"]["active"], cfg["name"]
        active = result["f64"]["active"]
        assert 0 < len(active) < STEPS - 1, cfg["name"]  # clipping on most steps, not all

        summary = {
            "name": cfg["name"],
            "torch": torch_text(cfg),
            "torch_class": "torch.optim." + cfg["cls"],
            "torch_kwargs": {**cfg["kwargs"], "foreach": False},
            "param_groups": [{"params": names, **options} for names, options in param_groups(cfg)],
            "optimized_tensors": optimized(cfg),
            "clip": {
                "call": f"torch.nn.utils.clip_grad_norm_(optimized_tensors, max_norm={cfg['max_norm']!r}, norm_type=2.0)",
                "max_norm": cfg["max_norm"],
                "norm_type": 2.0,
                "over": "the tensors given to the optimizer (optimized_tensors, model order); frozen tensors are "
                        "left out of the norm and their gradients are not scaled",
            },
            "weight_decay": None if cfg["weight_decay"] is None else {
                "value": cfg["weight_decay"][0],
                "decoupled": cfg["weight_decay"][1],
                "exclude": EXCLUDE,
                "decayed_tensors": [n for n in optimized(cfg) if not excluded(n)],
                "excluded_tensors": [n for n in optimized(cfg) if excluded(n)],
            },
            "learning_rate_scales": cfg.get("scales", {}),
            "frozen_tensors": [name for name, _ in TENSORS if name not in optimized(cfg)],
            "attributes": " ".join(cs_attributes(cfg, False)),
            "attributes_double": " ".join(cs_attributes(cfg, True)),
            "runtime_calls": cs_calls(cfg),
            "clip_active_steps": {"f32": len(result["f32"]["active"]), "f64": len(result["f64"]["active"])},
            "unclipped_steps": [t for t in range(STEPS) if t not in active],
            "final_total_norm": {"f32": float(result["f32"]["norms"][-1]), "f64": float(result["f64"]["norms"][-1])},
        }
        if cfg.get("scales"):
            summary["scales_note"] = (
                "A scaled tensor runs in a group of its own with lr = lr x scale, the float64 product "
                f"({cfg['kwargs']['lr']!r} x 0.1 = {cfg['kwargs']['lr'] * 0.1!r}); AdamW's decoupled decay uses that "
                "group's lr (p *= 1 - lr x scale x weight_decay). Scale 0 = frozen: the tensor is in no group, its "
                "parameters and state never change, and it is left out of the clipping norm (its gradient is set "
                "each step like every other tensor's but never read).")
        if cfg.get("nan"):
            summary["non_finite"] = {
                "step": NAN_STEP,
                "tensor": NAN_TENSOR,
                "index": NAN_INDEX,
                "flat_index": OFFSETS[NAN_TENSOR] + NAN_INDEX,
                "note": "inputs.f64.bin holds the finite gradient; this config replaces that element with NaN at "
                        f"0-based step {NAN_STEP} only. PyTorch 1.13 (error_if_nonfinite=False) returns a NaN total "
                        "norm, clip_coef = clamp(NaN, max=1) = NaN multiplies every gradient, and every parameter "
                        f"(and Adam state) is NaN from step {NAN_STEP} on; the norms of the later steps are finite "
                        "again (fresh gradients). The NaN step is not counted in clip_active_steps (NaN < 1 is false).",
            }
        summaries.append(summary)

    manifest = {
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "seed": SEED,
        "steps": STEPS,
        "total_length": TOTAL,
        "tensors": [{"name": name, "length": n, "offset": OFFSETS[name]} for name, n in TENSORS],
        "exclude_patterns": EXCLUDE,
        "files": {
            "inputs.f64.bin": "float64 LE: total_length initial parameters, then steps x total_length gradients",
            "{Name}.f32.bin": "float32 LE: steps x total_length parameters after each step (float32 run)",
            "{Name}.f64.bin": "float64 LE: steps x total_length parameters after each step (float64 run)",
            "{Name}.norm.f32.bin": "float32 LE: steps total norms returned by clip_grad_norm_ (float32 run)",
            "{Name}.norm.f64.bin": "float64 LE: steps total norms returned by clip_grad_norm_ (float64 run)",
        },
        "layout": "all tensors concatenated in model order (tensors[].offset), no padding; steps are 0-based",
        "step": "set every tensor's grad (the dtype's rounding of the float64 input); total = clip_grad_norm_(tensors "
                "given to the optimizer, max_norm); optimizer.step(). Clipping: per-tensor 2-norms, total = 2-norm of "
                "the stacked norms, clip_coef = max_norm / (total + 1e-6) clamped to at most 1, every gradient "
                "multiplied by it in place (also when it is 1), all in the run's dtype.",
        "configs": summaries,
    }
    with open(os.path.join(HERE, "manifest.json"), "w", newline="\n") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
