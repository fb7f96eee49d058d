"""The course's performance benchmark (`make bench`): prints a table, writes the same as JSON.

    python -m tools.bench                    # everything; writes benchmarks/results.json
    python -m tools.bench --skip-make-test   # all but the `make test` run
    python -m tools.bench --quick            # fewer repeats, no `make test`, for iterating
    python -m tools.bench --only trainer     # one part: imports, trainer, notebooks, widgets, test
    python -m tools.bench --table benchmarks/results.json   # reprint a saved run's table

It measures, on this machine:

1. each notebook's execution time in a fresh kernel (kernel start-up and every cell, with
   tools/run_notebooks.py's client as `make outputs` runs it), their total, and the wall time of
   `make test` on the warm venv;
2. ``helpers.trainer`` against a hand-written loop doing the same work (tools/bench_trainer.py):
   the median ratio of interleaved runs with its 95 % interval, and the overhead in microseconds
   per epoch, for a tiny and a mid-sized model;
3. every interactive widget's update latency, median and worst over a sweep of its controls
   (tools/bench_widgets.py), in the kernel that has just run the notebook for item 1;
4. the time ``import helpers`` adds to ``import torch``, in fresh interpreters.

A run that skips a part, or uses --quick, writes benchmarks/results-partial.json instead, so
the committed benchmarks/results.json is always a full run.
"""

from __future__ import annotations

import os

# The settings `make test` and `make outputs` use; set before torch loads so they hold here and
# in every kernel started from here.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["PYTHONHASHSEED"] = "0"

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from tools import ROOT  # noqa: E402

PARTS = ("imports", "trainer", "notebooks", "widgets", "test")
TARGETS = {
    "notebook_s": 20.0,
    "course_s": 60.0,
    "make_test_s": 90.0,
    "widget_median_s": 0.3,
    "widget_worst_s": 1.0,
    "import_s": 0.3,
}


# ----------------------------------------------------------------------------------- machine
def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ----------------------------------------------------------------------------------- imports
IMPORT_PROBE = (
    "import time; t0 = time.perf_counter(); import torch; t1 = time.perf_counter(); "
    "import helpers; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
)


def bench_imports(runs: int) -> dict:
    """Median over fresh interpreters of the time of `import torch`, then of `import helpers`."""
    torch_s, helpers_s = [], []
    for i in range(runs + 1):  # the first run only warms the file cache
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE], cwd=ROOT, capture_output=True, text=True
        )
        out.check_returncode()
        t_torch, t_helpers = map(float, out.stdout.split())
        if i:
            torch_s.append(t_torch)
            helpers_s.append(t_helpers)
    return {
        "runs": runs,
        "import_torch_s": round(statistics.median(torch_s), 4),
        "import_helpers_after_torch_s": round(statistics.median(helpers_s), 4),
        "helpers_after_torch_all_s": [round(t, 4) for t in helpers_s],
    }


# --------------------------------------------------------------------------------- notebooks
def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def notebook_times(runs: list[dict]) -> dict:
    """Each notebook's execution time and its kernel's CPU time, from bench_widgets' runs."""
    rows = [
        {"notebook": r["notebook"], "seconds": r["executed_s"], "kernel_cpu_s": r["kernel_cpu_s"]}
        for r in runs
    ]
    return {"per_notebook": rows, "total_s": round(sum(r["seconds"] for r in rows), 2)}


def bench_make_test() -> dict:
    """`make test` once, timed, with pytest's summary line (and the failures, if any)."""
    start = time.perf_counter()
    out = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = [ln for ln in out.stdout.splitlines() if re.search(r"\b(passed|failed|error)", ln)]
    result = {
        "seconds": round(seconds, 1),
        "returncode": out.returncode,
        "summary": lines[-1].strip("= ") if lines else "",
    }
    if out.returncode:
        failed = [ln for ln in out.stdout.splitlines() if re.search(r"\b(FAILED|ERROR) \S+::", ln)]
        result["failures"] = failed[:20]
    return result


# ----------------------------------------------------------------------------------- widgets
def bench_widgets(paths: list[Path]) -> list[dict]:
    from tools.bench_widgets import measure

    results = []
    for path in paths:
        result = measure(path, TARGETS["widget_median_s"], TARGETS["widget_worst_s"])
        slow = ", ".join(f"cell {c['index']} {c['seconds']:.1f} s" for c in result["slowest_cells"])
        print(
            f"  {result['executed_s']:6.1f} s  {path.name} (kernel CPU time "
            f"{result['kernel_cpu_s']:.1f} s; slowest: {slow})",
            flush=True,
        )
        prefix = str(Path(sys.prefix))
        for w in result["widgets"]:
            if "profile" in w:
                w["profile"] = w["profile"].replace(prefix, "$VENV")
            for key in ("median_s", "worst_s", "cpu_median_s", "cpu_worst_s"):
                if key in w:
                    w[key] = round(w[key], 4)
            print(
                f"  {path.name} {w['widget']}: {w['updates']} updates, median "
                f"{w.get('median_s', float('nan')):.3f} s, worst "
                f"{w.get('worst_s', float('nan')):.3f} s (CPU time: median "
                f"{w.get('cpu_median_s', float('nan')):.3f} s, worst "
                f"{w.get('cpu_worst_s', float('nan')):.3f} s); PNG rendering "
                f"{100 * (w.get('png_rendering_share') or 0):.0f}% of a profiled update; "
                f"defined in cell(s) {[c['index'] for c in w.get('cells', [])]}",
                flush=True,
            )
        results.append(result)
    return results


# ----------------------------------------------------------------------------------- targets
def evaluate(results: dict) -> list[dict]:
    """One row per measured figure: what, the value as text, the target as text, met or not."""
    rows: list[dict] = []

    def add(what, value, shown, target, met):
        rows.append({"what": what, "value": value, "shown": shown, "target": target, "met": met})

    nb = results.get("notebooks")
    if nb:
        for r in nb["per_notebook"]:
            s = r["seconds"]
            shown = f"{s:.1f} s (kernel CPU time {r['kernel_cpu_s']:.1f} s)"
            add(
                f"notebook {r['notebook']}",
                s,
                shown,
                f"≤ {TARGETS['notebook_s']:g} s",
                s <= TARGETS["notebook_s"],
            )
        total = nb["total_s"]
        add(
            f"whole course ({len(nb['per_notebook'])} notebooks)",
            total,
            f"{total:.1f} s",
            f"≤ {TARGETS['course_s']:g} s",
            total <= TARGETS["course_s"],
        )
    mt = results.get("make_test")
    if mt:
        ok = mt["returncode"] == 0 and mt["seconds"] <= TARGETS["make_test_s"]
        shown = f"{mt['seconds']:.1f} s ({mt['summary'] or 'rc ' + str(mt['returncode'])})"
        add(
            "`make test`, warm venv",
            mt["seconds"],
            shown,
            f"≤ {TARGETS['make_test_s']:g} s, passing",
            ok,
        )
    for model in results.get("trainer", []):
        for c in model["comparisons"]:
            low, high = c["median_ratio_ci95"]
            shown = (
                f"{c['median_ratio']:.3f}× (95 % interval {low:.3f}-{high:.3f}; "
                f"{c['overhead_us_per_epoch']:+.0f} µs/epoch)"
            )
            target = "—" if c["target_ratio"] is None else f"≤ {c['target_ratio']:.2f}×"
            add(f"{c['what']}, {model['model']}", c["median_ratio"], shown, target, c["met"])
    for nbw in results.get("widgets", []):
        for w in nbw["widgets"]:
            if "median_s" not in w:
                add(f"widget {nbw['notebook']} {w['widget']}", None, "no controls", "—", None)
                continue
            met = (
                w["median_s"] <= TARGETS["widget_median_s"]
                and w["worst_s"] <= TARGETS["widget_worst_s"]
            )
            shown = (
                f"median {w['median_s']:.3f} s, worst {w['worst_s']:.3f} s "
                f"({w['updates']} updates; CPU time {w['cpu_median_s']:.3f} / "
                f"{w['cpu_worst_s']:.3f} s)"
            )
            add(
                f"widget {nbw['notebook']} {w['widget']}",
                [w["median_s"], w["worst_s"]],
                shown,
                f"median ≤ {TARGETS['widget_median_s']:g} s, "
                f"worst ≤ {TARGETS['widget_worst_s']:g} s",
                met,
            )
    imp = results.get("imports")
    if imp:
        s = imp["import_helpers_after_torch_s"]
        add(
            "`import helpers` after `import torch`",
            s,
            f"{s * 1e3:.0f} ms (torch itself {imp['import_torch_s']:.2f} s)",
            f"≤ {TARGETS['import_s']:g} s",
            s <= TARGETS["import_s"],
        )
    return rows


def table(results: dict) -> str:
    m = results["machine"]
    head = (
        f"{results['date']} · {m['cpu']}, {m['cores']} cores · torch {m['torch']} · "
        f"OMP_NUM_THREADS={m['OMP_NUM_THREADS']} · load average (1, 5, 15 min) "
        f"{results['load_average_start']} at start, {results['load_average_end']} at end"
    )
    lines = [head, "", "| Measure | Result | Target | Met |", "| --- | --- | --- | --- |"]
    for r in results["targets"]:
        met = {True: "yes", False: "**no**", None: "—"}[r["met"]]
        lines.append(f"| {r['what']} | {r['shown']} | {r['target']} | {met} |")
    return "\n".join(lines)


# -------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no `make test`")
    parser.add_argument("--skip-make-test", action="store_true", help="do not run `make test`")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts")
    parser.add_argument("--repeats", type=int, help="trainer rounds (default 150; --quick 3)")
    parser.add_argument("--output", type=Path, help="where to write the JSON")
    parser.add_argument("--table", type=Path, help="only print the table of this saved JSON")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.table.read_text(encoding="utf-8"))))
        return 0

    parts = set(args.only or PARTS)
    if args.quick or args.skip_make_test:
        parts.discard("test")
    paths = [p.resolve() for p in args.notebooks] or notebooks()
    full = parts == set(PARTS) and not args.quick and not args.notebooks and args.repeats is None
    output = args.output or ROOT / "benchmarks" / (
        "results.json" if full else "results-partial.json"
    )
    repeats = args.repeats or (3 if args.quick else 150)  # see tools/bench_trainer.py

    results: dict = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "load_average_start": load_average(),
        "parts": [p for p in PARTS if p in parts],
        "targets_spec": TARGETS,
    }
    started = time.perf_counter()
    if "imports" in parts:
        print("import time ...", flush=True)
        results["imports"] = bench_imports(3 if args.quick else 7)
    if "trainer" in parts:
        print(f"trainer vs hand loop, {repeats} interleaved rounds ...", flush=True)
        from tools import bench_trainer

        results["trainer"] = bench_trainer.run(repeats)
    if "notebooks" in parts or "widgets" in parts:
        print("notebooks, each in a fresh kernel, then its widgets in that kernel ...", flush=True)
        runs = bench_widgets(paths)
        if "notebooks" in parts:
            results["notebooks"] = notebook_times(runs)
        if "widgets" in parts:
            results["widgets"] = runs
    if "test" in parts:
        print("make test ...", flush=True)
        results["make_test"] = bench_make_test()
    results["load_average_end"] = load_average()
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = evaluate(results)

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print()
    print(table(results))
    missed = [r["what"] for r in results["targets"] if r["met"] is False]
    print(f"\n{len(missed)} target(s) missed; JSON in {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
