"""LAMB and LARS oracles for OptGen's UpdateRule.Lamb and UpdateRule.Lars, on the same model and inputs as generate_groups.py (run that first; this
script reads its inputs.f64.bin). Run from this folder with PyTorch 1.13 (Debian's ``/usr/bin/python3``):

    python3 generate_lamb.py

PyTorch 1.13 has no LAMB; the reference below is Optax's ``lamb`` (scale_by_adam -> add_decayed_weights ->
scale_by_trust_ratio -> scale(-lr)) written with torch ops, the moments in torch.optim.Adam's order of operations:

    m.mul_(b1).add_(g, alpha=1 - b1); v.mul_(b2).addcmul_(g, g, value=1 - b2)
    r = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)      # Optax: mu_hat / (sqrt(nu_hat + 0) + eps)
    r = r.add(p, alpha=wd)                                         # add_decayed_weights (where the group decays)
    ratio = ||p|| / ||r||, or 1 where either norm is 0              # scale_by_trust_ratio, per tensor
    p.add_(r * ratio, alpha=-lr)                                   # scale(-lr), apply_updates

LARS is Optax's ``lars`` (add_decayed_weights -> scale_by_trust_ratio(trust_coefficient, eps) -> scale(-lr) ->
trace(momentum, nesterov)) with torch ops:

    r = g.add(p, alpha=wd)                                          # where the group decays
    ratio = tc * ||p|| / (||r|| + eps), or 1 where either norm is 0
    u = (r * ratio) * (-lr)
    trace = u.add(trace, alpha=momentum); p.add_(u.add(trace, alpha=momentum) if nesterov else trace)

It writes ``Lamb{Name}.f32.bin`` / ``.f64.bin`` and ``Lars{Name}.f32.bin`` / ``.f64.bin`` (STEPS x TOTAL parameters
after each step, model order) and ``lamb.json`` (the configs). Configs: per tensor over the model's five tensors (a
store step), and for LAMB also the whole model as one tensor (a plain span step).
"""

import json
import os

import numpy as np
import torch

from generate_groups import EXCLUDE, STEPS, TENSORS, TOTAL, excluded

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIGS = [
    dict(name="Default", lr=1e-3, wd=0.0, per_tensor=True, attributes="[Optimizer(UpdateRule.Lamb, LearningRate = 0.001)]"),
    dict(name="WeightDecayExclude", lr=1e-2, wd=0.01, per_tensor=True,
         attributes='[Optimizer(UpdateRule.Lamb, LearningRate = 0.01)] [WeightDecay(0.01, Exclude = new[] { "*.bias", "*norm*" })]'),
    dict(name="OneTensor", lr=1e-2, wd=0.01, per_tensor=False,
         attributes="[Optimizer(UpdateRule.Lamb, LearningRate = 0.01)] [WeightDecay(0.01)] (a plain Step(span, span))"),
]


LARS_CONFIGS = [
    dict(name="Default", lr=1.0, wd=0.0, momentum=0.9, nesterov=False, tc=0.001, eps=0.0,
         attributes="[Optimizer(UpdateRule.Lars, LearningRate = 1.0)]"),
    dict(name="NesterovWeightDecayExclude", lr=0.5, wd=1e-3, momentum=0.8, nesterov=True, tc=0.002, eps=1e-3,
         attributes='[Optimizer(UpdateRule.Lars, LearningRate = 0.5)] [Momentum(0.8, Nesterov = true)] '
                    '[WeightDecay(0.001, Exclude = new[] { "*.bias", "*norm*" })] [TrustRatio(Coefficient = 0.002, Epsilon = 1e-3)]'),
]


def run_lars(cfg, params0, grads, dtype):
    torch.set_num_threads(1)
    bounds, offset = [], 0
    for name, n in TENSORS:
        bounds.append((name, offset, n))
        offset += n
    params = [torch.tensor(params0[o:o + n], dtype=dtype) for _, o, n in bounds]
    traces = [torch.zeros_like(p) for p in params]
    out = np.empty((STEPS, TOTAL))
    for step in range(STEPS):
        for (name, o, n), p, trace in zip(bounds, params, traces):
            g = torch.tensor(grads[step, o:o + n], dtype=dtype)
            r = g.add(p, alpha=cfg["wd"]) if cfg["wd"] != 0 and not excluded(name) else g
            p_norm = torch.linalg.norm(p)
            r_norm = torch.linalg.norm(r)
            ratio = torch.where((p_norm == 0) | (r_norm == 0), torch.ones_like(p_norm), cfg["tc"] * p_norm / (r_norm + cfg["eps"]))
            u = (r * ratio) * (-cfg["lr"])
            trace.copy_(u.add(trace, alpha=cfg["momentum"]))
            p.add_(u.add(trace, alpha=cfg["momentum"]) if cfg["nesterov"] else trace)
        out[step] = np.concatenate([p.numpy() for p in params])
    return out


def run(cfg, params0, grads, dtype):
    torch.set_num_threads(1)
    b1, b2, eps = 0.9, 0.999, 1e-6
    if cfg["per_tensor"]:
        bounds, offset = [], 0
        for name, n in TENSORS:
            bounds.append((name, offset, n))
            offset += n
    else:
        bounds = [("all", 0, TOTAL)]
    params = [torch.tensor(params0[o:o + n], dtype=dtype) for _, o, n in bounds]
    ms = [torch.zeros_like(p) for p in params]
    vs = [torch.zeros_like(p) for p in params]
    out = np.empty((STEPS, TOTAL))
    for step in range(STEPS):
        t = step + 1
        for (name, o, n), p, m, v in zip(bounds, params, ms, vs):
            g = torch.tensor(grads[step, o:o + n], dtype=dtype)
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            r = (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + eps)
            if cfg["wd"] != 0 and (not cfg["per_tensor"] or not excluded(name)):
                r = r.add(p, alpha=cfg["wd"])
            p_norm = torch.linalg.norm(p)
            r_norm = torch.linalg.norm(r)
            ratio = torch.where((p_norm == 0) | (r_norm == 0), torch.ones_like(p_norm), p_norm / r_norm)
            p.add_(r * ratio, alpha=-cfg["lr"])
        out[step] = np.concatenate([p.numpy() for p in params])
    return out


def main():
    data = np.fromfile(os.path.join(HERE, "inputs.f64.bin"), dtype="<f8")
    params0 = data[:TOTAL]
    grads = data[TOTAL:].reshape(STEPS, TOTAL)
    for cfg in CONFIGS:
        for dtype, suffix, np_type in ((torch.float32, "f32", "<f4"), (torch.float64, "f64", "<f8")):
            run(cfg, params0, grads, dtype).astype(np_type).tofile(os.path.join(HERE, f"Lamb{cfg['name']}.{suffix}.bin"))
    for cfg in LARS_CONFIGS:
        for dtype, suffix, np_type in ((torch.float32, "f32", "<f4"), (torch.float64, "f64", "<f8")):
            run_lars(cfg, params0, grads, dtype).astype(np_type).tofile(os.path.join(HERE, f"Lars{cfg['name']}.{suffix}.bin"))
    with open(os.path.join(HERE, "lamb.json"), "w", newline="\n") as f:
        json.dump(dict(torch=torch.__version__, exclude=EXCLUDE, lamb=CONFIGS, lars=LARS_CONFIGS), f, indent=2)
    print("wrote", ", ".join([f"Lamb{c['name']}" for c in CONFIGS] + [f"Lars{c['name']}" for c in LARS_CONFIGS]))


if __name__ == "__main__":
    main()
