"""PyTorch oracle for OptGen's learning-rate schedules.

Run from this folder with PyTorch 1.13 (e.g. Debian's ``/usr/bin/python3``), after ``generate.py``
(it reads that script's ``inputs.f64.bin`` and reuses its attribute mapping):

    /usr/bin/python3 generate_schedules.py

It rewrites, in this folder:

* ``schedules.json`` - torch version and, per schedule config: name, the C# schedule attributes, the
  torch scheduler constructor (names from ``torch.optim.lr_scheduler``; ``null`` for the Keras/Optax
  forms PyTorch lacks, whose rates are then the documented closed form computed here), ``base_lr``,
  ``learning_rates`` = [rate of step 0 (``get_last_lr()`` right after construction), then the rate
  after each ``scheduler.step()``] and, for ReduceOnPlateau, ``metrics`` (``learning_rates[i + 1]``
  is the rate after ``scheduler.step(metrics[i])``);
* ``{Name}.schedule.f32.bin`` / ``{Name}.schedule.f64.bin`` - STEPS x N parameters after each step
  of optimizer + scheduler combo ``Name`` (float32 / float64 LE), from the gradients of
  ``inputs.f64.bin``;
* ``schedule_trajectories.json`` - torch version, N, STEPS and per combo: name, the torch optimizer
  and scheduler calls, the C# attributes and ``learning_rates``: ``param_group["lr"]`` as given to
  each of the STEPS ``optimizer.step()`` calls;
* ``PyTorchScheduleOptimizers.cs`` - the matching OptGen declarations and factories.

Every torch scheduler is built by evaluating exactly the constructor text that is recorded, driven
as in training: ``optimizer.step()`` then ``scheduler.step()`` (SGD with one dummy parameter for
``schedules.json``). Each sequence is also checked against the closed form documented in
runtime/OptGen/ScheduleAttributes.cs and the worst relative difference is printed.

Everything is deterministic (no random numbers here; torch on the CPU, one thread, ``foreach=False``).
The outputs are committed test fixtures: rerun only to change them, and commit them with this script.
"""

import bisect
import json
import math
import os
import sys
import warnings

import numpy as np
import torch
from torch.optim.lr_scheduler import (  # noqa: F401  (used by eval of the recorded constructor texts)
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the fixture folder
from generate import N, STEPS, cs_attributes, cs_literal, make_optimizer, torch_call_text  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Schedule specs: a list of (C# attribute, [(property, value), ...]) in the order written.
# ---------------------------------------------------------------------------------------------
class Enum:
    """A C# enum value together with the torch string it stands for."""

    def __init__(self, cs, torch_value):
        self.cs, self.torch = cs, torch_value

    def __eq__(self, other):
        return isinstance(other, Enum) and self.cs == other.cs


COS = Enum("AnnealStrategy.Cosine", "cos")
LINEAR = Enum("AnnealStrategy.Linear", "linear")
MINIMIZE = Enum("PlateauMode.Minimize", "min")
MAXIMIZE = Enum("PlateauMode.Maximize", "max")
RELATIVE = Enum("PlateauThresholdMode.Relative", "rel")
ABSOLUTE = Enum("PlateauThresholdMode.Absolute", "abs")

# The attributes' defaults, as documented in ScheduleAttributes.cs (None: required).
DEFAULTS = {
    "StepDecay": dict(StepSize=None, Gamma=0.1),
    "MultiStepDecay": dict(Milestones=None, Gamma=0.1),
    "ExponentialDecay": dict(Gamma=None, DecaySteps=1, Staircase=False),
    "PolynomialDecay": dict(TotalSteps=5, Power=1.0, EndLearningRate=0.0),
    "CosineDecay": dict(TotalSteps=None, MinLearningRate=0.0),
    "CosineWarmRestarts": dict(FirstPeriod=None, PeriodMultiplier=1, MinLearningRate=0.0),
    "OneCycle": dict(TotalSteps=None, WarmupFraction=0.3, Anneal=COS, InitialDivisor=25.0, FinalDivisor=1e4,
                     ThreePhase=False),
    "InverseSquareRootDecay": dict(WarmupSteps=None),
    "LinearWarmup": dict(Steps=5, StartFactor=1.0 / 3),
    "ReduceOnPlateau": dict(Mode=MINIMIZE, Factor=0.1, Patience=10, Threshold=1e-4, ThresholdMode=RELATIVE,
                            Cooldown=0, MinLearningRate=0.0, MinimumChange=1e-8),
}

# C# property -> torch keyword argument, per attribute (torch's defaults equal the attributes').
TORCH_KWARGS = {
    "StepDecay": ("StepLR", dict(StepSize="step_size", Gamma="gamma")),
    "MultiStepDecay": ("MultiStepLR", dict(Milestones="milestones", Gamma="gamma")),
    "ExponentialDecay": ("ExponentialLR", dict(Gamma="gamma")),
    "PolynomialDecay": ("PolynomialLR", dict(TotalSteps="total_iters", Power="power")),
    "CosineDecay": ("CosineAnnealingLR", dict(TotalSteps="T_max", MinLearningRate="eta_min")),
    "CosineWarmRestarts": ("CosineAnnealingWarmRestarts",
                           dict(FirstPeriod="T_0", PeriodMultiplier="T_mult", MinLearningRate="eta_min")),
    "OneCycle": ("OneCycleLR", dict(TotalSteps="total_steps", WarmupFraction="pct_start", Anneal="anneal_strategy",
                                    InitialDivisor="div_factor", FinalDivisor="final_div_factor",
                                    ThreePhase="three_phase")),
    "LinearWarmup": ("LinearLR", dict(StartFactor="start_factor", Steps="total_iters")),
    "ReduceOnPlateau": ("ReduceLROnPlateau", dict(Mode="mode", Factor="factor", Patience="patience",
                                                  Threshold="threshold", ThresholdMode="threshold_mode",
                                                  Cooldown="cooldown", MinLearningRate="min_lr",
                                                  MinimumChange="eps")),
}


def resolved(attr, props):
    values = dict(DEFAULTS[attr])
    for key, value in props:
        assert key in values, (attr, key)
        values[key] = value
    assert all(v is not None for v in values.values()), (attr, values)
    return values


def cs_value(value):
    if isinstance(value, Enum):
        return value.cs
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "new[] { " + ", ".join(str(int(v)) for v in value) + " }"
    return cs_literal(value)


def cs_schedule_attributes(spec):
    """One C# attribute per spec entry, e.g. ``[StepDecay(StepSize = 3, Gamma = 0.5)]``."""
    return [f"[{attr}(" + ", ".join(f"{k} = {cs_value(v)}" for k, v in props) + ")]" for attr, props in spec]


def py_value(value):
    if isinstance(value, Enum):
        return repr(value.torch)
    return repr(value)


def torch_single_text(attr, props, base_lr):
    """The torch constructor for one attribute, or None where PyTorch has no equivalent."""
    values = resolved(attr, props)
    given = dict(props)
    if attr == "ExponentialDecay" and (values["DecaySteps"] != 1 or values["Staircase"]):
        return None
    if attr == "PolynomialDecay" and values["EndLearningRate"] != 0.0:
        return None
    if attr == "InverseSquareRootDecay":
        w = values["WarmupSteps"]
        return f"LambdaLR(optimizer, lambda k: min((k + 1) / {w}, ({w} / (k + 1)) ** 0.5))"
    cls, mapping = TORCH_KWARGS[attr]
    args = ["optimizer"]
    if attr == "OneCycle":
        args.append(f"max_lr={base_lr!r}")
    args += [f"{mapping[k]}={py_value(v)}" for k, v in props if k in mapping]
    assert all(k in mapping for k in given), (attr, given)
    if attr == "OneCycle":
        args.append("cycle_momentum=False")
    return f"{cls}({', '.join(args)})"


def torch_text(spec, base_lr):
    texts = [torch_single_text(attr, props, base_lr) for attr, props in spec]
    if len(spec) == 1:
        return texts[0]
    (warm_attr, warm_props), _ = spec
    assert len(spec) == 2 and warm_attr == "LinearWarmup" and texts[1] is not None
    steps = resolved(warm_attr, warm_props)["Steps"]
    return f"SequentialLR(optimizer, schedulers=[{texts[0]}, {texts[1]}], milestones=[{steps}])"


# ---------------------------------------------------------------------------------------------
# Closed forms, straight from the documentation in ScheduleAttributes.cs.
# ---------------------------------------------------------------------------------------------
def closed_form_single(attr, v, lr0, k):
    if attr == "StepDecay":
        return lr0 * v["Gamma"] ** (k // v["StepSize"])
    if attr == "MultiStepDecay":
        return lr0 * v["Gamma"] ** bisect.bisect_right(v["Milestones"], k)
    if attr == "ExponentialDecay":
        e = k // v["DecaySteps"] if v["Staircase"] else k / v["DecaySteps"]
        return lr0 * v["Gamma"] ** e
    if attr == "PolynomialDecay":
        t, end = v["TotalSteps"], v["EndLearningRate"]
        return (lr0 - end) * (1.0 - min(k, t) / t) ** v["Power"] + end
    if attr == "CosineDecay":
        eta = v["MinLearningRate"]
        return eta + (lr0 - eta) * (1 + math.cos(math.pi * k / v["TotalSteps"])) / 2
    if attr == "CosineWarmRestarts":
        eta, t, ti = v["MinLearningRate"], k, v["FirstPeriod"]
        while t >= ti:
            t, ti = t - ti, ti * v["PeriodMultiplier"]
        return eta + (lr0 - eta) * (1 + math.cos(math.pi * t / ti)) / 2
    if attr == "OneCycle":
        total, pct = v["TotalSteps"], v["WarmupFraction"]
        initial = lr0 / v["InitialDivisor"]
        final = initial / v["FinalDivisor"]
        if v["ThreePhase"]:
            phases = [(float(pct * total) - 1, initial, lr0), (float(2 * pct * total) - 2, lr0, initial),
                      (total - 1, initial, final)]
        else:
            phases = [(float(pct * total) - 1, initial, lr0), (total - 1, lr0, final)]
        k = min(k, total - 1)  # past the cycle the final rate holds (PyTorch raises)
        start = 0
        for i, (end, a, b) in enumerate(phases):
            if k <= end or i == len(phases) - 1:
                x = (k - start) / (end - start)
                if v["Anneal"] == COS:
                    return b + (a - b) / 2.0 * (math.cos(math.pi * x) + 1)
                return (b - a) * x + a
            start = end
    if attr == "InverseSquareRootDecay":
        w = v["WarmupSteps"]
        return lr0 * min((k + 1) / w, math.sqrt(w / (k + 1)))
    if attr == "LinearWarmup":
        f, w = v["StartFactor"], v["Steps"]
        return lr0 * (f + (1 - f) * min(k, w) / w)
    raise ValueError(attr)


def closed_form(spec, lr0, k):
    if len(spec) == 1:
        attr, props = spec[0]
        return closed_form_single(attr, resolved(attr, props), lr0, k)
    (warm_attr, warm_props), (attr, props) = spec
    warm = resolved(warm_attr, warm_props)
    if k < warm["Steps"]:
        return closed_form_single(warm_attr, warm, lr0, k)
    return closed_form_single(attr, resolved(attr, props), lr0, k - warm["Steps"])


def plateau_reference(v, lr0, metrics):
    """An independent re-statement of ReduceLROnPlateau's documented rule (reports, not steps)."""
    lr, best, bad, cooldown = lr0, math.inf if v["Mode"] == MINIMIZE else -math.inf, 0, 0
    out = [lr]
    for m in metrics:
        thr = v["Threshold"]
        if v["Mode"] == MINIMIZE:
            better = m < (best * (1 - thr) if v["ThresholdMode"] == RELATIVE else best - thr)
        else:
            better = m > (best * (1 + thr) if v["ThresholdMode"] == RELATIVE else best + thr)
        if better:
            best, bad = m, 0
        else:
            bad += 1
        if cooldown > 0:
            cooldown -= 1
            bad = 0
        if bad > v["Patience"]:
            new = max(lr * v["Factor"], v["MinLearningRate"])
            if lr - new > v["MinimumChange"]:
                lr = new
            cooldown, bad = v["Cooldown"], 0
        out.append(lr)
    return out


# ---------------------------------------------------------------------------------------------
# Metric sequences for ReduceOnPlateau (fixed formulas, no randomness).
# ---------------------------------------------------------------------------------------------
def loss_metrics():
    """60 losses: 15 improving, 30 on a noisy plateau (one insignificant and one real improvement), 15 rising."""
    out = [1.0 * 0.85 ** k for k in range(15)]
    best = out[-1]
    for k in range(30):
        out.append(best * (1.0 + 0.002 * ((7 * k) % 11) + 0.001))
        if k == 8:
            out[-1] = best * (1.0 - 5e-5)  # better, but by less than threshold=1e-4 (relative): a bad report
        if k == 13:
            best *= 0.95  # a real improvement; the plateau continues at the new level
            out[-1] = best
    out += [out[14 + 30] * (1.0 + 0.03 * (k + 1)) for k in range(15)]
    return out


def accuracy_metrics():
    """60 accuracies: 10 improving by 0.04, 30 on a plateau improving by < 0.01 (one real jump), 20 falling."""
    out = [0.5 + 0.04 * k for k in range(10)]
    level = out[-1]
    for k in range(30):
        if k == 16:
            level += 0.02  # beats best + 0.01: resets the count
        out.append(level + 0.001 * ((5 * k) % 9))
    out += [out[-1] - 0.01 * (k + 1) for k in range(20)]
    return out


# ---------------------------------------------------------------------------------------------
# Schedule configs: name, spec, steps (scheduler.step() calls; learning_rates has steps + 1 values).
# ---------------------------------------------------------------------------------------------
def sc(name, spec, steps=None, base_lr=0.1, metrics=None):
    return dict(name=name, spec=spec, steps=steps, base_lr=base_lr, metrics=metrics)


SCHEDULES = [
    sc("StepDecay3Half", [("StepDecay", [("StepSize", 3), ("Gamma", 0.5)])], 30),
    sc("StepDecay10", [("StepDecay", [("StepSize", 10)])], 40),
    sc("MultiStepDecayThreeMilestones", [("MultiStepDecay", [("Milestones", [5, 12, 20]), ("Gamma", 0.3)])], 40),
    sc("MultiStepDecayOneMilestone", [("MultiStepDecay", [("Milestones", [1]), ("Gamma", 0.9)])], 10),
    sc("ExponentialDecayPerStep", [("ExponentialDecay", [("Gamma", 0.95)])], 40),
    sc("ExponentialDecayOver10", [("ExponentialDecay", [("Gamma", 0.5), ("DecaySteps", 10)])], 40),
    sc("ExponentialDecayStaircase10",
       [("ExponentialDecay", [("Gamma", 0.5), ("DecaySteps", 10), ("Staircase", True)])], 40),
    sc("PolynomialDecay10", [("PolynomialDecay", [("TotalSteps", 10)])], 30),
    sc("PolynomialDecay20Square", [("PolynomialDecay", [("TotalSteps", 20), ("Power", 2.0)])], 60),
    sc("PolynomialDecay15Sqrt", [("PolynomialDecay", [("TotalSteps", 15), ("Power", 0.5)])], 45),
    sc("PolynomialDecay10SquareEnd",
       [("PolynomialDecay", [("TotalSteps", 10), ("Power", 2.0), ("EndLearningRate", 0.01)])], 30),
    sc("CosineDecay10", [("CosineDecay", [("TotalSteps", 10)])], 70),
    sc("CosineDecay25Min", [("CosineDecay", [("TotalSteps", 25), ("MinLearningRate", 0.001)])], 160),
    sc("CosineWarmRestarts10", [("CosineWarmRestarts", [("FirstPeriod", 10)])], 40),
    sc("CosineWarmRestarts5Doubling",
       [("CosineWarmRestarts", [("FirstPeriod", 5), ("PeriodMultiplier", 2), ("MinLearningRate", 0.001)])], 80),
    sc("OneCycle100", [("OneCycle", [("TotalSteps", 100)])], 99),
    sc("OneCycle50Linear", [("OneCycle", [("TotalSteps", 50), ("Anneal", LINEAR), ("WarmupFraction", 0.25)])], 49),
    sc("OneCycle60ThreePhase", [("OneCycle", [("TotalSteps", 60), ("ThreePhase", True)])], 59),
    sc("InverseSquareRootDecay10", [("InverseSquareRootDecay", [("WarmupSteps", 10)])], 50),
    sc("LinearWarmup5", [("LinearWarmup", [("Steps", 5), ("StartFactor", 0.1)])], 20),
    sc("LinearWarmup10Default", [("LinearWarmup", [("Steps", 10)])], 30),
    sc("LinearWarmup5Cosine20",
       [("LinearWarmup", [("Steps", 5), ("StartFactor", 0.1)]), ("CosineDecay", [("TotalSteps", 20)])], 130),
    sc("LinearWarmup4StepDecay5",
       [("LinearWarmup", [("Steps", 4), ("StartFactor", 0.25)]), ("StepDecay", [("StepSize", 5), ("Gamma", 0.5)])],
       30),
    sc("LinearWarmup3Exponential", [("LinearWarmup", [("Steps", 3)]), ("ExponentialDecay", [("Gamma", 0.9)])], 30),
    sc("PlateauMin", [("ReduceOnPlateau", [("Patience", 3), ("Cooldown", 2), ("Factor", 0.5),
                                           ("MinLearningRate", 0.01)])], metrics=loss_metrics()),
    sc("PlateauMaxAbs", [("ReduceOnPlateau", [("Mode", MAXIMIZE), ("ThresholdMode", ABSOLUTE), ("Threshold", 0.01),
                                              ("Patience", 2)])], metrics=accuracy_metrics()),
]

# ---------------------------------------------------------------------------------------------
# Optimizer + schedule combos run on generate.py's inputs (cfg as in generate.CONFIGS, plus "schedule").
# ---------------------------------------------------------------------------------------------
TRAJECTORIES = [
    dict(name="AdamStepDecayWeightDecay", rule="Adam", cls="Adam", kwargs=dict(lr=0.01, weight_decay=0.01),
         schedule=[("StepDecay", [("StepSize", 10), ("Gamma", 0.5)])]),
    dict(name="AdamWExponentialDecay", rule="AdamW", cls="AdamW", kwargs=dict(lr=0.01),
         schedule=[("ExponentialDecay", [("Gamma", 0.95)])]),
    dict(name="RMSpropPolynomialDecay", rule="RMSprop", cls="RMSprop", kwargs=dict(lr=0.01),
         schedule=[("PolynomialDecay", [("TotalSteps", 40), ("Power", 2.0)])]),
    dict(name="AdaGradCosineDecay", rule="AdaGrad", cls="Adagrad", kwargs=dict(lr=0.1, lr_decay=0.01),
         schedule=[("CosineDecay", [("TotalSteps", 25), ("MinLearningRate", 0.001)])]),
    dict(name="SgdNesterovLinearWarmup", rule="Sgd", cls="SGD", kwargs=dict(lr=0.05, momentum=0.9, nesterov=True),
         schedule=[("LinearWarmup", [("Steps", 10), ("StartFactor", 0.1)])]),
    dict(name="SgdMultiStepDecay", rule="Sgd", cls="SGD", kwargs=dict(lr=0.05, momentum=0.9),
         schedule=[("MultiStepDecay", [("Milestones", [15, 30, 45]), ("Gamma", 0.3)])]),
    dict(name="AdamWarmupCosine", rule="Adam", cls="Adam", kwargs=dict(lr=0.01),
         schedule=[("LinearWarmup", [("Steps", 5), ("StartFactor", 0.1)]), ("CosineDecay", [("TotalSteps", 40)])]),
    # ASGD computes each step's eta from the rate of the step before it; Rprop reads the rate only at its first step
    # (its initial step sizes), so a warm-up's first rate is the one that counts and later rates change nothing.
    dict(name="AsgdStepDecayAveraging", rule="Asgd", cls="ASGD", kwargs=dict(lr=0.05, lambd=1e-3, t0=10.0),
         schedule=[("StepDecay", [("StepSize", 10), ("Gamma", 0.5)])]),
    dict(name="RpropLinearWarmup", rule="Rprop", cls="Rprop", kwargs=dict(lr=0.05, step_sizes=(1e-4, 0.1)),
         schedule=[("LinearWarmup", [("Steps", 10), ("StartFactor", 0.1)])]),
    # Adadelta, Adamax, NAdam, RAdam (NAdam's mu-product is per step, not per rate: the schedule leaves it alone)
    dict(name="AdadeltaStepDecay", rule="Adadelta", cls="Adadelta", kwargs=dict(lr=1.0, weight_decay=0.01),
         schedule=[("StepDecay", [("StepSize", 10), ("Gamma", 0.5)])]),
    dict(name="AdamaxExponentialDecay", rule="Adamax", cls="Adamax", kwargs=dict(lr=0.01),
         schedule=[("ExponentialDecay", [("Gamma", 0.95)])]),
    dict(name="NAdamCosineDecay", rule="NAdam", cls="NAdamReference", kwargs=dict(lr=0.01, momentum_decay=0.01),
         schedule=[("CosineDecay", [("TotalSteps", 25), ("MinLearningRate", 0.001)])]),
    dict(name="RAdamWarmupCosine", rule="RAdam", cls="RAdam", kwargs=dict(lr=0.01, weight_decay=0.01),
         schedule=[("LinearWarmup", [("Steps", 5), ("StartFactor", 0.1)]), ("CosineDecay", [("TotalSteps", 40)])]),
    # Lion and Schedule-Free AdamW (generate.py's references): a scheduler sets the group's lr, which Lion's decay and
    # step and Schedule-Free's warm-up, lr_max and averaging weights read.
    dict(name="LionWarmupCosine", rule="Lion", cls="Lion", kwargs=dict(lr=3e-4, weight_decay=0.1),
         schedule=[("LinearWarmup", [("Steps", 5), ("StartFactor", 0.1)]), ("CosineDecay", [("TotalSteps", 40)])]),
    dict(name="ScheduleFreeAdamWStepDecay", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree",
         kwargs=dict(lr=0.01, warmup_steps=5, r=1.0),
         schedule=[("StepDecay", [("StepSize", 20), ("Gamma", 0.5)])]),
]


def make_scheduler(text, optimizer):
    namespace = {name: getattr(torch.optim.lr_scheduler, name) for name in dir(torch.optim.lr_scheduler)}
    namespace["optimizer"] = optimizer
    return eval(text, namespace)  # noqa: S307 - our own constant text, recorded as is


def schedule_rates(cfg):
    """[lr of step 0, then after each scheduler.step()] from torch (or the closed form where torch has none)."""
    text = torch_text(cfg["spec"], cfg["base_lr"])
    if text is None:
        return None, [closed_form(cfg["spec"], cfg["base_lr"], k) for k in range(cfg["steps"] + 1)]
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=cfg["base_lr"])
    scheduler = make_scheduler(text, optimizer)
    plateau = isinstance(scheduler, ReduceLROnPlateau)
    rates = [optimizer.param_groups[0]["lr"] if plateau else scheduler.get_last_lr()[0]]
    assert rates[0] == optimizer.param_groups[0]["lr"]
    for k in range(len(cfg["metrics"]) if plateau else cfg["steps"]):
        optimizer.step()
        if plateau:
            scheduler.step(cfg["metrics"][k])
            rates.append(optimizer.param_groups[0]["lr"])
        else:
            scheduler.step()
            rates.append(scheduler.get_last_lr()[0])
            assert rates[-1] == optimizer.param_groups[0]["lr"]
    return text, [float(r) for r in rates]


def relative_error(actual, expected):
    worst = 0.0
    for a, e in zip(actual, expected):
        worst = max(worst, abs(a - e) / abs(e) if e != 0 else abs(a))
    return worst


def run_trajectory(cfg, params0, grads, dtype, scheduler_text):
    p = torch.tensor(params0, dtype=torch.float64).to(dtype).requires_grad_(True)
    optimizer = make_optimizer(cfg, p)
    scheduler = make_scheduler(scheduler_text, optimizer)
    out = np.empty((STEPS, N), dtype=np.float64 if dtype == torch.float64 else np.float32)
    rates = []
    for t in range(STEPS):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        p.grad = torch.tensor(grads[t], dtype=torch.float64).to(dtype)
        optimizer.step()
        scheduler.step()
        out[t] = p.detach().numpy()
    assert np.all(np.isfinite(out)), cfg["name"]
    return out, rates


def write_cs(path):
    lines = [
        "// Generated by generate_schedules.py (PyTorch oracle fixtures for learning-rate schedules). Do not edit:",
        "// rerun the script instead.",
        "",
        "using System;",
        "using System.Collections.Generic;",
        "using OptGen;",
        "",
        "namespace OptGen.Tests.PyTorch;",
        "",
    ]
    for cfg in SCHEDULES:
        lines.append(f"[Optimizer(UpdateRule.Sgd, LearningRate = {cs_literal(cfg['base_lr'])})]")
        lines += cs_schedule_attributes(cfg["spec"])
        lines += [f"internal sealed partial class {cfg['name']}Schedule;", ""]
    for cfg in TRAJECTORIES:
        for suffix, double in (("Single", False), ("Double", True)):
            lines += cs_attributes(cfg, double) + cs_schedule_attributes(cfg["schedule"])
            lines += [f"internal sealed partial class {cfg['name']}{suffix};", ""]
    lines += [
        "internal static class PyTorchScheduleOptimizers",
        "{",
        "    public static IReadOnlyList<string> ScheduleNames { get; } =",
        "    [",
    ]
    lines += [f'        "{c["name"]}",' for c in SCHEDULES]
    lines += [
        "    ];",
        "",
        "    public static global::OptGen.IOptimizer<float> CreateSchedule(string name, int length) => name switch",
        "    {",
    ]
    lines += [f'        "{c["name"]}" => new {c["name"]}Schedule(length),' for c in SCHEDULES]
    lines += [
        "        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),",
        "    };",
        "",
        "    public static IReadOnlyList<string> TrajectoryNames { get; } =",
        "    [",
    ]
    lines += [f'        "{c["name"]}",' for c in TRAJECTORIES]
    lines += ["    ];", ""]
    for suffix, elem in (("Single", "float"), ("Double", "double")):
        lines += [
            f"    public static global::OptGen.IOptimizer<{elem}> Create{suffix}(string name, int length) => name switch",
            "    {",
        ]
        lines += [f'        "{c["name"]}" => new {c["name"]}{suffix}(length),' for c in TRAJECTORIES]
        lines += [
            "        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),",
            "    };",
            "",
        ]
    plateaus = [c for c in SCHEDULES if c["spec"][0][0] == "ReduceOnPlateau"]
    lines += [
        "    /// <summary>Calls <c>ReportMetric</c> of a ReduceOnPlateau schedule config; true when the rate was reduced.</summary>",
        "    public static bool ReportMetric(global::OptGen.IOptimizer optimizer, double metric) => optimizer switch",
        "    {",
    ]
    lines += [f"        {c['name']}Schedule o => o.ReportMetric(metric)," for c in plateaus]
    lines += [
        '        _ => throw new ArgumentException($"{optimizer?.GetType().Name} has no ReduceOnPlateau schedule.",'
        " nameof(optimizer)),",
        "    };",
        "}",
    ]
    with open(path, "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def dump_json(path, obj):
    with open(path, "w", newline="\n") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def main():
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # SequentialLR's scheduler.step(0) deprecation warning, and the like
    names = [c["name"] for c in SCHEDULES] + [c["name"] for c in TRAJECTORIES]
    assert len(set(names)) == len(names)

    configs = []
    for cfg in SCHEDULES:
        text, rates = schedule_rates(cfg)
        assert all(math.isfinite(r) and r >= 0 for r in rates), cfg["name"]
        entry = {"name": cfg["name"], "attributes": " ".join(cs_schedule_attributes(cfg["spec"])), "torch": text,
                 "base_lr": cfg["base_lr"], "learning_rates": rates}
        if cfg["metrics"] is not None:
            entry["metrics"] = cfg["metrics"]
            (attr, props), = cfg["spec"]
            expected = plateau_reference(resolved(attr, props), cfg["base_lr"], cfg["metrics"])
        else:
            expected = [closed_form(cfg["spec"], cfg["base_lr"], k) for k in range(len(rates))]
        err = relative_error(rates, expected)
        print(f"{cfg['name']:32s} {len(rates):4d} rates  max rel. diff from closed form {err:.3g}"
              + ("" if text else "  (closed form: no torch equivalent)"))
        configs.append(entry)
    dump_json(os.path.join(HERE, "schedules.json"), {"torch_version": torch.__version__, "configs": configs})

    inputs = np.fromfile(os.path.join(HERE, "inputs.f64.bin"), dtype="<f8")
    assert inputs.size == N * (STEPS + 1), inputs.size
    params0, grads = inputs[:N], inputs[N:].reshape(STEPS, N)
    combos = []
    for cfg in TRAJECTORIES:
        text = torch_text(cfg["schedule"], cfg["kwargs"]["lr"])
        single, rates32 = run_trajectory(cfg, params0, grads, torch.float32, text)
        double, rates = run_trajectory(cfg, params0, grads, torch.float64, text)
        assert rates32 == rates, cfg["name"]
        single.astype("<f4").tofile(os.path.join(HERE, cfg["name"] + ".schedule.f32.bin"))
        double.astype("<f8").tofile(os.path.join(HERE, cfg["name"] + ".schedule.f64.bin"))
        expected = [closed_form(cfg["schedule"], cfg["kwargs"]["lr"], k) for k in range(STEPS)]
        print(f"{cfg['name']:32s} {STEPS:4d} rates  max rel. diff from closed form {relative_error(rates, expected):.3g}")
        combos.append({"name": cfg["name"], "torch": torch_call_text(cfg), "torch_scheduler": text,
                       "attributes": " ".join(cs_attributes(cfg, False) + cs_schedule_attributes(cfg["schedule"])),
                       "learning_rates": rates})
    dump_json(os.path.join(HERE, "schedule_trajectories.json"),
              {"torch_version": torch.__version__, "length": N, "steps": STEPS, "configs": combos})

    write_cs(os.path.join(HERE, "PyTorchScheduleOptimizers.cs"))


if __name__ == "__main__":
    main()
