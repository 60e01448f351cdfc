"""The one way this tool writes files: each file whole or not at all, a folder
whole or not at all. A reader (a planner opening the memo, a script polling the
folder) never sees half a file; an error leaves what was there before."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path


def write_file(target: Path, data: bytes) -> None:
    """``data`` into ``target``: a temporary file beside it, then a rename over it."""
    target = Path(target)
    temp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    # O_EXCL: never write through someone else's file; mode 0o666 less the umask,
    # as a plain open() would give the finished file.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_files(directory: Path, files: Mapping[str, bytes]) -> None:
    """Each of ``files`` (name -> bytes) whole into ``directory`` (made if missing)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_file(directory / name, data)


def write_folder(directory: Path, files: Mapping[str, bytes], owned: Iterable[str] = ()
                 ) -> None:
    """Write every file into a temporary folder beside ``directory``, then move it in:
    a new folder is renamed into place whole; into an existing one each file is
    renamed over its old copy (and the ``owned`` files this run did not write are
    removed). Nothing reaches ``directory`` unless every file was written."""
    directory = Path(directory)
    parent = directory.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".tmp", dir=parent))
    try:
        for name, data in files.items():
            path = temp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        _permissions(temp)
        if not directory.exists():
            os.rename(temp, directory)
            return
        for name in files:
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp / name, target)
        for name in owned:
            if name not in files:
                (directory / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _permissions(folder: Path) -> None:
    """mkdtemp makes a private folder; a written folder gets the usual mode."""
    mask = os.umask(0)
    os.umask(mask)
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        path.chmod(0o777 & ~mask)
