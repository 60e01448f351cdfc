"""The cost of certainty: chance-constrained plans across confidences, as text,
CSV, JSON and Markdown, and a chart."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optimizer.numbers import money
from optimizer.render import align, allocation_records
from optimizer.results import Result

HEADER = ("confidence", "status", "cost", "extra cost", "in sample", "fresh sample")


def _records(results: Sequence[Result]) -> list[dict[str, Any]]:
    out = []
    for r in results:
        c = r.chance
        assert c is not None
        out.append({
            "confidence": c.confidence, "status": r.status,
            "discounted_cost": r.discounted_cost, "extra_cost": c.extra_cost,
            "in_sample": c.in_sample, "out_of_sample": c.out_of_sample,
            "samples": c.samples, "fresh_samples": c.fresh_samples, "seed": c.seed,
            "deterministic_cost": c.deterministic_cost,
            "units": {rec["lever"]: rec["units"] for rec in r.rows} if r.rows else {},
        })
    return out


def _cells(results: Sequence[Result]) -> list[list[str]]:
    rows = []
    for rec in _records(results):
        cur = results[0].currency
        rows.append([
            f"{rec['confidence']:.0%}", rec["status"],
            "-" if rec["discounted_cost"] is None else money(rec["discounted_cost"], cur),
            "-" if rec["extra_cost"] is None else money(rec["extra_cost"], cur),
            "-" if rec["in_sample"] is None else f"{rec['in_sample']:.1%}",
            "-" if rec["out_of_sample"] is None else f"{rec['out_of_sample']:.1%}",
        ])
    return rows


def render_chance_table(results: Sequence[Result]) -> str:
    c = results[0].chance
    assert c is not None
    head = (f"{results[0].scenario}: the cost of certainty ({c.samples:,} samples, seed "
            f"{c.seed}; fresh sample of {c.fresh_samples:,}); the plan for the point values "
            f"costs {money(c.deterministic_cost or 0.0, results[0].currency)}")
    return head + "\n\n" + "\n".join(align([list(HEADER), *_cells(results)], left=(0, 1))) \
        + "\n"


def render_chance_markdown(results: Sequence[Result]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---:|---:|---:|---:|"]
    lines += ["| " + " | ".join(row) + " |" for row in _cells(results)]
    return "\n".join(lines) + "\n"


def render_chance_csv(results: Sequence[Result]) -> str:
    buf = io.StringIO()
    fields = ["confidence", "status", "discounted_cost", "extra_cost", "in_sample",
              "out_of_sample", "samples", "fresh_samples", "seed"]
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for rec in _records(results):
        w.writerow(rec)
    return buf.getvalue()


def render_chance_json(results: Sequence[Result]) -> str:
    data = {"scenario": results[0].scenario, "currency": results[0].currency,
            "points": _records(results),
            "allocations": [allocation_records(r) for r in results]}
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


CHANCE_RENDERERS = {
    "table": render_chance_table, "markdown": render_chance_markdown,
    "csv": render_chance_csv, "json": render_chance_json,
}


def certainty_chart(results: Sequence[Result], path: Path) -> None:
    """Discounted cost against the confidence asked, with the fresh-sample share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recs = [r for r in _records(results) if r["discounted_cost"] is not None]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([r["confidence"] for r in recs], [r["discounted_cost"] for r in recs], "o-",
            label="cheapest plan")
    base = recs[0]["deterministic_cost"] if recs else None
    if base is not None:
        ax.axhline(base, color="grey", linestyle="--", label="plan for the point values")
    for r in recs:
        ax.annotate(f"{r['out_of_sample']:.0%}", (r["confidence"], r["discounted_cost"]),
                    textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xlabel("confidence asked (labels: share of a fresh sample reached)")
    ax.set_ylabel(f"discounted cost ({results[0].currency})")
    ax.set_title(f"{results[0].scenario}: the cost of certainty")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)
