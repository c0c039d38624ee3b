"""The Markdown table and the plot of bench/suite.py's results (kept apart: the suite measures,
this module only reads its JSON, so a report can be redrawn from suite.json)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from statistics import median
from typing import Any

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7"]  # Okabe-Ito
MiB = 2**20
QUERY_TARGET_S = 0.100
ADDED_TARGET_S = 0.001


def _ms(s: float | None) -> str:
    return "–" if s is None else (f"{s * 1e3:.2f}" if s < 0.01 else f"{s * 1e3:.1f}")


def _ok(flag: bool) -> str:
    return "met" if flag else "**not met**"


def _rdflib_cell(r: dict | None) -> str:
    if not r:
        return "–"
    if r.get("seconds") is not None:
        return _ms(r["seconds"])
    if "timeout" in r:
        return f"> {r['timeout']:g} s"
    return "error"


def _http_cell(r: dict) -> str:
    if r.get("http_error"):
        return f"HTTP {r['http_error']}"
    return _ms(r.get("http"))


def _slowest(r: dict) -> float:
    info = r.get("direct_info") or {}
    if r.get("direct") is None or r.get("http") is None:
        return float("inf") if info.get("timeout") or r.get("http_error") else 0.0
    return max(r["direct"], r["http"])


def _speedup(rd: dict, direct: float | None) -> str:
    if not direct:
        return "–"
    if rd.get("seconds"):
        return _times(rd["seconds"] / direct)
    if rd.get("timeout"):
        return "> " + _times(rd["timeout"] / direct)
    return "–"


def _times(r: float) -> str:
    return f"{r:,.0f}×" if r >= 10 else f"{r:.2g}×"


def render_load(rows: list[dict]) -> list[str]:
    out = [
        "## 1. Load throughput (`coopkg load --store` vs `oxigraph load`, same file)",
        "",
        "| triples | file | coopkg s | oxigraph s | coopkg triples/s | oxigraph triples/s "
        "| ratio (target ≥ 0.8×) | max RSS coopkg / oxigraph | machine busy (cores) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c, o = r["coopkg"], r["oxigraph"]
        out.append(
            f"| {r['triples']:,} | {r['bytes'] / MiB:.0f} MiB | {c['seconds']:.2f} | "
            f"{o['seconds']:.2f} | {c['triples_per_s']:,.0f} | {o['triples_per_s']:,.0f} | "
            f"{r['ratio']:.2f}× {_ok(r['ratio'] >= 0.8)} | {c['max_rss'] / MiB:.0f} / "
            f"{o['max_rss'] / MiB:.0f} MiB | {c['machine_busy_cores']:.2f} / "
            f"{o['machine_busy_cores']:.2f} |"
        )
    return out + [""]


def render_queries(q: dict) -> list[str]:
    rows = q["queries"]
    out = [
        f"## 2. Competency queries, shipped graph + {q['triples']:,} synthetic triples (median ms)",
        "",
        "| query | rows | pyoxigraph store | HTTP (`coopkg serve --store`) | rdflib Dataset "
        "| rdflib ÷ pyoxigraph |",
        "|---|---|---|---|---|---|",
    ]
    for slug, r in rows.items():
        rd = r.get("rdflib") or {}
        out.append(
            f"| {slug} | {r.get('rows', '–')} | {_rdflib_cell(r.get('direct_info'))} | "
            f"{_http_cell(r)} | {_rdflib_cell(rd)} | {_speedup(rd, r.get('direct'))} |"
        )
    slow = [s for s, r in rows.items() if _slowest(r) >= QUERY_TARGET_S]
    out += [
        "",
        f"Target every query < 100 ms (store and HTTP): {_ok(not slow)}"
        + (f" ({len(slow)} over: {', '.join(slow)})" if slow else "")
        + ".",
    ]
    if "rdflib_load_seconds" in q:
        out.append(f"rdflib parsed the same quads (N-Quads) in {q['rdflib_load_seconds']:.1f} s.")
    if "rdflib_skipped" in q:
        out.append(f"rdflib's engine: {q['rdflib_skipped']} (`--rdflib-max-size`).")
    return out + [""]


def render_validation(v: dict) -> list[str]:
    v = dict(v)
    baseline = v.pop("baseline", None)
    out = [
        "## 3. Validation time against size (`coopkg validate`, shipped graph + synthetic)",
        "",
        *_validation_table(v),
    ]
    if baseline:
        out += ["", f"The same at {baseline['revision']}, in the same run:", ""]
        out += _validation_table(baseline["rows"])
    big = v.get("1000000")
    if big:
        ok = big.get("seconds") is not None and big["seconds"] < 60
        out += ["", f"Target 1M < 60 s: {_ok(ok)}."]
    return out + [""]


def _validation_table(v: dict) -> list[str]:
    out = [
        "| added triples | triples validated | seconds | ÷ shipped alone | max RSS | "
        "violations / warnings | most frequent results |",
        "|---|---|---|---|---|---|---|",
    ]
    base = v["shipped"].get("seconds") or 0
    for key, r in v.items():
        secs = r.get("seconds")
        cell = f"{secs:.1f}" if secs is not None else f"> {r.get('timeout'):g} (killed)"
        ratio = f"{secs / base:.1f}×" if secs and base else "–"
        msgs = "; ".join(f"{n}× {m}" for m, n in (r.get("messages") or {}).items()) or "–"
        triples = f"{r['triples']:,}" if r.get("triples") else "–"
        out.append(
            f"| {key} | {triples} | {cell} | {ratio} | {(r.get('max_rss') or 0) / MiB:.0f} "
            f"MiB | {r.get('violations', '–')} / {r.get('warnings', '–')} | {msgs} |"
        )
    return out


def render_external(e: dict) -> list[str]:
    failed = [k for k, r in e["queries"].items() if "error" in r]
    rows = {k: r for k, r in e["queries"].items() if "error" not in r}
    added = {k: r["through"] - r["direct"] for k, r in rows.items()}
    points = [a for k, a in added.items() if k.startswith("point-")]
    comp = {k: a for k, a in added.items() if not k.startswith("point-")}
    over = sorted((k for k, a in comp.items() if a >= ADDED_TARGET_S), key=lambda k: -comp[k])
    out = [
        f"## 4. Through an external engine (`oxigraph serve`, shipped + {e['triples']:,} "
        "synthetic triples): direct vs `coopkg serve --sparql-backend` (median ms, "
        "sequential)",
        "",
        "| requests | direct | through coopkg | added (median) | added (max) |",
        "|---|---|---|---|---|",
    ]
    pd = median(r["direct"] for k, r in rows.items() if k.startswith("point-"))
    pt = median(r["through"] for k, r in rows.items() if k.startswith("point-"))
    out.append(
        f"| {len(points)} point lookups | {_ms(pd)} | {_ms(pt)} | {_ms(median(points))} "
        f"| {_ms(max(points))} |"
    )
    cd = median(r["direct"] for k, r in rows.items() if k in comp)
    ct = median(r["through"] for k, r in rows.items() if k in comp)
    out.append(
        f"| {len(comp)} competency queries | {_ms(cd)} | {_ms(ct)} | "
        f"{_ms(median(comp.values()))} | {_ms(max(comp.values()))} |"
    )
    out += [
        "",
        f"Target < 1 ms added per query: point lookups {_ok(median(points) < 0.001)}; "
        f"competency queries: {len(comp) - len(over)} of {len(comp)} under 1 ms"
        + (f" (over: {', '.join(f'{k} +{_ms(comp[k])} ms' for k in over[:8])})" if over else "")
        + ".",
    ]
    if failed:
        out.append(
            f"Not compared ({len(failed)}: an error, or the engine timeout): {', '.join(failed)}."
        )
    return out + [""]


def render_memory(result: dict) -> list[str]:
    out = ["## 5. Peak memory", "", "| process | memory |", "|---|---|"]
    for r in result.get("load", []):
        for who in ("coopkg", "oxigraph"):
            out.append(
                f"| `{who} load`, {r['triples']:,} triples (max RSS) | "
                f"{r[who]['max_rss'] / MiB:,.0f} MiB |"
            )
    for q in result.get("queries", []):
        for name, b in q["memory"].items():
            out.append(f"| {name}, shipped + {q['triples']:,} | {b / MiB:,.0f} MiB |")
    ext = result.get("external")
    if ext:
        for name, b in ext["memory"].items():
            out.append(f"| {name}, + {ext['triples']:,} | {b / MiB:,.0f} MiB |")
    for key, r in (result.get("validation") or {}).items():
        if key == "baseline":
            continue
        out.append(
            f"| `coopkg validate`, {key} (max RSS) | {(r.get('max_rss') or 0) / MiB:,.0f} MiB |"
        )
    return out + [""]


def render(result: dict) -> str:
    m = result["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    busy = ", ".join(f"{k} {v:.2f}" for k, v in (result.get("machine_busy_cores") or {}).items())
    out = [
        "# Benchmark suite (bench/suite.py)",
        "",
        f"{m['machine']}. {versions}. Run {m['date']}.",
        "",
        f"Whole-machine CPU during each part (cores of 2, everything included): {busy}. "
        "The machine is shared: every figure is compared with its baseline measured in the "
        "same run.",
        "",
    ]
    sections = (
        ("load", render_load),
        ("validation", render_validation),
        ("external", render_external),
    )
    for q in result.get("queries", []):
        out += render_queries(q)
    for key, fn in sections:
        if result.get(key):
            out += fn(result[key])
    out += render_memory(result)
    return "\n".join(out) + "\n"


def _plot_load(ax: Any, rows: list[dict]) -> None:
    xs = range(len(rows))
    w = 0.38
    ax.bar(
        [x - w / 2 for x in xs],
        [r["coopkg"]["triples_per_s"] / 1e3 for r in rows],
        w,
        label="coopkg load --store",
        color=PALETTE[0],
    )
    ax.bar(
        [x + w / 2 for x in xs],
        [r["oxigraph"]["triples_per_s"] / 1e3 for r in rows],
        w,
        label="oxigraph load",
        color=PALETTE[1],
        hatch="//",
    )
    ax.set_xticks(list(xs), [f"{r['triples']:,}" for r in rows])
    ax.set_xlabel("synthetic triples in the file")
    ax.set_ylabel("thousand triples / s")
    ax.set_title("1. Bulk load throughput")
    ax.legend()


def _plot_queries(ax: Any, q: dict) -> None:
    rows = q["queries"]
    slugs = list(rows)
    xs = range(len(slugs))
    cap = max((r.get("rdflib") or {}).get("timeout") or 0 for r in rows.values()) or None
    series = [
        ("pyoxigraph store", [rows[s]["direct"] for s in slugs], PALETTE[2], "o"),
        ("HTTP coopkg serve --store", [rows[s].get("http") for s in slugs], PALETTE[0], "s"),
        (
            "rdflib Dataset",
            [
                (rows[s].get("rdflib") or {}).get("seconds")
                or (rows[s].get("rdflib") or {}).get("timeout")
                for s in slugs
            ],
            PALETTE[3],
            "^",
        ),
    ]
    for label, ys, colour, marker in series:
        pts = [(x, y * 1e3) for x, y in zip(xs, ys, strict=True) if y]
        ax.scatter(
            [p[0] for p in pts], [p[1] for p in pts], label=label, color=colour, marker=marker, s=18
        )
    ax.axhline(100, color="black", linestyle="--", linewidth=0.8, label="target 100 ms")
    ax.set_yscale("log")
    ax.set_xticks(list(xs), [s[:2] for s in slugs], fontsize=6)
    ax.set_xlabel("competency query (number)" + (f"; rdflib capped at {cap:g} s" if cap else ""))
    ax.set_ylabel("median latency (ms, log)")
    ax.set_title(f"2. Competency queries, shipped + {q['triples']:,} triples")
    ax.legend(fontsize=7)


def _plot_validation(ax: Any, v: dict) -> None:
    keys = [k for k in v if k not in ("shipped", "baseline")]
    xs = [int(k) for k in keys]
    ys = [v[k].get("seconds") for k in keys]
    ax.plot(
        [x for x, y in zip(xs, ys, strict=True) if y],
        [y for y in ys if y],
        marker="o",
        color=PALETTE[0],
        label="coopkg validate (shipped + synthetic)",
    )
    killed = [(int(k), v[k]["timeout"]) for k in keys if v[k].get("seconds") is None]
    if killed:
        ax.scatter(
            [k[0] for k in killed],
            [k[1] for k in killed],
            marker="x",
            s=60,
            color=PALETTE[3],
            label="killed at the timeout (more than this)",
        )
    if v["shipped"].get("seconds"):
        ax.axhline(
            v["shipped"]["seconds"], color=PALETTE[1], linestyle=":", label="shipped graph alone"
        )
    ax.axhline(60, color="black", linestyle="--", linewidth=0.8, label="target 60 s at 1M")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("synthetic triples added")
    ax.set_ylabel("seconds (log)")
    ax.set_title("3. Validation time against size")
    ax.legend(fontsize=7)


def _plot_external(ax: Any, e: dict) -> None:
    rows = {k: r for k, r in e["queries"].items() if "error" not in r}
    keys = list(rows)
    added = [(rows[k]["through"] - rows[k]["direct"]) * 1e3 for k in keys]
    for is_point, label, colour in (
        (True, "point lookup", PALETTE[4]),
        (False, "competency query", PALETTE[5]),
    ):
        xs = [i for i, k in enumerate(keys) if k.startswith("point-") == is_point]
        ax.bar(xs, [added[i] for i in xs], color=colour, label=label)
    ax.axhline(1, color="black", linestyle="--", linewidth=0.8, label="target +1 ms")
    ax.set_xlabel(
        f"request ({sum(k.startswith('point-') for k in keys)} point lookups, "
        "then competency queries)"
    )
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylabel("ms added by coopkg (median; symlog)")
    ax.set_title("4. coopkg --sparql-backend in front of oxigraph serve")
    ax.legend(fontsize=7)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(14, 9))
    panels = [
        (result.get("load"), _plot_load, axes[0][0]),
        ((result.get("queries") or [None])[-1], _plot_queries, axes[0][1]),
        (result.get("validation"), _plot_validation, axes[1][0]),
        (result.get("external"), _plot_external, axes[1][1]),
    ]
    for data, fn, ax in panels:
        if data:
            fn(ax, data)
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "not measured in this run", ha="center", transform=ax.transAxes)
    fig.suptitle(f"coopkg benchmark suite — {result['machine']['machine']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":  # redraw from a suite.json: python bench/suite_report.py suite.json
    data = json.loads(Path(sys.argv[1]).read_text())
    print(render(data))
    plot(data, Path(sys.argv[1]).with_suffix(".png"))
