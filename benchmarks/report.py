#!/usr/bin/env python3
"""Merges optimizer-step benchmark results and writes a Markdown report and plots.

    /usr/bin/python3 benchmarks/report.py benchmarks/results/dotnet.json benchmarks/results/pytorch.json

Each input is a JSON file of the schema shared by the .NET suite and pytorch_bench.py:

    {"source": "...", "machine": {"cpu": "...", "cores": 2, ...},
     "results": [{"rule": "Adam", "implementation": "OptGen generated", "threads": 1, "parameters": 1000000,
                  "bytes_per_parameter": 28, "seconds_per_step": 0.0004, "steps_timed": 100}, ...]}

Rows whose implementation is "Roofline" are a STREAM-style memory kernel with the rule's read/write mix; their GB/s
is the roofline for that rule, size and thread count. Effective GB/s = bytes_per_parameter * parameters /
seconds_per_step / 1e9.

Writes (by default into benchmarks/results/ next to this script):
  results.md       a section per rule: OptGen's time, GB/s, % of roofline and speed-up over every other implementation
  speed.png        Adam: GB/s against parameter count, one line per implementation, 1 thread and all threads
  speed_rules.png  the same for the other rules
Any implementation, size, thread count or rule may be missing; the report shows "—" for it.
"""

import argparse
import datetime
import json
import math
import os
import sys

RULE_ORDER = ["Adam", "AdamW", "RMSprop", "AdaGrad", "SGD momentum", "SGD", "Adadelta", "Adamax", "ASGD", "NAdam", "RAdam",
              "Rprop", "Lion", "Schedule-Free AdamW"]
RULE_CANON = {r.lower().replace(" ", "").replace("_", "").replace("-", ""): r for r in RULE_ORDER}
RULE_CANON.update({"sgdmomentum": "SGD momentum", "adagrad": "AdaGrad", "rmsprop": "RMSprop"})
BYTES_PER_PARAMETER = {"Adam": 28, "AdamW": 28, "RMSprop": 20, "AdaGrad": 20, "SGD momentum": 20, "SGD": 12, "Adadelta": 28,
                       "Adamax": 28, "ASGD": 20, "NAdam": 28, "RAdam": 28, "Rprop": 28, "Lion": 20, "Schedule-Free AdamW": 28}

OPTGEN, SCALAR, TENSORPRIM, EXPERT, ROOFLINE, PT_NOFOREACH, PT_FOREACH = (
    "optgen", "scalar", "tensorprimitives", "expert", "roofline", "pytorch-false", "pytorch-true")

# Which implementation name fills each role: the exact name if present, else the first name the predicate accepts.
ROLES = [
    (OPTGEN, "OptGen generated", lambda s: s.startswith("optgen")),
    (SCALAR, "Scalar C# loop", lambda s: "scalar" in s),
    (TENSORPRIM, "TensorPrimitives", lambda s: "tensorprimitives" in s),
    (EXPERT, "Expert Adam kernel (Vector256)", lambda s: s.startswith("expert")),
    (ROOFLINE, "Roofline", lambda s: s.startswith("roofline")),
    (PT_NOFOREACH, "PyTorch foreach=False", lambda s: s.replace(" ", "") == "pytorchforeach=false"),
    (PT_FOREACH, "PyTorch foreach=True", lambda s: s.replace(" ", "") == "pytorchforeach=true"),
]
RATIO_COLUMNS = [
    (SCALAR, "× scalar loop"),
    (TENSORPRIM, "× TensorPrimitives"),
    (EXPERT, "× expert kernel"),
    (PT_NOFOREACH, "× PyTorch foreach=False"),
    (PT_FOREACH, "× PyTorch foreach=True"),
]
DASH = "—"


def warn(msg):
    print("report.py: warning: " + msg, file=sys.stderr)


def canon_rule(name):
    key = str(name).lower().replace(" ", "").replace("_", "").replace("-", "")
    return RULE_CANON.get(key, str(name))


def human_count(n):
    for div, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if n >= div:
            v = n / div
            return ("%d" % v if v == int(v) else "%.3g" % v) + suffix
    return str(int(n))


def fmt_sig(x, sig=3):
    """x with `sig` significant digits, without exponent notation (large numbers keep all integer digits)."""
    if x is None or not math.isfinite(x):
        return DASH
    if x == 0:
        return "0"
    decimals = max(0, sig - 1 - int(math.floor(math.log10(abs(x)))))
    return "%.*f" % (decimals, x)


def fmt_fixed(x, decimals):
    return DASH if x is None or not math.isfinite(x) else "%.*f" % (decimals, x)


# ----------------------------------------------------------------------------------------------------------- loading

class Data:
    def __init__(self):
        self.sources = []     # (path, doc without results)
        self.rows = {}        # (rule, implementation, threads, parameters) -> result dict

    def load(self, path):
        with open(path) as f:
            doc = json.load(f)
        results = doc.get("results") or []
        meta = {k: v for k, v in doc.items() if k != "results"}
        self.sources.append((path, meta))
        for r in results:
            try:
                rule = canon_rule(r["rule"])
                impl = str(r["implementation"])
                threads = int(r["threads"])
                n = int(r["parameters"])
                sec = float(r["seconds_per_step"])
            except (KeyError, TypeError, ValueError) as e:
                warn("%s: skipping malformed result %r (%s)" % (path, r, e))
                continue
            if not (sec > 0 and math.isfinite(sec)):
                warn("%s: skipping result with seconds_per_step=%r" % (path, sec))
                continue
            bpp = r.get("bytes_per_parameter") or BYTES_PER_PARAMETER.get(rule)
            row = dict(r, rule=rule, implementation=impl, threads=threads, parameters=n, seconds_per_step=sec,
                       bytes_per_parameter=bpp, file=path, busy_threshold=doc.get("busy_threshold", 0.10))
            key = (rule, impl, threads, n)
            if key in self.rows:
                warn("%s: %s / %s / %d threads / %d parameters also in %s; using the later file"
                     % (path, rule, impl, threads, n, self.rows[key]["file"]))
            self.rows[key] = row

    def rules(self):
        present = {k[0] for k in self.rows}
        return [r for r in RULE_ORDER if r in present] + sorted(present - set(RULE_ORDER))

    def implementations(self, rule):
        return sorted({k[1] for k in self.rows if k[0] == rule}, key=impl_sort_key)

    def roles(self, rule):
        """role -> implementation name for this rule (only roles that are present)."""
        impls = self.implementations(rule)
        out = {}
        for role, exact, pred in ROLES:
            if exact in impls:
                out[role] = exact
            else:
                matches = [i for i in impls if pred(i.lower())]
                if matches:
                    out[role] = matches[0]
        return out

    def get(self, rule, impl, threads, n):
        return self.rows.get((rule, impl, threads, n)) if impl else None


def gbps(row):
    if not row or not row.get("bytes_per_parameter"):
        return None
    return row["bytes_per_parameter"] * row["parameters"] / row["seconds_per_step"] / 1e9


def disturbed(*rows):
    """Whether any of the rows was measured while other processes used a good part of the machine (the optional
    other_load field: fraction of all cores used by other processes while the case was timed)."""
    for row in rows:
        load = row.get("other_load") if row else None
        if isinstance(load, (int, float)) and load >= row.get("busy_threshold", 0.10):
            return True
    return False


MARK = "†"


def impl_sort_key(name):
    s = name.lower()
    for i, (_, exact, pred) in enumerate(ROLES):
        if name == exact or pred(s):
            return (i, name)
    return (len(ROLES), name)


# ---------------------------------------------------------------------------------------------------------- Markdown

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def show_path(path):
    rel = os.path.relpath(os.path.abspath(path), REPO_ROOT)
    return os.path.abspath(path) if rel.startswith("..") else rel


def machine_lines(data):
    lines = []
    for path, meta in data.sources:
        machine = meta.get("machine") or {}
        parts = ["%s %s" % (k, v) for k, v in machine.items()]
        extra = ["%s %s" % (k.replace("_", " "), json.dumps(v) if isinstance(v, (list, dict)) else v)
                 for k, v in meta.items() if k not in ("source", "machine")]
        src = meta.get("source", os.path.splitext(os.path.basename(path))[0])
        lines.append("- **%s** (`%s`): %s%s" % (src, show_path(path), " · ".join(parts) or "no machine info",
                                                 ("; " + " · ".join(extra)) if extra else ""))
    return lines


def rule_table(data, rule):
    roles = data.roles(rule)
    # (parameters, threads) with at least one implementation that has a column; others only in the details table.
    keys = sorted({(k[3], k[2]) for k in data.rows if k[0] == rule and k[1] in roles.values()})
    ratio_cols = [(role, title) for role, title in RATIO_COLUMNS if role != EXPERT or rule == "Adam" or role in roles]
    header = ["Parameters", "Threads", "OptGen ms/step", "OptGen GB/s", "% of roofline"] + [t for _, t in ratio_cols]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---:"] * len(header)) + "|"]
    for n, threads in keys:
        og = data.get(rule, roles.get(OPTGEN), threads, n)
        roof = data.get(rule, roles.get(ROOFLINE), threads, n)
        og_s = og["seconds_per_step"] if og else None
        og_gb, roof_gb = gbps(og), gbps(roof)
        m = MARK if disturbed(og) else ""
        cells = [human_count(n), str(threads),
                 fmt_sig(og_s * 1e3) + m if og_s else DASH,
                 fmt_fixed(og_gb, 1) + m if og_gb else DASH,
                 fmt_fixed(100 * og_gb / roof_gb, 0) + (MARK if disturbed(og, roof) else "") if og_gb and roof_gb
                 else DASH]
        for role, _ in ratio_cols:
            other = data.get(rule, roles.get(role), threads, n)
            cells.append(fmt_fixed(other["seconds_per_step"] / og_s, 2) + (MARK if disturbed(og, other) else "")
                         if other and og_s else DASH)
        lines.append("| " + " | ".join(cells) + " |")
    return lines, roles


def all_impl_table(data, rule):
    impls = data.implementations(rule)
    keys = sorted({(k[3], k[2]) for k in data.rows if k[0] == rule})
    header = ["Parameters", "Threads"] + impls
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---:"] * len(header)) + "|"]
    for n, threads in keys:
        cells = [human_count(n), str(threads)]
        for impl in impls:
            row = data.get(rule, impl, threads, n)
            cells.append("%s (%s)%s" % (fmt_fixed(gbps(row), 1), fmt_sig(row["seconds_per_step"] * 1e3),
                                        MARK if disturbed(row) else "") if row else DASH)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_markdown(data, path, png_names):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# Optimizer step benchmarks", "",
           "Generated %s by `benchmarks/report.py` from %d input file%s." % (
               now, len(data.sources), "" if len(data.sources) == 1 else "s"), "",
           "## Machine", ""]
    out += machine_lines(data)
    out += ["",
            "float32, one parameter tensor. Effective GB/s = bytes moved per parameter × parameters / seconds per "
            "step / 10⁹, with bytes per parameter: Adam and AdamW 28 (read p, g, m, v; write p, m, v), RMSprop, "
            "AdaGrad and SGD with momentum 20, plain SGD 12. *%% of roofline* compares OptGen's GB/s with a "
            "STREAM-style kernel moving the same bytes (same read/write mix, same size and threads). "
            "*× X* is X's time per step divided by OptGen's: above 1 OptGen is faster. "
            "\"%s\" marks a measurement that is missing." % DASH, ""]
    n_disturbed = sum(1 for row in data.rows.values() if disturbed(row))
    if n_disturbed:
        out += ["%s marks a number from a measurement during which other processes used at least 10%% of the "
                "machine's cores (%d of %d measurements); treat it as less reliable." % (
                    MARK, n_disturbed, len(data.rows)), ""]
    for name in png_names:
        out += ["![%s](%s)" % (os.path.splitext(name)[0], name), ""]
    rules = data.rules()
    if not rules:
        out += ["No results.", ""]
    for rule in rules:
        table, roles = rule_table(data, rule)
        out += ["## %s" % rule, ""]
        if OPTGEN not in roles:
            out += ["No OptGen measurements for %s; the comparison columns are empty." % rule, ""]
        exact = {role: name for role, name, _ in ROLES}
        used = ", ".join("%s = `%s`" % (role, name) for role, name in roles.items() if name != exact[role])
        out += table + ["", "<details><summary>GB/s (ms/step) of every implementation</summary>", ""]
        out += all_impl_table(data, rule) + ["", "</details>", ""]
        if used:
            out += ["<sub>Columns from: %s.</sub>" % used, ""]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out).rstrip() + "\n")


# -------------------------------------------------------------------------------------------------------------- plots

STYLE = {
    OPTGEN: dict(color="#1f77b4", lw=2.6, marker="o", ms=6, zorder=5),
    ROOFLINE: dict(color="black", lw=1.6, ls="--", marker="", zorder=4),
    EXPERT: dict(color="#9467bd", lw=1.6, marker="D", ms=4),
    TENSORPRIM: dict(color="#2ca02c", lw=1.6, marker="s", ms=4),
    SCALAR: dict(color="#7f7f7f", lw=1.6, marker="v", ms=4),
    PT_NOFOREACH: dict(color="#ff7f0e", lw=1.6, marker="^", ms=4),
    PT_FOREACH: dict(color="#d62728", lw=1.6, marker="x", ms=5),
}
EXTRA_COLORS = ["#8c564b", "#e377c2", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78"]


def machine_title(data):
    seen = []
    for _, meta in data.sources:
        m = meta.get("machine") or {}
        desc = m.get("cpu", "")
        if m.get("cores"):
            desc += ", %s cores" % m["cores"]
        if desc and desc not in seen:
            seen.append(desc)
    return " / ".join(seen) or "unknown machine"


def impl_style(data, rule, impl, extra_idx):
    roles = data.roles(rule)
    for role, name in roles.items():
        if name == impl:
            return dict(STYLE[role])
    return dict(color=EXTRA_COLORS[extra_idx % len(EXTRA_COLORS)], lw=1.4, marker="P", ms=7)


def thread_panels(data):
    threads = sorted({k[2] for k in data.rows})
    many = [t for t in threads if t > 1]
    panels = [("1 thread", lambda t: t == 1)]
    if many:
        label = "all threads (%s)" % ", ".join(str(t) for t in many)
        # "All threads" = each implementation's highest thread count above 1.
        panels.append((label, "max"))
    return panels


def series(data, rule, impl, panel_sel):
    pts = [(k[3], k[2], row) for k, row in data.rows.items() if k[0] == rule and k[1] == impl]
    if panel_sel == "max":
        many = [t for _, t, _ in pts if t > 1]
        if not many:
            return [], []
        tmax = max(many)
        pts = [p for p in pts if p[1] == tmax]
    else:
        pts = [p for p in pts if panel_sel(p[1])]
    pts.sort(key=lambda p: p[0])
    return [p[0] for p in pts], [gbps(p[2]) for p in pts]


def draw_rule(ax_row, data, rule, panels, handles, log_y=False):
    from matplotlib.ticker import FuncFormatter
    impls = data.implementations(rule)
    for ax, (label, sel) in zip(ax_row, panels):
        extra = 0
        drawn = 0
        for impl in impls:
            xs, ys = series(data, rule, impl, sel)
            style = impl_style(data, rule, impl, extra)
            if style.get("marker") == "P":
                extra += 1
            if not xs:
                continue
            line, = ax.plot(xs, ys, label=impl, **style)
            handles.setdefault(impl, line)
            drawn += 1
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: human_count(x) if x >= 1 else ""))
        ax.set_xlabel("parameters (float32)")
        ax.set_ylabel("effective GB/s")
        ax.set_title("%s, %s" % (rule, label))
        ax.grid(True, which="major", alpha=0.35)
        if log_y:
            ax.set_yscale("log")
        if not drawn:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="gray")


def same_y(axes, log_y):
    """One y range for the panels given, starting at 0 (linear) so that heights compare."""
    tops = [max(line.get_ydata().max() for line in ax.get_lines()) for ax in axes if ax.get_lines()]
    if not tops:
        return
    top = max(tops) * (1.6 if log_y else 1.06)
    for ax in axes:
        if log_y:
            ax.set_ylim(top=top)
        else:
            ax.set_ylim(0, top)


def write_plots(data, out_dir, log_y=False):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    panels = thread_panels(data)
    title = machine_title(data)
    rules = data.rules()

    def finish(fig, handles, path, suptitle, nrows):
        order = sorted(handles, key=impl_sort_key)
        fig.suptitle(suptitle, fontsize=13)
        fig.legend([handles[k] for k in order], order, loc="lower center", ncol=min(4, max(1, len(order))),
                   frameon=False, fontsize=9)
        legend_rows = math.ceil(len(order) / 4) if order else 0
        bottom = (0.045 + 0.03 * legend_rows) * (7.0 / fig.get_figheight())
        fig.tight_layout(rect=(0, min(0.3, bottom), 1, 1 - 0.3 / fig.get_figheight()))
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    # Adam (or the first rule present when there is no Adam).
    main_rule = "Adam" if "Adam" in rules else (rules[0] if rules else "Adam")
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.6), squeeze=False)
    handles = {}
    draw_rule(axes[0], data, main_rule, panels, handles, log_y)
    same_y(axes[0], log_y)
    finish(fig, handles, os.path.join(out_dir, "speed.png"),
           "%s step, float32: effective GB/s by size — %s" % (main_rule, title), 1)

    others = [r for r in rules if r != main_rule]
    if others:
        fig, axes = plt.subplots(len(others), len(panels), figsize=(6.2 * len(panels), 3.9 * len(others) + 1.2),
                                 squeeze=False)
        handles = {}
        for row, rule in zip(axes, others):
            draw_rule(row, data, rule, panels, handles, log_y)
            same_y(row, log_y)
        finish(fig, handles, os.path.join(out_dir, "speed_rules.png"),
               "Other rules, float32: effective GB/s by size — %s" % title, len(others))
    else:
        stale = os.path.join(out_dir, "speed_rules.png")
        if os.path.exists(stale):
            os.remove(stale)
    return written


# --------------------------------------------------------------------------------------------------------------- main

def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Merge optimizer benchmark JSON files into a Markdown report and plots.")
    ap.add_argument("inputs", nargs="+", help="result JSON files (missing files are skipped with a warning)")
    ap.add_argument("--out-dir", default=os.path.join(here, "results"),
                    help="where results.md, speed.png and speed_rules.png go (default benchmarks/results)")
    ap.add_argument("--log-y", action="store_true", help="logarithmic GB/s axis in the plots")
    ap.add_argument("--no-plots", action="store_true", help="skip the PNG plots (no matplotlib needed)")
    args = ap.parse_args(argv)

    data = Data()
    for path in args.inputs:
        if not os.path.exists(path):
            warn("%s does not exist; skipping it" % path)
            continue
        try:
            data.load(path)
        except (OSError, ValueError) as e:
            warn("cannot read %s (%s); skipping it" % (path, e))
    if not data.sources:
        sys.exit("report.py: no readable input files")

    os.makedirs(args.out_dir, exist_ok=True)
    pngs = []
    if not args.no_plots:
        try:
            pngs = write_plots(data, args.out_dir, args.log_y)
        except ImportError:
            warn("matplotlib is not importable; no plots (Debian: apt-get install python3-matplotlib)")
    md = os.path.join(args.out_dir, "results.md")
    write_markdown(data, md, [os.path.basename(p) for p in pngs])
    for p in [md] + pngs:
        print("report.py: wrote %s" % p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
