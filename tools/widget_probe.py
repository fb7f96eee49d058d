"""The widget probe of ``make bench``: run inside a notebook's kernel after its last cell.

``tools/bench_widgets.py`` sends this file's source to the kernel, then calls ``probe``. It finds
every live widget (ipywidgets keeps them in ``ipywidgets.widgets.widget._instances``): each
``interactive`` (``interact``) with its controls, and every other control whose ``value`` has an
observer from notebook code (sliders plus ``observe``, ``interactive_output``), grouped by
observer. For each control it sweeps the value (the options of a selection, or about seven steps
from min to max of a slider) and times each ``control.value = v`` with ``perf_counter`` and the
kernel thread's CPU time; the update runs synchronously inside that assignment, figure rendering
by the inline backend included. A group that misses the targets is profiled (cProfile) on its
slowest value. Everything is imported inside ``probe``, so that the kernel's namespace gains one
name only.
"""


def probe(out_path, median_target, worst_target, check_path, steps=7):
    """Time every widget's updates; write the report as JSON to ``out_path``. ``check_path`` is
    tools/widget_check.py, whose definitions of controls and observers this shares."""
    import cProfile
    import inspect
    import io
    import json
    import pstats
    import runpy
    import statistics
    import time

    kernel_cpu_s = time.process_time()  # the kernel's CPU time so far: start-up and every cell
    import ipywidgets

    shared = runpy.run_path(check_path)  # tools/widget_check.py: which widgets are controls
    selection, boolean = shared["SELECTION"], shared["BOOLEAN"]
    controls_types, user_observers = shared["CONTROLS"], shared["observers"]
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None

    def sweep_values(w):
        # (trait, value) pairs to set, ending on the control's starting value
        if isinstance(w, selection):
            n = len(w.options)
            idx = sorted({round(k * (n - 1) / max(steps - 1, 1)) for k in range(steps)})
            idx = idx if n else []
            start = w.index
            return [("index", i) for i in idx if i != start] + [("index", start)]
        if isinstance(w, boolean):
            return [("value", not w.value), ("value", w.value)]
        start = w.value
        if isinstance(w, ipywidgets.FloatLogSlider):
            vals = [w.base ** (w.min + k * (w.max - w.min) / (steps - 1)) for k in range(steps)]
        else:
            vals = [w.min + k * (w.max - w.min) / (steps - 1) for k in range(steps)]
            if isinstance(w, ipywidgets.IntSlider):
                vals = sorted({int(round(v)) for v in vals})
            elif getattr(w, "step", None):
                k = [round((v - w.min) / w.step) for v in vals]
                vals = sorted({round(w.min + i * w.step, 12) for i in k})
        return [("value", v) for v in vals if v != start] + [("value", start)]

    def describe(w):
        return f"{type(w).__name__}({w.description or '?'})"

    widgets = shared["live_widgets"]()
    groups = []  # (label, [controls], update hook or None)
    claimed = set()
    for w in widgets:
        if isinstance(w, ipywidgets.interactive):
            ctrls = [c for c in w.kwargs_widgets if isinstance(c, controls_types)]
            claimed.update(id(c) for c in w.kwargs_widgets)
            fn = getattr(w.f, "__name__", "?")
            manual = bool(getattr(w, "manual", False))
            groups.append((f"interactive({fn})", ctrls, w.update if manual else None, [w.f]))
    by_handler = {}
    for w in widgets:
        if id(w) in claimed or not isinstance(w, controls_types):
            continue
        hs = user_observers(w)
        if not hs:
            continue
        names = {getattr(getattr(h, "__func__", h), "__qualname__", repr(h)) for h in hs}
        key = tuple(sorted(names))
        by_handler.setdefault(key, ([], hs))[0].append(w)
    for key, (ctrls, hs) in by_handler.items():
        groups.append(("observe(" + ", ".join(key) + ")", ctrls, None, hs))

    def first_line(f):
        try:
            return inspect.getsource(getattr(f, "__func__", f)).lstrip().splitlines()[0].strip()
        except (OSError, TypeError, IndexError):
            return None

    cpu_times = []

    def set_and_time(ctrl, trait, value, hook):
        start, start_cpu = time.perf_counter(), time.thread_time()
        setattr(ctrl, trait, value)
        if hook is not None:
            hook()
        cpu_times.append(time.thread_time() - start_cpu)
        return time.perf_counter() - start

    report = []
    for label, ctrls, hook, funcs in groups:
        times, slowest = [], (0.0, None)
        cpu_times.clear()
        for ctrl in ctrls:
            for trait, value in sweep_values(ctrl):
                dt = set_and_time(ctrl, trait, value, hook)
                times.append(dt)
                if dt > slowest[0]:
                    slowest = (dt, (ctrl, trait, value))
                if plt is not None:
                    plt.close("all")
        entry = {
            "widget": label,
            "controls": [describe(c) for c in ctrls],
            "updates": len(times),
            "defined_by": [first_line(f) for f in funcs],
        }
        if times:
            entry["median_s"] = statistics.median(times)
            entry["worst_s"] = max(times)
            entry["times_s"] = [round(t, 4) for t in times]
            entry["cpu_median_s"] = statistics.median(cpu_times)
            entry["cpu_worst_s"] = max(cpu_times)
            ctrl, trait, value = slowest[1]
            entry["worst_at"] = f"{describe(ctrl)}.{trait} = {value!r}"
            # profile one update at the slowest value (set another value first, untimed)
            sweep = sweep_values(ctrl)
            other = next((tv for tv in sweep if tv[1] != value), None)
            if other is not None:
                setattr(ctrl, other[0], other[1])
            profiler = cProfile.Profile()
            profiler.enable()
            set_and_time(ctrl, trait, value, hook)
            profiler.disable()
            stats = pstats.Stats(profiler)
            whole = max((v[3] for k, v in stats.stats.items() if k[2] == "set_and_time"), default=0)
            render = sum(
                v[3]
                for k, v in stats.stats.items()
                if k[2] == "print_figure" and k[0].endswith("pylabtools.py")
            )
            entry["profiled_s"] = round(whole, 4)
            entry["png_rendering_share"] = round(render / whole, 3) if whole else None
            if entry["median_s"] > median_target or entry["worst_s"] > worst_target:
                stream = io.StringIO()
                stats.stream = stream
                stats.sort_stats("cumulative").print_stats(30)
                entry["profile"] = stream.getvalue()[-8000:]
            setattr(ctrl, sweep[-1][0], sweep[-1][1])
            if plt is not None:
                plt.close("all")
        report.append(entry)
    with open(out_path, "w") as f:
        json.dump({"kernel_cpu_s": kernel_cpu_s, "widgets": report}, f)
