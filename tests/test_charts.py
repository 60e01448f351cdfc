"""Sweep charts: real sweeps of the shipped scenario, drawn to PNG and SVG."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest

from optimizer.analyses.sweep import parse_range, run_sweep
from optimizer.numbers import memo
from optimizer.present.formats.charts import _colors, _legend, sweep_chart
from optimizer.results import Breakpoint, Sweep
from optimizer.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "configs" / "pakistan_it_exports.yaml"
NAME = "Pakistan IT and ITeS exports, 2023 strategy (headline reading)"
LEVERS = [
    "Additional IT workforce trained and placed",
    "e-Rozgar freelancing centres",
    "Dollar retention accounts",
    "Pakistan Startup Fund (public commitment)",
]
AXES = {
    "ceilings": ["Budget ceiling (USD)", "Lever exports a year (USD)", "Spend by lever (USD)"],
    "targets": ["Export target a year (USD; total, including the $2.6B baseline)",
                "Least total cost (USD)", "Spend by lever (USD)"],
}
TICKS = {"ceilings": ["$500M", "$1.5B", "$2B"], "targets": ["$2B", "$4B"]}
RANGES = {"ceilings": "100M:3B:100M", "targets": "1B:9B:500M"}


def _sweep(kind: str, text: str) -> Sweep:
    return run_sweep(load_scenario(SCENARIO), kind, parse_range(text, "USD", {}))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sweeps() -> dict[str, Sweep]:
    return {kind: _sweep(kind, text) for kind, text in RANGES.items()}


@pytest.fixture(scope="module")
def drawn(sweeps: dict[str, Sweep], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each sweep drawn once as SVG (str path), and the ceilings as PNG too."""
    folder = tmp_path_factory.mktemp("charts")
    out = {"png": folder / "ceilings.png"}
    sweep_chart(sweeps["ceilings"], out["png"])
    for kind, sweep in sweeps.items():
        out[kind] = folder / f"{kind}.svg"
        sweep_chart(sweep, str(out[kind]))
    return out


def _svg_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "</svg>" in text
    return text


def _has(svg: str, text: str) -> bool:
    """Text as matplotlib writes it into an SVG (svg.fonttype none: &, <, > escaped)."""
    return html.escape(text, quote=False) in svg


def test_png_is_a_memo_sized_figure(drawn: dict[str, Path]) -> None:
    from matplotlib.image import imread

    path = drawn["png"]
    assert path.stat().st_size > 10_000
    pixels = imread(path)
    assert pixels.shape[:2] == (1050, 1500)  # 10 x 7 inches at 150 dpi
    assert pixels.std() > 0.05  # something was drawn, not a blank page


@pytest.mark.parametrize("kind", ["ceilings", "targets"])
def test_svg_names_the_axes_the_scenario_and_every_lever(
    drawn: dict[str, Path], kind: str
) -> None:
    svg = _svg_text(drawn[kind])
    for text in [NAME, *AXES[kind], *LEVERS]:
        assert _has(svg, text), text
    assert all(f">{tick}<" in svg for tick in TICKS[kind])  # memo-style ticks
    assert "<dc:date>" not in svg


def test_ceilings_show_what_the_target_needs(drawn: dict[str, Path]) -> None:
    svg = _svg_text(drawn["ceilings"])
    assert _has(svg, "Needed to meet the target ($7.4B)")
    assert _has(svg, "Baseline exports of $2.6B a year")
    assert _has(svg, "Budget ceiling (spend cannot pass it)")


def test_the_same_sweep_draws_the_same_bytes(
    sweeps: dict[str, Sweep], drawn: dict[str, Path], tmp_path: Path
) -> None:
    again_png, again_svg = tmp_path / "again.png", tmp_path / "again.SVG"  # any case
    sweep_chart(sweeps["ceilings"], again_png)
    sweep_chart(sweeps["targets"], again_svg)
    assert again_png.read_bytes() == drawn["png"].read_bytes()
    assert again_svg.read_bytes() == drawn["targets"].read_bytes()


@pytest.mark.parametrize("name", ["chart.pdf", "chart.jpg", "chart", "chart.png.txt"])
def test_an_unsupported_suffix_is_refused(
    sweeps: dict[str, Sweep], tmp_path: Path, name: str
) -> None:
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        sweep_chart(sweeps["targets"], tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_the_file_is_replaced_whole_and_no_temporary_is_left(
    sweeps: dict[str, Sweep], tmp_path: Path
) -> None:
    path = tmp_path / "chart.svg"
    path.write_bytes(b"old")
    sweep_chart(sweeps["ceilings"], path)
    assert path.read_bytes().startswith(b"<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["chart.svg"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    sweeps: dict[str, Sweep], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.figure import Figure

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    path = tmp_path / "chart.svg"
    path.write_bytes(b"old")
    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        sweep_chart(sweeps["ceilings"], path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["chart.svg"]


def test_targets_beyond_reach_still_draw(tmp_path: Path) -> None:
    sweep = _sweep("targets", "1B:14B:1B")
    statuses = [r.status for r in sweep.results]
    assert "optimal" in statuses and statuses[-1] == "infeasible"
    path = tmp_path / "reach.svg"
    sweep_chart(sweep, path)
    svg = _svg_text(path)
    assert _has(svg, "Out of reach (no plan meets the target)")
    assert _has(svg, "Best plan at each point of the sweep")


def test_a_sweep_with_no_plan_at_all_still_draws(tmp_path: Path) -> None:
    sweep = _sweep("targets", "13B:14B:500M")
    assert all(r.status == "infeasible" for r in sweep.results)
    path = tmp_path / "none.svg"
    sweep_chart(sweep, path)
    svg = _svg_text(path)
    assert _has(svg, "No point of the sweep has a plan")
    assert not _has(svg, "(not funded)")


def test_exact_breakpoints_are_drawn(sweeps: dict[str, Sweep], tmp_path: Path) -> None:
    import dataclasses

    base = sweeps["targets"]
    corners = tuple(Breakpoint(x, r.total_cost or 0.0, None)
                    for x, r in list(zip(base.values, base.results, strict=True))[::4])
    path = tmp_path / "exact.svg"
    sweep_chart(dataclasses.replace(base, breakpoints=corners), path)
    assert _has(_svg_text(path), "Exact breakpoints")


def test_a_single_point_draws(tmp_path: Path) -> None:
    path = tmp_path / "one.svg"
    sweep_chart(_sweep("targets", "9B"), path)
    assert _has(_svg_text(path), "Least total cost (USD)")


def test_many_levers_take_several_legend_columns(
    scenario_file: Callable[..., Path], tmp_path: Path
) -> None:
    lines = ["name: Fifty levers", "currency: PKR", "target:", "  exports: 50B",
             "objective: min_cost", "levers:"]
    for i in range(50):
        lines += [f"  lever_{i:02d}:",
                  f"    name: Programme {i:02d}, export promotion in sector {i % 7}",
                  "    unit: unit",
                  f"    unit_cost: {1 + (i * 37) % 11}",
                  f"    yield_per_unit: {3 + (i * 13) % 7}",
                  f"    max_units: {1 + i % 4}00M"]
    path = scenario_file("\n".join(lines) + "\n")
    sweep = run_sweep(load_scenario(path), "targets", parse_range("5B:100B:5B", "PKR", {}))
    assert len(sweep.levers) == 50
    out = tmp_path / "fifty.svg"
    sweep_chart(sweep, out)
    svg = _svg_text(out)
    # Every lever is in the legend (a lever too small to see may have its label
    # shortened to make room for saying so).
    assert all(_has(svg, f"Programme {i:02d},") for i in range(50))
    assert sum(_has(svg, label) for _, label in sweep.levers) >= 40
    assert _has(svg, "Rs 20B")
    # Several columns: the legend's labels start at more than one x position.
    first, last = "Programme 00,", "Programme 49,"
    x_of = [svg[:svg.index(text)].rsplit('x="', 1)[1].split('"', 1)[0] for text in (first, last)]
    assert x_of[0] != x_of[1]


def test_long_labels_of_many_levers_are_shortened_in_the_middle() -> None:
    labels = [f"Programme of the national export strategy for the promotion of sector {i:02d}"
              for i in range(50)]
    shown, columns, size, rows = _legend(labels, [""] * 49 + [" (not funded)"])
    assert columns >= 3 and rows <= 17 and size >= 9
    assert len(set(shown)) == 50
    assert all("\u2026" in s and s.startswith("Programme") for s in shown)
    assert all(s.endswith(f"sector {i:02d}") for i, s in enumerate(shown[:49]))
    assert shown[49].endswith("sector 49 (unfunded)")


def test_neighbouring_levers_never_share_a_colour() -> None:
    for n in (1, 4, 10, 11, 20, 21, 50):
        colors = _colors(n)
        assert len(colors) == n
        assert all(a != b for a, b in zip(colors, colors[1:], strict=False))


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (0.0, "USD", "$0"),
        (100e6, "USD", "$100M"),
        (1.5e9, "USD", "$1.5B"),
        (250e3, "USD", "$250K"),
        (12.5e6, "USD", "$12.5M"),
        (999.9999e6, "USD", "$1B"),
        (2e12, "USD", "$2T"),
        (-5e6, "USD", "-$5M"),
        (1.5e9, "PKR", "Rs 1.5B"),
        (-2.5e9, "PKR", "-Rs 2.5B"),
        (3e6, "EUR", "EUR 3M"),
        (-0.0, "USD", "$0"),
    ],
)
def test_tick_labels(value: float, currency: str, text: str) -> None:
    assert memo.tick(value, currency) == text


def test_a_named_figure_on_a_chart_reads_as_in_the_memo() -> None:
    """Ticks may shorten (K); a figure a chart names is memo.money, the memo's own."""
    assert memo.money(964.29e6, "PKR") == "Rs 964.3M"
    assert memo.money(1.2345e9, "USD") == "$1.23B"
    assert memo.symbol("PKR") == "Rs " and memo.tick(964.29e6, "PKR").startswith("Rs ")
