"""PyTorch oracle for OptGen's numeric tests.

Run from this folder with PyTorch 1.13 (e.g. Debian's ``/usr/bin/python3``):

    python3 generate.py

It rewrites, in this folder:

* ``inputs.f64.bin``  - float64 LE: the N initial parameters, then STEPS x N gradients (step by step);
* ``{Name}.f32.bin``  - float32 LE: STEPS x N parameters after each step, float32 run of config ``Name``;
* ``{Name}.f64.bin``  - float64 LE: the same for the float64 run;
* ``{Name}.{buffer}.f32.bin`` / ``.f64.bin`` - the same for each state buffer a config names in ``state``
  (ASGD's output-only averaged parameters ``ax``), after each step;
* ``{Name}.eval.f32.bin`` / ``{Name}.eval.f64.bin`` - Schedule-Free only: the N parameters after the last step and
  the reference's ``eval()`` (the average x), float32 / float64 LE;
* ``manifest.json``   - torch version, N, STEPS, and every config's torch call, C# attributes, recorded state buffers and evaluation points;
* ``PyTorchFixtureOptimizers.cs`` - the matching OptGen optimizer declarations and a factory.

The outputs are committed test fixtures: the C# tests read them and never run Python. Rerun this
script only to change the fixtures, and commit its outputs together with any change to it.

Everything is deterministic: the inputs come from a seeded NumPy generator, the optimizers run on the
CPU with ``foreach=False`` (PyTorch's single-tensor implementations) on one thread. Lion and Schedule-Free
AdamW, which torch 1.13 lacks, run the references defined here: the authors' torch ops in their order.
"""

import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

N = 259  # parameter count: not a multiple of any vector width, so every kernel has a tail
STEPS = 60
SEED = 20240613

# ---------------------------------------------------------------------------------------------
# Config table. Each entry: C# name, OptGen UpdateRule, torch optimizer class, keyword arguments
# in the order they are written. "lr_default" marks a config whose C# side leaves LearningRate
# unset (OptGen's documented default) while torch is given that same value explicitly because
# torch 1.13's SGD has no default learning rate.
# ---------------------------------------------------------------------------------------------
CONFIGS = [
    # SGD
    dict(name="SgdPlain", rule="Sgd", cls="SGD", kwargs=dict(lr=0.05)),
    dict(name="SgdMomentum", rule="Sgd", cls="SGD", kwargs=dict(lr=0.05, momentum=0.9)),
    dict(name="SgdMomentumDampening", rule="Sgd", cls="SGD", kwargs=dict(lr=0.02, momentum=0.9, dampening=0.1)),
    dict(name="SgdNesterovWeightDecay", rule="Sgd", cls="SGD",
         kwargs=dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    dict(name="SgdWeightDecay", rule="Sgd", cls="SGD", kwargs=dict(lr=0.05, weight_decay=0.1)),
    dict(name="SgdMaximizeMomentum", rule="Sgd", cls="SGD", kwargs=dict(lr=0.01, momentum=0.8, maximize=True)),
    dict(name="SgdDefault", rule="Sgd", cls="SGD", kwargs=dict(lr=1e-3), lr_default=True),
    # Adagrad
    dict(name="AdaGradDefault", rule="AdaGrad", cls="Adagrad", kwargs=dict()),
    dict(name="AdaGradLrDecayInitAcc", rule="AdaGrad", cls="Adagrad",
         kwargs=dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    dict(name="AdaGradWeightDecay", rule="AdaGrad", cls="Adagrad", kwargs=dict(lr=0.05, weight_decay=0.05)),
    dict(name="AdaGradEps", rule="AdaGrad", cls="Adagrad", kwargs=dict(lr=0.05, eps=1e-6)),
    dict(name="AdaGradMaximize", rule="AdaGrad", cls="Adagrad", kwargs=dict(lr=0.05, maximize=True)),
    # RMSprop
    dict(name="RMSpropDefault", rule="RMSprop", cls="RMSprop", kwargs=dict()),
    dict(name="RMSpropMomentum", rule="RMSprop", cls="RMSprop", kwargs=dict(lr=0.01, momentum=0.9)),
    dict(name="RMSpropCentered", rule="RMSprop", cls="RMSprop", kwargs=dict(lr=0.01, centered=True)),
    dict(name="RMSpropCenteredMomentumWeightDecay", rule="RMSprop", cls="RMSprop",
         kwargs=dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.01)),
    dict(name="RMSpropAlphaEps", rule="RMSprop", cls="RMSprop", kwargs=dict(lr=0.01, alpha=0.9, eps=1e-6)),
    dict(name="RMSpropMaximize", rule="RMSprop", cls="RMSprop", kwargs=dict(lr=0.01, maximize=True)),
    # Adam (weight decay is coupled, L2)
    dict(name="AdamDefault", rule="Adam", cls="Adam", kwargs=dict()),
    dict(name="AdamBetas", rule="Adam", cls="Adam", kwargs=dict(lr=0.01, betas=(0.8, 0.99))),
    dict(name="AdamAmsGrad", rule="Adam", cls="Adam", kwargs=dict(lr=0.01, amsgrad=True)),
    dict(name="AdamWeightDecay", rule="Adam", cls="Adam", kwargs=dict(lr=0.01, weight_decay=0.01)),
    dict(name="AdamMaximize", rule="Adam", cls="Adam", kwargs=dict(lr=0.01, maximize=True)),
    dict(name="AdamEps", rule="Adam", cls="Adam", kwargs=dict(lr=0.01, eps=1e-6)),
    dict(name="AdamAll", rule="Adam", cls="Adam",
         kwargs=dict(lr=0.01, betas=(0.85, 0.995), eps=1e-7, weight_decay=0.02, amsgrad=True, maximize=True)),
    # AdamW (weight decay is decoupled; torch's and OptGen's default is 0.01)
    dict(name="AdamWDefault", rule="AdamW", cls="AdamW", kwargs=dict()),
    dict(name="AdamWWeightDecayAmsGrad", rule="AdamW", cls="AdamW", kwargs=dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    dict(name="AdamWMaximize", rule="AdamW", cls="AdamW", kwargs=dict(lr=0.01, maximize=True, weight_decay=0.05)),
    # ASGD and Rprop. ASGD's averaged parameters (state "ax", output only) are recorded too ({Name}.ax.f32.bin, ...).
    # t0 = 10 and 20.5 start the averaging within the 60 steps (mu < 1 from step t0 + 3 on: 1.13 updates mu after using
    # it); the default t0 = 1e6 never does. Rprop's configs with narrow step_sizes reach both bounds (checked below).
    dict(name="AsgdDefault", rule="Asgd", cls="ASGD", kwargs=dict(), state=["ax"]),
    dict(name="AsgdAveraging", rule="Asgd", cls="ASGD", kwargs=dict(lr=0.05, lambd=1e-3, alpha=0.6, t0=10.0),
         state=["ax"]),
    dict(name="AsgdWeightDecayFractionalStart", rule="Asgd", cls="ASGD",
         kwargs=dict(lr=0.02, lambd=0.01, alpha=1.0, t0=20.5, weight_decay=0.05), state=["ax"]),
    dict(name="AsgdMaximize", rule="Asgd", cls="ASGD", kwargs=dict(lr=0.03, t0=5.0, maximize=True), state=["ax"]),
    dict(name="RpropDefault", rule="Rprop", cls="Rprop", kwargs=dict()),
    dict(name="RpropEtas", rule="Rprop", cls="Rprop", kwargs=dict(lr=0.05, etas=(0.3, 1.5))),
    dict(name="RpropStepSizes", rule="Rprop", cls="Rprop", kwargs=dict(lr=0.01, step_sizes=(0.002, 0.03)),
         clamps=True),
    dict(name="RpropAll", rule="Rprop", cls="Rprop",
         kwargs=dict(lr=0.003, etas=(0.45, 1.25), step_sizes=(0.001, 0.005), maximize=True), clamps=True),
    # Adadelta, Adamax, NAdam, RAdam. NAdam runs NAdamReference (1.13's single-tensor operations with the corrected
    # mu-product of pytorch/pytorch#92699); RAdam's options from later PyTorch (maximize, decoupled_weight_decay) run
    # RAdamReference. Adadelta's rho and the Adam family's betas stay with beta2 >= beta1 (no OPTG020 warning).
    dict(name="AdadeltaDefault", rule="Adadelta", cls="Adadelta", kwargs=dict()),
    dict(name="AdadeltaRhoEps", rule="Adadelta", cls="Adadelta", kwargs=dict(lr=0.5, rho=0.95, eps=1e-5)),
    dict(name="AdadeltaRhoZero", rule="Adadelta", cls="Adadelta", kwargs=dict(lr=0.1, rho=0.0)),
    dict(name="AdadeltaRhoOne", rule="Adadelta", cls="Adadelta", kwargs=dict(lr=0.01, rho=1.0)),
    dict(name="AdadeltaWeightDecay", rule="Adadelta", cls="Adadelta", kwargs=dict(weight_decay=0.1)),
    dict(name="AdadeltaMaximize", rule="Adadelta", cls="Adadelta", kwargs=dict(lr=0.5, maximize=True, weight_decay=0.01)),
    dict(name="AdamaxDefault", rule="Adamax", cls="Adamax", kwargs=dict()),
    dict(name="AdamaxBetasEps", rule="Adamax", cls="Adamax", kwargs=dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    dict(name="AdamaxWeightDecay", rule="Adamax", cls="Adamax", kwargs=dict(lr=0.01, weight_decay=0.05)),
    dict(name="AdamaxMaximize", rule="Adamax", cls="Adamax", kwargs=dict(lr=0.01, maximize=True, weight_decay=0.01)),
    dict(name="NAdamDefault", rule="NAdam", cls="NAdamReference", kwargs=dict()),
    dict(name="NAdamBetasEps", rule="NAdam", cls="NAdamReference", kwargs=dict(lr=0.01, betas=(0.85, 0.995), eps=1e-6)),
    dict(name="NAdamMomentumDecay", rule="NAdam", cls="NAdamReference", kwargs=dict(lr=0.01, momentum_decay=0.05)),
    dict(name="NAdamNoMomentumDecay", rule="NAdam", cls="NAdamReference", kwargs=dict(lr=0.01, momentum_decay=0.0)),
    dict(name="NAdamWeightDecay", rule="NAdam", cls="NAdamReference", kwargs=dict(lr=0.01, weight_decay=0.02)),
    dict(name="NAdamDecoupledWeightDecay", rule="NAdam", cls="NAdamReference",
         kwargs=dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    dict(name="NAdamMaximize", rule="NAdam", cls="NAdamReference", kwargs=dict(lr=0.01, maximize=True, weight_decay=0.01)),
    dict(name="RAdamDefault", rule="RAdam", cls="RAdam", kwargs=dict()),
    dict(name="RAdamBetasEps", rule="RAdam", cls="RAdam", kwargs=dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    dict(name="RAdamNeverRectified", rule="RAdam", cls="RAdam", kwargs=dict(lr=0.01, betas=(0.5, 0.6))),
    dict(name="RAdamWeightDecay", rule="RAdam", cls="RAdam", kwargs=dict(lr=0.01, weight_decay=0.02)),
    dict(name="RAdamDecoupledWeightDecay", rule="RAdam", cls="RAdamReference",
         kwargs=dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    dict(name="RAdamMaximize", rule="RAdam", cls="RAdamReference", kwargs=dict(lr=0.01, maximize=True, weight_decay=0.01)),
    # Lion and Schedule-Free AdamW: not in torch 1.13; their references (below) are written with torch ops in the
    # authors' order. Lion's weight decay is decoupled by definition, as its attribute's default for Lion.
    dict(name="LionDefault", rule="Lion", cls="Lion", kwargs=dict()),
    dict(name="LionBetas", rule="Lion", cls="Lion", kwargs=dict(lr=1e-3, betas=(0.95, 0.98))),
    dict(name="LionWeightDecay", rule="Lion", cls="Lion", kwargs=dict(lr=1e-3, weight_decay=0.1)),
    dict(name="LionMaximize", rule="Lion", cls="Lion", kwargs=dict(lr=3e-4, maximize=True, weight_decay=0.01)),
    dict(name="ScheduleFreeAdamWDefault", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree", kwargs=dict()),
    dict(name="ScheduleFreeAdamWWarmup", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree",
         kwargs=dict(lr=0.01, warmup_steps=10)),
    dict(name="ScheduleFreeAdamWR", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree", kwargs=dict(lr=0.01, r=1.0)),
    dict(name="ScheduleFreeAdamWWeightLrPower", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree",
         kwargs=dict(lr=0.01, warmup_steps=8, weight_lr_power=0.5)),
    dict(name="ScheduleFreeAdamWWeightDecay", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree",
         kwargs=dict(lr=0.01, weight_decay=0.05)),
    dict(name="ScheduleFreeAdamWBetasEps", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree",
         kwargs=dict(lr=0.01, betas=(0.95, 0.99), eps=1e-6)),
    dict(name="ScheduleFreeAdamWLowBeta1", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree",
         kwargs=dict(lr=0.01, betas=(0.5, 0.999))),  # x = lerp(y, z, -1): eval's other lerp branch
    dict(name="ScheduleFreeAdamWMaximize", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree",
         kwargs=dict(lr=0.01, maximize=True)),
    dict(name="ScheduleFreeAdamWAll", rule="ScheduleFreeAdamW", cls="AdamWScheduleFree",
         kwargs=dict(lr=0.02, betas=(0.85, 0.995), eps=1e-7, weight_decay=0.01, warmup_steps=5, r=0.5,
                     weight_lr_power=1.5)),
]


# ---------------------------------------------------------------------------------------------
# References for what torch 1.13 lacks, written with torch ops in the order of the code they follow.
# ---------------------------------------------------------------------------------------------
class NAdamReference(torch.optim.Optimizer):
    """torch.optim.NAdam: 1.13's _single_tensor_nadam operation for operation, except the product of the next step,
    computed as pytorch/pytorch#92699 corrected it and every later release computes it, _get_value(mu_product) * mu_next:
    a Python float, as 1.13's foreach path also has it (1.13's single-tensor path multiplies mu in twice, in a float32
    tensor: corrected=False replays that); and later PyTorch's decoupled_weight_decay (param.mul_(1 - lr * weight_decay)
    where L2 would apply) and maximize (the gradient negated first). mu_product is a 0-d float32 tensor, as in PyTorch,
    whatever the parameters' dtype."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, maximize=False, foreach=False, corrected=True):
        assert not foreach
        self.corrected = corrected
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
            for param in group["params"]:
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = torch.tensor(0.)
                    state["mu_product"] = torch.tensor(1.)
                    state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                grad, exp_avg, exp_avg_sq = param.grad, state["exp_avg"], state["exp_avg_sq"]
                grad = -grad if group["maximize"] else grad
                mu_product, step_t = state["mu_product"], state["step"]
                step_t += 1
                step = step_t.item()
                bias_correction2 = 1 - beta2 ** step
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad.add(param, alpha=weight_decay)
                mu = beta1 * (1. - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product *= mu
                mu_product_next = mu_product.item() * mu_next if self.corrected else (mu_product * mu * mu_next).item()
                exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
                param.addcdiv_(grad, denom, value=-lr * (1. - mu) / (1. - mu_product.item()))
                param.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1. - mu_product_next))


class RAdamReference(torch.optim.RAdam):
    """torch.optim.RAdam (1.13's single-tensor step) with later PyTorch's maximize (the gradient negated first) and
    decoupled_weight_decay=True (param.mul_(1 - lr * weight_decay) first, then the step without L2: nothing between the
    two reads the parameters)."""

    def __init__(self, params, weight_decay=0, decoupled_weight_decay=False, maximize=False, **kwargs):
        self.decoupled, self.maximize = decoupled_weight_decay, maximize
        super().__init__(params, weight_decay=weight_decay, **kwargs)

    @torch.no_grad()
    def step(self):
        decays, grads = [], []
        for group in self.param_groups:
            for param in group["params"]:
                grads.append(param.grad)
                if self.maximize:
                    param.grad = -param.grad
                if self.decoupled:
                    param.mul_(1 - group["lr"] * group["weight_decay"])
            decays.append(group["weight_decay"])
            if self.decoupled:
                group["weight_decay"] = 0
        super().step()
        for group, decay in zip(self.param_groups, decays):
            group["weight_decay"] = decay
        for param, grad in zip((p for g in self.param_groups for p in g["params"]), grads):
            param.grad = grad


# References for the rules torch 1.13 lacks, run like torch.optim's classes (foreach is accepted and ignored:
# each is one single-tensor loop). Every op is the authors' torch op, in their order.
# ---------------------------------------------------------------------------------------------
class Lion(torch.optim.Optimizer):
    """Lion (Chen et al. 2023, arXiv 2302.06675, Algorithm 2), in the order of the authors' PyTorch reference
    (lucidrains/lion-pytorch; bitsandbytes' pure-torch reference): decoupled decay, the sign step, then the momentum.
    torch.sign gives 0 for 0 (and NaN). maximize, which the reference lacks, negates the gradient first."""

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False, foreach=None):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, wd = group["lr"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                grad = -p.grad if group["maximize"] else p.grad
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                exp_avg = state["exp_avg"]
                p.mul_(1 - lr * wd)
                update = exp_avg.clone().mul_(beta1).add_(grad, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-lr)
                exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)


class AdamWScheduleFree(torch.optim.Optimizer):
    """facebookresearch/schedule_free's AdamWScheduleFree (schedulefree/adamw_schedulefree.py), its single-tensor
    path (foreach=False) with inner_momentum=0, op for op. p holds y in train mode; eval() sets it to x.
    maximize, which the reference lacks, negates the gradient first."""

    def __init__(self, params, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, warmup_steps=0, r=0.0,
                 weight_lr_power=2.0, maximize=False, foreach=None):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, r=r, k=0, warmup_steps=warmup_steps,
                                      train_mode=False, weight_sum=0.0, lr_max=-1.0, scheduled_lr=0.0,
                                      weight_lr_power=weight_lr_power, weight_decay=weight_decay,
                                      maximize=maximize))

    @torch.no_grad()
    def eval(self):
        for group in self.param_groups:
            beta1, _ = group["betas"]
            if group["train_mode"]:
                for p in group["params"]:
                    state = self.state[p]
                    if "z" in state:
                        p.lerp_(end=state["z"], weight=1 - 1 / beta1)  # set p to x
                group["train_mode"] = False

    @torch.no_grad()
    def train(self):
        for group in self.param_groups:
            beta1, _ = group["betas"]
            if not group["train_mode"]:
                for p in group["params"]:
                    state = self.state[p]
                    if "z" in state:
                        p.lerp_(end=state["z"], weight=1 - beta1)  # set p to y
                group["train_mode"] = True

    @torch.no_grad()
    def step(self):
        assert self.param_groups[0]["train_mode"], "call train() before step()"
        for group in self.param_groups:
            eps = group["eps"]
            beta1, beta2 = group["betas"]
            decay = group["weight_decay"]
            k = group["k"]
            r = group["r"]
            warmup_steps = group["warmup_steps"]
            weight_lr_power = group["weight_lr_power"]
            if k < warmup_steps:
                sched = (k + 1) / warmup_steps
            else:
                sched = 1.0
            bias_correction2 = 1 - beta2 ** (k + 1)
            lr = group["lr"] * sched
            group["scheduled_lr"] = lr
            lr_max = group["lr_max"] = max(lr, group["lr_max"])
            weight = ((k + 1) ** r) * (lr_max ** weight_lr_power)
            weight_sum = group["weight_sum"] = group["weight_sum"] + weight
            try:
                ckp1 = weight / weight_sum
            except ZeroDivisionError:
                ckp1 = 0
            for p in group["params"]:
                if "z" not in self.state[p]:
                    self.state[p]["z"] = torch.clone(p, memory_format=torch.preserve_format)
                    self.state[p]["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            for p in group["params"]:
                y = p
                grad = -p.grad if group["maximize"] else p.grad
                state = self.state[p]
                z = state["z"]
                exp_avg_sq = state["exp_avg_sq"]
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt_().add_(eps)
                grad_normalized = grad.div_(denom)
                if decay != 0:
                    grad_normalized.add_(y, alpha=decay)
                y.lerp_(end=z, weight=ckp1)
                y.add_(grad_normalized, alpha=lr * (beta1 * (1 - ckp1) - 1))
                z.sub_(grad_normalized, alpha=lr)
            group["k"] = k + 1


REFERENCES = {c.__name__: c for c in (NAdamReference, RAdamReference, Lion, AdamWScheduleFree)}


def optimizer_class(cfg):
    """The config's optimizer class: a torch.optim class, or the script's reference for what torch 1.13 lacks."""
    return REFERENCES.get(cfg["cls"]) or getattr(torch.optim, cfg["cls"])


def make_optimizer(cfg, p):
    """The config's optimizer over [p], in training mode (Schedule-Free's reference needs train() first)."""
    opt = optimizer_class(cfg)([p], **cfg["kwargs"], foreach=False)
    if hasattr(opt, "train"):
        opt.train()
    return opt


def make_inputs():
    """Initial parameters (N) and gradients (STEPS x N), float64, independent of any optimizer."""
    rng = np.random.default_rng(SEED)
    params0 = rng.standard_normal(N)
    grads = np.empty((STEPS, N))
    for t in range(STEPS):
        g = rng.standard_normal(N)
        perm = rng.permutation(N)
        outliers, tiny, rest = perm[:3], perm[3:6], perm[6:]
        # A few outliers, magnitude 1e2..1e3 (log-uniform), random sign.
        g[outliers] = rng.choice([-1.0, 1.0], size=3) * 10.0 ** rng.uniform(2.0, 3.0, size=3)
        # A few tiny values around 1e-6, random sign.
        g[tiny] = rng.choice([-1.0, 1.0], size=3) * rng.uniform(0.5, 2.0, size=3) * 1e-6
        # About 10% exact zeros among the others.
        g[rest[rng.random(rest.size) < 0.1]] = 0.0
        grads[t] = g
    return params0, grads


def cs_literal(value):
    """A C# literal for a Python value; floats use repr(), which round-trips exactly (e.g. 0.01, 1e-08)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(float(value))
    assert float(text) == value and "inf" not in text and "nan" not in text
    return text


def cs_attributes(cfg, double):
    """The C# attribute lines equivalent to the config's torch keyword arguments."""
    kw = cfg["kwargs"]
    named = []
    if "lr" in kw and not cfg.get("lr_default"):
        named.append("LearningRate = " + cs_literal(kw["lr"]))
    if kw.get("maximize"):
        named.append("Maximize = true")
    if double:
        named.append("ElementType = typeof(double)")
    attrs = ["[Optimizer(" + ", ".join(["UpdateRule." + cfg["rule"]] + named) + ")]"]
    if "betas" in kw:
        b1, b2 = kw["betas"]
        attrs.append(f"[MomentDecay(First = {cs_literal(b1)}, Second = {cs_literal(b2)})]")
    if "alpha" in kw and cfg["rule"] == "RMSprop":  # RMSprop's alpha is the second-moment decay
        attrs.append(f"[MomentDecay(Second = {cs_literal(kw['alpha'])})]")
    if "rho" in kw:  # Adadelta's rho too
        attrs.append(f"[MomentDecay(Second = {cs_literal(kw['rho'])})]")
    if "eps" in kw:
        attrs.append(f"[Epsilon({cs_literal(kw['eps'])})]")
    if "weight_decay" in kw:  # coupled except for AdamW, where the attribute defaults to decoupled
        decoupled = ", Decoupled = true" if kw.get("decoupled_weight_decay") else ""
        attrs.append(f"[WeightDecay({cs_literal(kw['weight_decay'])}{decoupled})]")
    if "momentum_decay" in kw:
        attrs.append(f"[MomentumDecay({cs_literal(kw['momentum_decay'])})]")
    if "momentum" in kw:
        args = [cs_literal(kw["momentum"])]
        if kw.get("nesterov"):
            args.append("Nesterov = true")
        if "dampening" in kw:
            args.append("Dampening = " + cs_literal(kw["dampening"]))
        attrs.append("[Momentum(" + ", ".join(args) + ")]")
    if kw.get("amsgrad"):
        attrs.append("[AmsGrad]")
    if kw.get("centered"):
        attrs.append("[Centered]")
    if "lr_decay" in kw:
        attrs.append(f"[LearningRateDecay({cs_literal(kw['lr_decay'])})]")
    if "initial_accumulator_value" in kw:
        attrs.append(f"[InitialAccumulator({cs_literal(kw['initial_accumulator_value'])})]")
    averaging = [(key, name) for key, name in (("lambd", "Lambda"), ("alpha", "Power"), ("t0", "StartStep")) if key in kw]
    if averaging and cfg["rule"] == "Asgd":  # ASGD's alpha is the power of its step-size decay
        attrs.append("[Averaging(" + ", ".join(f"{name} = {cs_literal(kw[key])}" for key, name in averaging) + ")]")
    adaptation = []
    if "etas" in kw:
        adaptation += [f"Decrease = {cs_literal(kw['etas'][0])}", f"Increase = {cs_literal(kw['etas'][1])}"]
    if "step_sizes" in kw:
        adaptation += [f"Minimum = {cs_literal(kw['step_sizes'][0])}", f"Maximum = {cs_literal(kw['step_sizes'][1])}"]
    if adaptation:
        attrs.append("[StepSizeAdaptation(" + ", ".join(adaptation) + ")]")
    schedule_free = [(cs, kw[key]) for key, cs in (("warmup_steps", "WarmupSteps"), ("r", "R"),
                                                   ("weight_lr_power", "WeightLearningRatePower")) if key in kw]
    if schedule_free:
        attrs.append("[ScheduleFree(" + ", ".join(
            f"{cs} = {value if isinstance(value, int) else cs_literal(value)}" for cs, value in schedule_free) + ")]")
    return attrs


def torch_call_text(cfg):
    """The torch constructor call as text (foreach=False is always added when it is run)."""
    args = ["params"] + [f"{k}={v!r}" for k, v in cfg["kwargs"].items()]
    module = "generate" if cfg["cls"] in REFERENCES else "torch.optim"  # the script's own reference
    return f"{module}.{cfg['cls']}({', '.join(args)})"


def run(cfg, params0, grads, dtype, make=None):
    """
    Runs the config's optimizer (or make(params)) for STEPS steps; returns the STEPS x N parameters after each step
    and, for each state buffer the config names in "state", its STEPS x N values after each step.
    """
    p = torch.tensor(params0, dtype=torch.float64).to(dtype).requires_grad_(True)
    opt = make([p]) if make else make_optimizer(cfg, p)
    numpy_type = np.float64 if dtype == torch.float64 else np.float32
    out = np.empty((STEPS, N), dtype=numpy_type)
    states = {name: np.empty((STEPS, N), dtype=numpy_type) for name in cfg.get("state", [])}
    clamped = {"min": 0, "max": 0}
    for t in range(STEPS):
        p.grad = torch.tensor(grads[t], dtype=torch.float64).to(dtype)
        opt.step()
        out[t] = p.detach().numpy()
        for name, values in states.items():
            values[t] = opt.state[p][name].numpy()
        if cfg["cls"] == "Rprop":
            low, high = (torch.tensor(b, dtype=dtype).item() for b in cfg["kwargs"].get("step_sizes", (1e-6, 50)))
            sizes = opt.state[p]["step_size"].numpy()
            clamped["min"] += int(np.sum(sizes == low))
            clamped["max"] += int(np.sum(sizes == high))
    assert np.all(np.isfinite(out)), cfg["name"]
    if cfg.get("clamps"):
        # The step sizes reach both bounds (and the random gradients flip signs and give zero products throughout).
        assert clamped["min"] > 0 and clamped["max"] > 0, (cfg["name"], clamped)
    return out, states


def evaluation_point(cfg, params0, grads, dtype):
    """Schedule-Free: the reference's eval() point x after the STEPS steps of run()."""
    p = torch.tensor(params0, dtype=torch.float64).to(dtype).requires_grad_(True)
    opt = make_optimizer(cfg, p)
    for t in range(STEPS):
        p.grad = torch.tensor(grads[t], dtype=torch.float64).to(dtype)
        opt.step()
    opt.eval()
    x = p.detach().numpy().copy()
    assert np.all(np.isfinite(x)), cfg["name"]
    return x


def has_evaluation_point(cfg):
    return hasattr(optimizer_class(cfg), "eval")


def write_cs(path):
    lines = [
        "// Generated by generate.py (PyTorch oracle fixtures). Do not edit: rerun the script instead.",
        "",
        "using System;",
        "using System.Collections.Generic;",
        "using OptGen;",
        "",
        "namespace OptGen.Tests.PyTorch;",
        "",
    ]
    for cfg in CONFIGS:
        for suffix, double in (("Single", False), ("Double", True)):
            lines += cs_attributes(cfg, double)
            lines += [f"internal sealed partial class {cfg['name']}{suffix};", ""]
    lines += [
        "internal static class PyTorchFixtureOptimizers",
        "{",
        "    public static IReadOnlyList<string> Names { get; } =",
        "    [",
    ]
    lines += [f'        "{c["name"]}",' for c in CONFIGS]
    lines += ["    ];", ""]
    lines += [
        "    /// <summary>The configs whose reference has an evaluation point (eval()), in *.eval.f32.bin and *.eval.f64.bin.</summary>",
        "    public static IReadOnlyList<string> EvaluationPointNames { get; } =",
        "    [",
    ]
    lines += [f'        "{c["name"]}",' for c in CONFIGS if has_evaluation_point(c)]
    lines += ["    ];", ""]
    for suffix, elem in (("Single", "float"), ("Double", "double")):
        lines += [
            f"    public static global::OptGen.IOptimizer<{elem}> Create{suffix}(string name, int length) => name switch",
            "    {",
        ]
        lines += [f'        "{c["name"]}" => new {c["name"]}{suffix}(length),' for c in CONFIGS]
        lines += [
            "        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),",
            "    };",
            "",
        ]
    lines[-1] = "}"
    with open(path, "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def ulps(a, b):
    """Largest distance in units in the last place between two arrays of one float dtype."""
    bits, signed = (np.int32, np.int64) if a.dtype == np.float32 else (np.int64, object)
    x, y = a.view(bits).astype(signed), b.view(bits).astype(signed)
    x = np.where(x < 0, np.iinfo(bits).min - x, x)  # sign-magnitude to a monotonic integer line
    y = np.where(y < 0, np.iinfo(bits).min - y, y)
    return int(np.max(np.abs(x - y)))


def distance(a, b):
    """Worst ulps and worst relative difference (over elements away from 0) between two trajectories."""
    scale = np.maximum(np.abs(b.astype(np.float64)), 1e-3)
    relative = np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)) / scale)
    return f"{ulps(a, b)} ulps, rel. {relative:.2g}"


def check_nadam_reference(params0, grads):
    """NAdamReference with 1.13's product replays torch.optim.NAdam(foreach=False) bit for bit; with the corrected
    product it is what 1.13's foreach path computes up to that path's own rounding (printed, not asserted)."""
    for cfg in CONFIGS:
        if cfg["cls"] != "NAdamReference":
            continue
        kwargs = dict(cfg["kwargs"])
        for dtype in (torch.float32, torch.float64):
            reference = run(cfg, params0, grads, dtype)[0]
            if not kwargs.get("decoupled_weight_decay") and not kwargs.get("maximize"):
                buggy = run(cfg, params0, grads, dtype, lambda ps: NAdamReference(ps, **kwargs, corrected=False))[0]
                torch_single = run(cfg, params0, grads, dtype, lambda ps: torch.optim.NAdam(ps, **kwargs, foreach=False))[0]
                assert np.array_equal(buggy, torch_single), cfg["name"]
                torch_foreach = run(cfg, params0, grads, dtype, lambda ps: torch.optim.NAdam(ps, **kwargs, foreach=True))[0]
                print(f"{cfg['name']:26s} {str(dtype)[6:]:8s} reference vs 1.13 foreach=True: {distance(reference, torch_foreach)};"
                      f" vs 1.13 single-tensor: {distance(reference, torch_single)}")


def main():
    torch.set_num_threads(1)
    names = [c["name"] for c in CONFIGS]
    assert len(set(names)) == len(names)

    params0, grads = make_inputs()
    np.concatenate([params0, grads.ravel()]).astype("<f8").tofile(os.path.join(HERE, "inputs.f64.bin"))

    check_nadam_reference(params0, grads)

    for cfg in CONFIGS:
        for dtype, suffix, layout in ((torch.float32, "f32", "<f4"), (torch.float64, "f64", "<f8")):
            out, states = run(cfg, params0, grads, dtype)
            out.astype(layout).tofile(os.path.join(HERE, f"{cfg['name']}.{suffix}.bin"))
            for name, values in states.items():
                values.astype(layout).tofile(os.path.join(HERE, f"{cfg['name']}.{name}.{suffix}.bin"))
        if has_evaluation_point(cfg):
            evaluation_point(cfg, params0, grads, torch.float32).astype("<f4").tofile(
                os.path.join(HERE, cfg["name"] + ".eval.f32.bin"))
            evaluation_point(cfg, params0, grads, torch.float64).astype("<f8").tofile(
                os.path.join(HERE, cfg["name"] + ".eval.f64.bin"))

    manifest = {
        "torch_version": torch.__version__,
        "length": N,
        "steps": STEPS,
        "configs": [
            {"name": c["name"], "torch": torch_call_text(c), "attributes": " ".join(cs_attributes(c, False)),
             **({"state": c["state"]} if "state" in c else {}),
             **({"evaluation_point": "optimizer.eval() after the last step"} if has_evaluation_point(c) else {})}
            for c in CONFIGS
        ],
    }
    with open(os.path.join(HERE, "manifest.json"), "w", newline="\n") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")

    write_cs(os.path.join(HERE, "PyTorchFixtureOptimizers.cs"))


if __name__ == "__main__":
    main()
