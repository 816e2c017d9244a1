#!/usr/bin/env python3
"""Times PyTorch CPU optimizer steps (float32) for the OptGen benchmark suite.

For every rule (Adam, AdamW, RMSprop, AdaGrad, SGD with momentum, and the torch.optim rules of the roster: Adadelta,
Adamax, ASGD, NAdam, RAdam, Rprop), size, thread count and foreach setting it builds a
single float32 parameter tensor of that size, sets its .grad once (random), warms up with a few steps, then times
repeated opt.step() calls with time.perf_counter and reports the median seconds per step. The output JSON uses the
schema shared with the .NET suite (benchmarks/OptGen.Benchmarks), which report.py merges:

    {"source": "pytorch", "machine": {...},
     "results": [{"rule": "Adam", "implementation": "PyTorch foreach=False", "threads": 1,
                  "parameters": 10000000, "bytes_per_parameter": 28, "seconds_per_step": 0.08, "steps_timed": 5}]}

Each result also carries other_load: the fraction of all cores that other processes used while the case was timed
(from /proc/stat). Cases with other_load >= --busy-threshold are remeasured at the end (--retries, within the
--max-seconds budget) and the least disturbed attempt is kept; report.py marks the ones still disturbed.

foreach is meant for many parameter tensors (it batches the per-tensor kernel launches); with the single tensor here
it buys nothing, and any difference comes from the two code paths' different kernels and temporaries (torch 1.13's
foreach AdaGrad, for one, is several times slower). Both settings are measured.

Run with Debian's python, which has torch:
    /usr/bin/python3 benchmarks/pytorch_bench.py --out benchmarks/results/pytorch.json
"""

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import sys
import time

try:
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit("pytorch_bench.py: PyTorch is not importable by " + sys.executable +
             ".\nInstall it (Debian: apt-get install python3-torch) or run with /usr/bin/python3.")

# Bytes moved per parameter per step (float32): reads p, g and each state buffer; writes p and each state buffer.
RULES = {
    "Adam": (28, lambda ps, fe: torch.optim.Adam(ps, lr=1e-3, foreach=fe)),
    "AdamW": (28, lambda ps, fe: torch.optim.AdamW(ps, lr=1e-3, foreach=fe)),
    "RMSprop": (20, lambda ps, fe: torch.optim.RMSprop(ps, lr=1e-2, foreach=fe)),
    "AdaGrad": (20, lambda ps, fe: torch.optim.Adagrad(ps, lr=1e-2, foreach=fe)),
    "SGD momentum": (20, lambda ps, fe: torch.optim.SGD(ps, lr=1e-3, momentum=0.9, foreach=fe)),
    "Adadelta": (28, lambda ps, fe: torch.optim.Adadelta(ps, foreach=fe)),
    "Adamax": (28, lambda ps, fe: torch.optim.Adamax(ps, foreach=fe)),
    "ASGD": (20, lambda ps, fe: torch.optim.ASGD(ps, foreach=fe)),
    "NAdam": (28, lambda ps, fe: torch.optim.NAdam(ps, foreach=fe)),
    "RAdam": (28, lambda ps, fe: torch.optim.RAdam(ps, foreach=fe)),
    "Rprop": (28, lambda ps, fe: torch.optim.Rprop(ps, foreach=fe)),
}
RULE_ALIASES = {name.lower().replace(" ", "").replace("_", ""): name for name in RULES}
RULE_ALIASES.update({"adagrad": "AdaGrad", "sgd": "SGD momentum", "sgdmomentum": "SGD momentum"})

DEFAULT_SIZES = "1K,100K,1M,10M,100M"


def parse_size(text):
    text = text.strip().upper().replace("_", "")
    mult = 1
    for suffix, m in (("K", 10**3), ("M", 10**6), ("G", 10**9), ("B", 10**9)):
        if text.endswith(suffix):
            text, mult = text[:-1], m
            break
    value = float(text) * mult
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError("bad size: " + text)
    return int(value)


def parse_rules(text):
    out = []
    for item in text.split(","):
        key = item.strip().lower().replace(" ", "").replace("_", "")
        if key not in RULE_ALIASES:
            raise argparse.ArgumentTypeError("unknown rule %r (known: %s)" % (item, ", ".join(RULES)))
        out.append(RULE_ALIASES[key])
    return out


def parse_threads(text):
    out = []
    for item in text.split(","):
        item = item.strip().lower()
        n = (os.cpu_count() or 1) if item in ("all", "max") else int(item)
        if n < 1:
            raise argparse.ArgumentTypeError("bad thread count: " + item)
        if n not in out:
            out.append(n)
    return out


def parse_foreach(text):
    out = []
    for item in text.split(","):
        item = item.strip().lower()
        if item in ("false", "0", "off", "no"):
            out.append(False)
        elif item in ("true", "1", "on", "yes"):
            out.append(True)
        else:
            raise argparse.ArgumentTypeError("bad foreach value: " + item)
    return out


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info():
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def cpu_snapshot():
    """(wall seconds, non-idle CPU seconds of the whole machine, CPU seconds of this process); the first two are None
    where /proc/stat is missing. Used to tell how much of the machine other processes took during a case."""
    wall = time.perf_counter()
    t = os.times()
    own = t.user + t.system
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        hz = os.sysconf("SC_CLK_TCK")
        # user nice system idle iowait irq softirq steal [guest guest_nice, already counted in user/nice]
        busy = sum(fields[i] for i in (0, 1, 2, 5, 6, 7) if i < len(fields)) / hz
    except (OSError, ValueError, IndexError):
        busy = None
    return wall, busy, own


def other_load(before, after):
    """Fraction of all cores that other processes (and the hypervisor's steal) used between the two snapshots."""
    if before[1] is None or after[1] is None:
        return None
    wall = after[0] - before[0]
    if wall <= 0:
        return None
    other = (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, other / (wall * (os.cpu_count() or 1)))


def wait_for_quiet(threshold, max_wait):
    """Waits (up to max_wait seconds) until other processes use under `threshold` of the machine for 1 s."""
    deadline = time.perf_counter() + max_wait
    while True:
        a = cpu_snapshot()
        time.sleep(1.0)
        load = other_load(a, cpu_snapshot())
        if load is None or load < threshold or time.perf_counter() >= deadline:
            return load


def time_steps(opt, min_time, min_steps, max_steps):
    """Times opt.step() one call at a time until min_time has passed and min_steps were timed."""
    times = []
    total = 0.0
    while len(times) < max_steps and (total < min_time or len(times) < min_steps):
        t0 = time.perf_counter()
        opt.step()
        dt = time.perf_counter() - t0
        times.append(dt)
        total += dt
    return times


def run_case(rule, fe, param, grad, min_time, min_steps, minimal):
    """One measurement: a fresh optimizer on a fresh copy of `param`; returns (step times, other processes' load)."""
    _, make = RULES[rule]
    p = torch.nn.Parameter(param.clone())
    p.grad = grad
    opt = make([p], fe)
    opt.step()  # the first step allocates the state; not timed
    t0 = time.perf_counter()
    opt.step()
    big = time.perf_counter() - t0 > 0.1
    for _ in range(0 if (big or minimal) else 3):  # warm-up, after the untimed step above
        opt.step()
    before = cpu_snapshot()
    if minimal:
        times = time_steps(opt, 0.0, 3, 3)
    else:
        times = time_steps(opt, min_time, 3 if big else min_steps, 1_000_000)
    load = other_load(before, cpu_snapshot())
    del opt, p
    return times, load


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=lambda s: [parse_size(x) for x in s.split(",")], default=DEFAULT_SIZES,
                    help="comma-separated parameter counts, K/M/G suffixes allowed (default %s)" % DEFAULT_SIZES)
    ap.add_argument("--rules", type=parse_rules, default=list(RULES),
                    help="comma-separated rules (default: %s)" % ",".join(RULES))
    ap.add_argument("--threads", type=parse_threads, default="1,all",
                    help="comma-separated torch thread counts, 'all' = os.cpu_count() (default 1,all)")
    ap.add_argument("--foreach", type=parse_foreach, default="false,true",
                    help="comma-separated foreach settings (default false,true)")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds of timed steps per case (default 0.5)")
    ap.add_argument("--min-steps", type=int, default=5, help="timed steps per case at least (default 5; "
                    "cases whose step takes over 0.1 s time only 3)")
    ap.add_argument("--max-seconds", type=float, default=210.0,
                    help="soft budget for the whole run: once it is spent, remaining cases time only the minimum "
                         "(3 steps, 1 warm-up) (default 210)")
    ap.add_argument("--retries", type=int, default=2,
                    help="times to remeasure, at the end, cases that other processes disturbed (default 2)")
    ap.add_argument("--busy-threshold", type=float, default=0.10,
                    help="a case counts as disturbed when other processes used this fraction of all cores while it "
                         "was timed (default 0.10)")
    ap.add_argument("--quiet-wait", type=float, default=10.0,
                    help="before each retry, wait up to this many seconds for the machine to go quiet (default 10)")
    ap.add_argument("--out", default=None, help="JSON output path (default: print to stdout)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if isinstance(args.sizes, str):
        args.sizes = [parse_size(x) for x in args.sizes.split(",")]
    if isinstance(args.threads, str):
        args.threads = parse_threads(args.threads)
    if isinstance(args.foreach, str):
        args.foreach = parse_foreach(args.foreach)

    def log(msg):
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    log("pytorch_bench: torch %s, %s, %d cores; sizes %s; rules %s; threads %s; foreach %s" % (
        torch.__version__, cpu_name(), os.cpu_count() or 1, args.sizes, args.rules, args.threads, args.foreach))

    load_start = load_average()
    start = time.perf_counter()
    snap = cpu_snapshot()
    time.sleep(0.5)
    quiet0 = other_load(snap, cpu_snapshot())
    if quiet0 is not None and quiet0 > args.busy_threshold:
        log("pytorch_bench: warning: other processes use %.0f%% of the machine; they will disturb the timings (the "
            "all-threads cases most); disturbed cases are retried at the end while the time budget lasts"
            % (100 * quiet0))

    cases = [(threads, n, rule, fe) for threads in args.threads for n in args.sizes for rule in args.rules
             for fe in args.foreach]
    best = {}  # case -> (times, other load)

    def rank(times, load):
        # Keep the least disturbed attempt; among attempts disturbed alike (or undisturbed), the faster one.
        return (0 if load is None or load < args.busy_threshold else load, statistics.median(times))

    def measure(case_list, attempt):
        current = None  # (threads, n) whose tensors are allocated
        grad = param = None
        for case in case_list:
            threads, n, rule, fe = case
            budget_spent = time.perf_counter() - start > args.max_seconds
            if attempt > 0:
                if budget_spent:
                    return
                wait_for_quiet(args.busy_threshold, args.quiet_wait)
            if current != (threads, n):
                grad = param = None
                gc.collect()
                torch.set_num_threads(threads)
                # One gradient and one initial parameter per size, shared by the cases: no rule here modifies the
                # gradient in place, and each case starts from a fresh clone of the parameter.
                gen = torch.Generator().manual_seed(n)
                grad = torch.randn(n, dtype=torch.float32, generator=gen)
                param = torch.randn(n, dtype=torch.float32, generator=gen)
                current = (threads, n)
            times, load = run_case(rule, fe, param, grad, args.min_time, args.min_steps, budget_spent)
            med = statistics.median(times)
            prev = best.get(case)
            kept = prev is None or rank(times, load) < rank(*prev)
            if kept:
                best[case] = (times, load)
            bpp = RULES[rule][0]
            log("  %-12s %-21s threads=%d n=%-10d %10.4f ms/step %6.2f GB/s (%d steps)%s%s%s" % (
                rule, "PyTorch foreach=%s" % fe, threads, n, med * 1e3, bpp * n / med / 1e9, len(times),
                "" if load is None else "  other load %3.0f%%" % (100 * load),
                "  [over budget: minimal]" if budget_spent else "",
                ("  [retry %d, %s]" % (attempt, "kept" if kept else "discarded")) if attempt else ""))
        grad = param = None
        gc.collect()

    # Untimed warm-up of the whole process (lazy initialisation, CPU clocks) so that the first case is not penalised.
    torch.set_num_threads(args.threads[0])
    warm = torch.randn(100_000)
    run_case(args.rules[0], args.foreach[0], warm, warm, min(0.5, args.min_time), 1, False)
    del warm

    measure(cases, 0)
    for attempt in range(1, args.retries + 1):
        disturbed = [c for c in cases if best[c][1] is not None and best[c][1] >= args.busy_threshold]
        if not disturbed or time.perf_counter() - start > args.max_seconds:
            break
        log("pytorch_bench: retrying %d case(s) disturbed by other processes (attempt %d)" % (len(disturbed), attempt))
        measure(disturbed, attempt)

    results = []
    for case in cases:
        threads, n, rule, fe = case
        times, load = best[case]
        results.append({
            "rule": rule,
            "implementation": "PyTorch foreach=%s" % fe,
            "threads": threads,
            "parameters": n,
            "bytes_per_parameter": RULES[rule][0],
            "seconds_per_step": statistics.median(times),
            "steps_timed": len(times),
            "other_load": None if load is None else round(load, 3),
        })
    disturbed = sum(1 for r in results if r["other_load"] is not None and r["other_load"] >= args.busy_threshold)
    if disturbed:
        log("pytorch_bench: warning: %d of %d results were measured while other processes used >= %.0f%% of the "
            "machine (see other_load)" % (disturbed, len(results), 100 * args.busy_threshold))

    elapsed = time.perf_counter() - start
    doc = {
        "source": "pytorch",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "total_seconds": round(elapsed, 1),
        "load_average_start": load_start,  # 1, 5, 15-minute load averages
        "load_average_end": load_average(),
        "disturbed_results": disturbed,  # results with other_load >= busy_threshold
        "busy_threshold": args.busy_threshold,
        "results": results,
    }
    text = json.dumps(doc, indent=1)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text + "\n")
        log("pytorch_bench: %d results in %.1f s -> %s" % (len(results), elapsed, args.out))
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
