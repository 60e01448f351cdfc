"""present/files.py: the one writer. A file is replaced whole or left as it was; a
folder appears whole; nothing temporary is left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from optimizer.present.files import write_file, write_files, write_folder


def test_a_file_is_replaced_whole_with_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "allocation.csv"
    target.write_bytes(b"old")
    write_file(target, b"new,data\n")
    assert target.read_bytes() == b"new,data\n"
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allocation.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "result.json"
    target.write_bytes(b"old")

    def full(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="disk full"):
        write_file(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]


def test_files_go_into_a_new_folder(tmp_path: Path) -> None:
    write_files(tmp_path / "out", {"a.csv": b"1", "b.json": b"{}"})
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == {
        "a.csv": b"1", "b.json": b"{}"}


def test_a_folder_appears_whole_and_a_rerun_removes_what_it_owns_and_no_longer_writes(
        tmp_path: Path) -> None:
    folder = tmp_path / "memo"
    write_folder(folder, {"report.md": b"1", "charts/mix.svg": b"<svg/>"}, ("charts/mix.svg",))
    assert (folder / "charts" / "mix.svg").read_bytes() == b"<svg/>"
    (folder / "mine.txt").write_bytes(b"keep")
    write_folder(folder, {"report.md": b"2"}, ("charts/mix.svg",))
    assert (folder / "report.md").read_bytes() == b"2"
    assert not (folder / "charts" / "mix.svg").exists()
    assert (folder / "mine.txt").read_bytes() == b"keep"  # not the tool's: kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memo"]
