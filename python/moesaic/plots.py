"""Matplotlib figures of Moesaic results.

Each function returns a `matplotlib.figure.Figure` built without pyplot
(no global state, safe from threads and under the Agg backend) or draws into
the `ax` it is given. In a notebook, run `%matplotlib inline` once and a
returned figure displays as the cell's value; elsewhere, `fig.savefig(...)`.

The inputs are the JSON forms moe-opt writes too (--report, --timeline,
moesaic.hardware()), so these work on files from the command line:

    plots.timeline(json.load(open("timeline.json")))
"""

import math

PHASE_COLORS = {
    "dense": "#4c72b0",
    "moe": "#dd8452",
    "migration": "#c44e52",
    "other": "#8c8c8c",
}


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _human_bytes(n):
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def timeline_rows(trace, strategy_index=0):
    """The rows of a Chrome trace for one strategy: a list of
    (label, kind, [(start_us, duration_us, phase), ...]) with kind "device"
    or "link", devices first in process order, then links by busy time.
    A comparison's trace holds each strategy under pids offset by 1000."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    lo, hi = 1000 * strategy_index, 1000 * (strategy_index + 1)
    pnames, tnames, slices = {}, {}, {}
    for e in events:
        pid = e.get("pid", 0)
        if not lo <= pid < hi:
            continue
        if e.get("ph") == "M":
            name = e.get("args", {}).get("name", "")
            if e.get("name") == "process_name":
                pnames[pid] = name.split(": ", 1)[-1]
            elif e.get("name") == "thread_name":
                tnames[(pid, e.get("tid", 0))] = name
        elif e.get("ph") == "X":
            phase = e.get("args", {}).get("phase", "other")
            slices.setdefault((pid, e.get("tid", 0)), []).append(
                (float(e["ts"]), float(e.get("dur", 0)), phase))
    devices, links = [], []
    for (pid, tid), spans in sorted(slices.items()):
        pname = pnames.get(pid, str(pid))
        tname = tnames.get((pid, tid), str(tid))
        if pname == "links":
            links.append((tname, "link", spans))
        else:
            devices.append((f"{pname} {tname}", "device", spans))
    links.sort(key=lambda row: -sum(d for _, d, _ in row[2]))
    return devices + links


def timeline(trace, strategy=None, strategies=None, ax=None, max_rows=48,
             title=None):
    """Gantt chart of a simulated run: one row per device engine (compute,
    memory) and per busy directed link, slices coloured by phase. For a
    comparison's trace, `strategy` picks one (default: the first).
    `max_rows` keeps every device row and the busiest links."""
    index = 0
    if strategy is not None:
        if not strategies or strategy not in strategies:
            raise KeyError(f"strategy '{strategy}' is not in this trace")
        index = list(strategies).index(strategy)
    rows = timeline_rows(trace, index)
    dev_rows = [r for r in rows if r[1] == "device"]
    link_rows = [r for r in rows if r[1] == "link"]
    hidden = 0
    if len(rows) > max_rows:
        keep = max(max_rows - len(dev_rows), 0)
        hidden = len(link_rows) - keep
        rows = dev_rows + link_rows[:keep]
    fig, ax = _axes(ax, (11, 0.28 * len(rows) + 1.6))
    seen = set()
    for y, (label, kind, spans) in enumerate(rows):
        by_phase = {}
        for start, dur, phase in spans:
            by_phase.setdefault(phase, []).append((start, dur))
        for phase, bars in by_phase.items():
            color = PHASE_COLORS.get(phase, PHASE_COLORS["other"])
            ax.broken_barh(bars, (y - 0.4, 0.8), facecolors=color,
                           label=None if phase in seen else phase)
            seen.add(phase)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("time (us)")
    name = strategy or (strategies[0] if strategies else None)
    default = "Simulated schedule" + (f" ({name})" if name else "")
    if hidden:
        default += f", {hidden} quieter links not shown"
    ax.set_title(title or default)
    if seen:
        ax.legend(loc="upper right", fontsize=7, title="phase")
    ax.grid(axis="x", alpha=0.3)
    return fig


def _coords(hardware):
    coords = {}
    for d in hardware.get("devices", []):
        if len(d.get("coord", [])) == 2 and not d.get("implicit"):
            coords[d["name"]] = tuple(d["coord"])
    return coords


def link_load(result, hardware, report=None, ax=None, metric="busy_us",
              title=None):
    """Heat map of link load for one strategy's result entry. On a mesh
    (every device has 2-D coordinates), draws the mesh with each link
    coloured by `metric` ("busy_us" or "bytes") summed over both
    directions; otherwise a source x destination matrix."""
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    if metric not in ("busy_us", "bytes"):
        raise ValueError("metric must be 'busy_us' or 'bytes'")
    load = {}
    for l in result.get("links", []):
        load[(l["src"], l["dst"])] = float(l.get(metric, 0))
    unit = "us busy" if metric == "busy_us" else "bytes"
    strategy = result.get("strategy", "")
    names = [d["name"] for d in hardware.get("devices", [])]
    coords = _coords(hardware)
    is_mesh = bool(coords) and all(n in coords for n in names)
    if is_mesh:
        rows = 1 + max(r for r, _ in coords.values())
        cols = 1 + max(c for _, c in coords.values())
        fig, ax = _axes(ax, (max(4, 0.6 * cols + 2), max(3.5, 0.6 * rows + 1)))
        pairs = {}
        for l in hardware.get("links", []):
            key = tuple(sorted((l["src"], l["dst"])))
            pairs[key] = pairs.get(key, 0.0) + load.get((l["src"], l["dst"]), 0.0)
        segs, vals = [], []
        for (a, b), v in pairs.items():
            (ra, ca), (rb, cb) = coords[a], coords[b]
            segs.append([(ca, ra), (cb, rb)])
            vals.append(v)
        vmax = max(vals) if vals and max(vals) > 0 else 1.0
        norm = Normalize(0, vmax)
        cmap = colormaps["inferno_r"]
        lc = LineCollection(segs, colors=[cmap(norm(v)) for v in vals],
                            linewidths=4, zorder=1)
        ax.add_collection(lc)
        xs = [c for _, c in coords.values()]
        ys = [r for r, _ in coords.values()]
        ax.scatter(xs, ys, s=60, marker="s", color="#dddddd",
                   edgecolors="#555555", zorder=2)
        ax.set_xlim(-0.6, cols - 0.4)
        ax.set_ylim(rows - 0.4, -0.6)
        ax.set_aspect("equal")
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        sm = ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=ax, label=f"link load ({unit}, both directions)")
        ax.set_title(title or f"Link load on {hardware.get('name', '')} ({strategy})")
        return fig
    used = [n for n in names
            if any(n in pair for pair in load) or
            any(n in (l["src"], l["dst"]) for l in hardware.get("links", []))]
    index = {n: i for i, n in enumerate(used)}
    m = np.full((len(used), len(used)), np.nan)
    for l in hardware.get("links", []):
        if l["src"] in index and l["dst"] in index:
            m[index[l["src"]], index[l["dst"]]] = load.get((l["src"], l["dst"]), 0.0)
    fig, ax = _axes(ax, (max(4, 0.35 * len(used) + 2.5),) * 2)
    im = ax.imshow(m, cmap="inferno_r", interpolation="nearest")
    ax.set_xticks(range(len(used)))
    ax.set_xticklabels(used, rotation=90, fontsize=7)
    ax.set_yticks(range(len(used)))
    ax.set_yticklabels(used, fontsize=7)
    ax.set_xlabel("destination")
    ax.set_ylabel("source")
    fig.colorbar(im, ax=ax, label=f"link load ({unit})")
    ax.set_title(title or f"Link load on {hardware.get('name', '')} ({strategy})")
    return fig


def comparison(report, ax=None, title=None):
    """Bars of each strategy's simulated latency per decode step beside its
    lower bound and closed-form estimate, labelled with the speedup over
    the first strategy."""
    import numpy as np
    results = report["results"]
    names = [r["strategy"] for r in results]
    series = [("simulated", "latency_us", "#4c72b0"),
              ("analytic", "analytic_latency_us", "#55a868"),
              ("lower bound", "lower_bound_us", "#bbbbbb")]
    fig, ax = _axes(ax, (max(5, 1.3 * len(names) + 2), 4))
    x = np.arange(len(names))
    width = 0.8 / len(series)
    for i, (label, key, color) in enumerate(series):
        vals = [float(r.get(key, 0)) for r in results]
        bars = ax.bar(x + (i - 1) * width, vals, width, label=label, color=color)
        if key == "latency_us":
            speedup = report.get("speedup", {})
            for bar, name in zip(bars, names):
                if name in speedup and len(names) > 1:
                    ax.annotate(f"{speedup[name]:.2f}x",
                                (bar.get_x() + bar.get_width() / 2,
                                 bar.get_height()),
                                ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x)
    ax.set_xticklabels(names)
    ax.set_ylabel("latency per decode step (us)")
    hw = report.get("hardware", {}).get("name", "")
    model = report.get("model", {}).get("name", "")
    ax.set_title(title or f"{model} on {hw}")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig


def memory(report, hardware, ax=None, title=None):
    """On-chip memory per device for each strategy against the device's
    capacity (a GPU's VRAM on GPU systems: the report's "memory" of the
    device says which). Uses the per-device entries of a result ("devices":
    [{"name", "peak_onchip_bytes", "onchip_capacity_bytes"}]) when the
    report has them; otherwise each strategy's peak over devices against
    the smallest accelerator's capacity."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter
    results = report["results"]
    accel = set(hardware.get("accelerators", []))
    capacity = {d["name"]: d.get("onchip_bytes", 0)
                for d in hardware.get("devices", [])
                if not accel or d["name"] in accel}
    per_device = all(isinstance(r.get("devices"), list) for r in results)
    vram = False
    if per_device:
        # The report's own capacities: the size of the memory it counted
        # (VRAM for a GPU whose strategy accounts for it).
        for r in results:
            for d in r["devices"]:
                if d["name"] in capacity and "onchip_capacity_bytes" in d:
                    capacity[d["name"]] = d["onchip_capacity_bytes"]
                vram = vram or d.get("memory") == "vram"
        devices = [d for d in capacity]
        fig, ax = _axes(ax, (max(6, 0.45 * len(devices) * len(results) + 2), 4))
        x = np.arange(len(devices))
        width = 0.8 / max(len(results), 1)
        for i, r in enumerate(results):
            used = {d["name"]: d.get("peak_onchip_bytes", 0) for d in r["devices"]}
            ax.bar(x + (i - (len(results) - 1) / 2) * width,
                   [used.get(d, 0) for d in devices], width, label=r["strategy"])
        ax.scatter(x, [capacity[d] for d in devices], marker="_", s=400,
                   color="#c44e52", label="capacity", zorder=3)
        ax.set_xticks(x)
        ax.set_xticklabels(devices, rotation=90 if len(devices) > 8 else 0,
                           fontsize=7)
        ax.set_title(title or ("Memory in use per device (VRAM on GPUs)"
                               if vram else "On-chip memory per device"))
    else:
        names = [r["strategy"] for r in results]
        fig, ax = _axes(ax, (max(5, 1.1 * len(names) + 2), 4))
        peaks = [r.get("peak_onchip_bytes", 0) for r in results]
        ax.bar(names, peaks, color="#4c72b0", label="peak over devices")
        if capacity:
            cap = min(capacity.values())
            ax.axhline(cap, color="#c44e52", linestyle="--",
                       label=f"smallest device capacity ({_human_bytes(cap)})")
        ax.set_title(title or "Peak on-chip memory (max over devices)")
    ax.set_ylabel("bytes in use (SRAM / VRAM)" if vram else "on-chip bytes")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _human_bytes(v)))
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig


def sweep_chart(rows, x="hw", y="latency_us", hue="strategy", ax=None,
                title=None):
    """Grouped bars of a sweep's rows (list of dicts or a DataFrame): `y`
    for each value of `x`, one bar per value of `hue`; failed rows are
    left out."""
    import numpy as np
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict("records")
    rows = [r for r in rows if not r.get("error")]
    xs = list(dict.fromkeys(str(r[x]) for r in rows))
    hues = list(dict.fromkeys(str(r[hue]) for r in rows))
    fig, ax = _axes(ax, (max(6, 0.5 * len(xs) * max(len(hues), 1) + 2), 4))
    pos = np.arange(len(xs))
    width = 0.8 / max(len(hues), 1)
    for i, h in enumerate(hues):
        vals = []
        for xv in xs:
            match = [r[y] for r in rows if str(r[x]) == xv and str(r[hue]) == h]
            vals.append(sum(match) / len(match) if match else math.nan)
        ax.bar(pos + (i - (len(hues) - 1) / 2) * width, vals, width, label=h)
    ax.set_xticks(pos)
    ax.set_xticklabels(xs, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(y)
    ax.set_title(title or f"{y} by {x} and {hue}")
    ax.legend(fontsize=8, title=hue)
    ax.grid(axis="y", alpha=0.3)
    return fig
