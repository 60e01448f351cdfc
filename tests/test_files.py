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


def _visible(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_rewrite_swaps_the_whole_set_and_keeps_the_planners_files(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    write_folder(folder, {"a.csv": b"1", "b.json": b"{1}", "charts/x.svg": b"x1"},
                 ("c.csv", "charts/x.svg"))
    (folder / "notes.txt").write_bytes(b"mine")
    (folder / "charts" / "keep.txt").write_bytes(b"mine too")
    (folder / "empty").mkdir()
    before = (folder / "notes.txt").stat().st_ino
    write_folder(folder, {"a.csv": b"2", "c.csv": b"3"}, ("c.csv", "charts/x.svg"))
    assert _visible(folder) == {"a.csv": b"2", "b.json": b"{1}", "c.csv": b"3",
                                "charts/keep.txt": b"mine too", "notes.txt": b"mine"}
    assert (folder / "empty").is_dir()
    assert (folder / "notes.txt").stat().st_ino == before  # the same file, linked across
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock, no staging


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename-aside"])
def test_a_write_that_fails_midway_leaves_the_old_set_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool) -> None:
    from optimizer.errors import OutputError
    from optimizer.present import files

    if not exchange:
        monkeypatch.setenv("OPTIMIZE_NO_EXCHANGE", "1")
    folder = tmp_path / "out"
    write_folder(folder, {"a.csv": b"old a", "b.json": b"old b"})
    real = files._new_file

    def full(path: Path, data: bytes) -> None:
        if path.name == "b.json":
            with open(path, "wb") as handle:
                handle.write(data[:2])  # half a file, then the disk is full
            raise OSError(28, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(files, "_new_file", full)
    with pytest.raises(OutputError, match=r"could not write .*out: No space left on device"):
        write_folder(folder, {"a.csv": b"new a", "b.json": b"new b"})
    assert _visible(folder) == {"a.csv": b"old a", "b.json": b"old b"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_rename_aside_path_swaps_the_set(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTIMIZE_NO_EXCHANGE", "1")
    folder = tmp_path / "out"
    write_folder(folder, {"a.csv": b"1", "b.csv": b"1"})
    (folder / "notes.txt").write_bytes(b"mine")
    write_folder(folder, {"a.csv": b"2"}, ("b.csv",))
    assert _visible(folder) == {"a.csv": b"2", "notes.txt": b"mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_stop_between_the_two_renames_is_undone_by_the_next_write(tmp_path: Path) -> None:
    """A kill after the old set went aside and before the new one came in leaves no
    folder: the next write puts the old set back first (and then writes its own)."""
    folder = tmp_path / "out"
    write_folder(folder, {"a.csv": b"old", "b.csv": b"old"})
    os.rename(folder, tmp_path / ".out.0123456789ab.old")
    (tmp_path / ".out.ba9876543210.tmp").mkdir()  # the staged set, never moved in
    (tmp_path / ".out.ba9876543210.tmp" / "a.csv").write_bytes(b"ne")
    (tmp_path / ".out.lock").write_bytes(b"")  # the killed writer's lock file
    (tmp_path / ".outx.0123456789ab.tmp").mkdir()  # another folder's: not touched
    write_folder(folder, {"a.csv": b"new"}, ("a.csv",))
    # the old set came back, then this write replaced a.csv and kept b.csv (not owned)
    assert _visible(folder) == {"a.csv": b"new", "b.csv": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".outx.0123456789ab.tmp", "out"]


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    import threading
    import time

    from optimizer.present import files

    folder = tmp_path / "out"
    done = threading.Event()
    with files._locked(tmp_path, "out"):
        writer = threading.Thread(
            target=lambda: (write_folder(folder, {"a.csv": b"1"}), done.set()))
        writer.start()
        time.sleep(0.3)
        assert not done.is_set() and not folder.exists()
    writer.join(5)
    assert done.is_set() and _visible(folder) == {"a.csv": b"1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_link_to_a_folder_is_followed_and_a_link_to_nothing_refused(tmp_path: Path) -> None:
    from optimizer.errors import UsageError

    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to("real")
    write_folder(tmp_path / "link", {"a.csv": b"1"})
    assert (tmp_path / "link").is_symlink() and _visible(real) == {"a.csv": b"1"}
    (tmp_path / "dangling").symlink_to("missing/place")
    with pytest.raises(UsageError, match=r"--output .*dangling: a link to missing/place, "
                                         r"which does not exist"):
        write_folder(tmp_path / "dangling", {"a.csv": b"1"})
    assert not (tmp_path / "missing").exists()


def test_a_folder_of_someone_elses_files_is_refused_not_copied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from optimizer.errors import UsageError
    from optimizer.present import files

    monkeypatch.setattr(files, "FOREIGN_LIMIT", 3)
    folder = tmp_path / "home"
    folder.mkdir()
    for i in range(4):
        (folder / f"letter{i}.txt").write_bytes(b"x")
    with pytest.raises(UsageError, match="holds more than 3 files this tool did not write"):
        write_folder(folder, {"a.csv": b"1"})
    assert sorted(p.name for p in folder.iterdir()) == [f"letter{i}.txt" for i in range(4)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_new_folders_and_files_get_the_usual_modes(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        write_folder(tmp_path / "out", {"a.csv": b"1", "charts/x.svg": b"x"})
    finally:
        os.umask(mask)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "out" / "charts").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "out" / "a.csv").stat().st_mode & 0o777 == 0o640
    (tmp_path / "out").chmod(0o700)  # a planner's choice survives a rewrite
    write_folder(tmp_path / "out", {"a.csv": b"2"})
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700


def test_the_folder_the_command_runs_in_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Swapping it would leave the planner's shell in a deleted folder."""
    from optimizer.errors import UsageError

    (tmp_path / "work" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work" / "deeper")
    for given in (Path("."), Path(".."), tmp_path / "work"):
        with pytest.raises(UsageError, match="the folder this command runs in"):
            write_folder(given, {"a.csv": b"1"})
    write_folder(Path("out"), {"a.csv": b"1"})  # a folder below it is fine
    assert _visible(tmp_path / "work") == {"deeper/out/a.csv": b"1"}
