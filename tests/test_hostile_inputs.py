"""Inputs at the edges (issue 18 items 4 and 5): every one a clear exit 2 naming the
file and what is wrong, no traceback, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.results.result_file import MAX_RESULT_DEPTH
from optimizer.scenario.loader import MAX_FILE_BYTES
from tests.clirun import invoke

THREE_YEARS = Path("configs/pakistan_it_exports_3yr.yaml")


def _refused(args: list[str | Path], *needles: str) -> str:
    r = invoke(*args)
    assert r.code == 2, (r.code, r.out, r.err)
    assert "Traceback" not in r.err and "unexpected" not in r.err
    for needle in needles:
        assert needle in r.err, r.err
    return r.err


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    r = invoke("--config", THREE_YEARS, "--format", "json")
    assert r.code == 0
    path = tmp_path / "good.json"
    path.write_text(r.out)
    return path


@pytest.mark.parametrize("text, needle", [
    ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_RESULT_DEPTH} levels deep"),
    ('{"total_cost": 1' + "0" * 400 + "}", "a 401-digit integer is larger than any figure"),
    ('{"status": "optimal", "total_cost": 1e400}', "1e400 is larger than any figure"),
    ('{"status": "optimal", "total_cost": NaN}', "NaN is not a number JSON allows"),
])
def test_hostile_plan_files_are_refused(tmp_path: Path, saved: Path, text: str,
                                        needle: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    _refused(["simulate", "--config", THREE_YEARS, "--plan", bad], f"{bad}", needle)
    _refused(["compare", saved, bad], f"{bad}", needle)


def test_brackets_inside_strings_do_not_count(tmp_path: Path, saved: Path) -> None:
    data = json.loads(saved.read_text())
    data["scenario"] = "[" * 200 + '\\"' + "{" * 200
    path = tmp_path / "named.json"
    path.write_text(json.dumps(data))
    r = invoke("compare", saved, path)
    assert r.code == 0, r.err


def test_a_device_or_a_huge_file_is_not_read_whole(tmp_path: Path) -> None:
    _refused(["--config", "/dev/zero"], "/dev/zero: the file is larger than 32 MB")
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.write(b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    _refused(["--config", big, "--output", tmp_path / "out"], "larger than 32 MB")
    assert not (tmp_path / "out").exists()


def test_a_plan_file_over_the_limit_is_refused(tmp_path: Path, saved: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import optimizer.results.result_file as rf

    monkeypatch.setattr(rf, "MAX_RESULT_CHARS", 1000)
    _refused(["compare", saved, saved], "larger than 0 MB, the most a result.json may be")


@pytest.mark.parametrize("written, value, base", [("0x10", 16, "hexadecimal"),
                                                  ("0b11", 3, "binary"),
                                                  ("-0x1_0", -16, "hexadecimal")])
def test_numbers_in_another_base_are_refused(tmp_path: Path, written: str, value: int,
                                             base: str) -> None:
    path = tmp_path / "based.yaml"
    path.write_text(f"name: x\ntarget: {{exports: {written}}}\n"
                    "levers:\n  a: {unit_cost: 1, yield_per_unit: 2}\n")
    _refused(["--config", path], f"{path}:2:19: target.exports: YAML reads {written} as the "
             f"{base} number {value}; write the number in decimal, or quote it if it is "
             f"text (got {written})")


@pytest.mark.parametrize("option", ["--mip-gap", "--time-limit"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_solver_options_must_be_finite(option: str, value: str) -> None:
    r = invoke("--config", THREE_YEARS, option, value)
    assert r.code == 2
    assert "Traceback" not in r.err


def test_negative_zero_is_zero(tmp_path: Path) -> None:
    """By hand: 100 exports at 3 per 2 cost 150."""
    path = tmp_path / "edge.yaml"
    path.write_text("name: x\ntarget: {exports: 100}\nlevers:\n"
                    "  a: {unit_cost: 3, yield_per_unit: 2, fixed_cost: -0, max_units: 100}\n")
    r = invoke("--config", path, "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["total_cost"] == pytest.approx(150.0, rel=1e-12)


@pytest.mark.parametrize("field", ["unit_cost: 1e-320", "unit_cost: '1e-320 USD'",
                                   "max_units: 1e-320", "yield_curve: [[0, 0], [1e-200, 1]]"])
def test_a_denormal_is_refused_naming_the_field(tmp_path: Path, field: str) -> None:
    """1e-320 crashed the model's scaling (OverflowError, exit 1)."""
    path = tmp_path / "tiny.yaml"
    name = field.split(":")[0]
    fields = {"unit_cost": "5", "yield_per_unit": "1", name: field.split(": ", 1)[1]}
    path.write_text("name: x\ntarget: {exports: 100}\nlevers:\n"
                    "  a: {unit_cost: 3, yield_per_unit: 2}\n"
                    "  b: {" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}\n")
    where = f"levers.b.{name}" + ("[1][0]" if name == "yield_curve" else "")
    _refused(["--config", path], f"{where}: is too small to compute with: write 0, "
             "or a magnitude of at least 1e-100")
