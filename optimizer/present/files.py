"""The one way this tool writes files: each file whole or not at all, a folder's set
of files whole or not at all, even when the process is killed (SIGKILL, a power
cut) at any moment. A reader (a planner opening the memo, a script polling the
folder) never sees half a file nor last run's ``result.json`` beside this run's
``allocation.csv``; an error leaves what was there before.

A folder is written in three steps, under a lock against a second writer:

1. every file goes into a staging folder beside it (``.NAME.<hex>.tmp``), with
   the files of the old folder this tool does not own carried over as hard links
   (copies where a link cannot be made);
2. the staging folder and the old one swap places in one step: Linux's
   ``renameat2(RENAME_EXCHANGE)``; elsewhere, on a file system without it, or with
   OPTIMIZE_NO_EXCHANGE set (how the tests reach this path on Linux),
   the old folder is renamed aside (``.NAME.<hex>.old``) and the staged one into
   its place, and a run that finds the folder missing beside an aside folder (a
   stop between the two renames) renames it back before anything else;
3. the old set, now in the staging name, is deleted.

What a stop leaves beside the folder (a staging or old folder, a lock file) is
hidden (a leading dot) and removed by the next write into the same folder. The
folder itself keeps its documented layout: real files, no links.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from optimizer.errors import OutputError, UsageError

FOREIGN_LIMIT = 1000
"""At most this many files and folders this tool did not write are carried over into
a rewritten folder (an ``--output`` pointed at a home folder is refused, not copied)."""


def write_file(target: Path, data: bytes) -> None:
    """``data`` into ``target``: a temporary file beside it, flushed to disk, then a
    rename over it."""
    target = Path(target)
    temp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        _new_file(temp, data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def write_files(directory: Path, files: Mapping[str, bytes]) -> None:
    """Each of ``files`` (name -> bytes) into ``directory`` (made if missing), the set
    whole or not at all (see write_folder)."""
    write_folder(directory, files, files)


def write_folder(directory: Path, files: Mapping[str, bytes], owned: Iterable[str] = ()
                 ) -> None:
    """``files`` (a path relative to the folder -> bytes) become ``directory``'s files
    in one step. Files of the old folder that are neither written now nor ``owned``
    (another command's outputs, a planner's notes) are kept; ``owned`` files this run
    does not write are gone. Nothing reaches ``directory`` unless every file was
    written."""
    directory = where(Path(directory))
    owned = set(owned) | set(files)
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        _write_folder(directory, files, owned)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"could not write {directory}: {exc.strerror or exc}"
                          + (f" ({exc.filename})" if exc.filename else "")
                          + "; it is as it was") from exc


def _write_folder(directory: Path, files: Mapping[str, bytes], owned: set[str]) -> None:
    parent = directory.parent
    with _locked(parent, directory.name):
        _recover(parent, directory.name)
        token = secrets.token_hex(6)
        staged = parent / f".{directory.name}.{token}.tmp"
        try:
            _stage(staged, directory, files, owned)
            with _no_interrupt():
                if not directory.exists():
                    os.rename(staged, directory)
                elif not _exchange(staged, directory):
                    aside = parent / f".{directory.name}.{token}.old"
                    os.rename(directory, aside)
                    try:
                        os.rename(staged, directory)
                    except BaseException:
                        os.rename(aside, directory)
                        raise
                    os.rename(aside, staged)  # the old set, for the cleanup below
            _sync_folder(parent)
        finally:
            _remove(staged)


def where(directory: Path) -> Path:
    """The folder a write into ``directory`` replaces: a link to a folder is followed
    (the link stays a link); a link to nothing, or a path that is not a folder, is a
    usage error."""
    path = Path(os.path.abspath(directory))
    if path.is_symlink():
        target = path.resolve()
        if not target.exists():
            raise UsageError(f"--output {directory}: a link to {os.readlink(path)}, which "
                             "does not exist (make that folder, or give another)")
        path = target
    if path.exists() and not path.is_dir():
        raise UsageError(f"--output {directory}: exists and is not a folder")
    here = Path(os.path.realpath(os.getcwd()))
    if path.exists() and (here == path.resolve() or path.resolve() in here.parents):
        # the set is swapped in as a new folder: a shell standing in the old one
        # would be left in a deleted folder
        raise UsageError(f"--output {directory}: the folder this command runs in (or one "
                         "above it); give a folder of its own, e.g. --output out")
    return path


def _new_file(path: Path, data: bytes) -> None:
    # O_EXCL: never write through someone else's file; mode 0o666 less the umask,
    # as a plain open() would give the finished file
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _stage(staged: Path, old: Path, files: Mapping[str, bytes], owned: set[str]) -> None:
    """The new folder, complete, at ``staged``: the old one's mode, ``files``, and the
    old folder's entries that are not ``owned``."""
    os.mkdir(staged, 0o777)  # less the umask, as mkdir gives
    if old.is_dir():
        os.chmod(staged, stat.S_IMODE(old.stat().st_mode))
        _carry(old, staged, owned)
    folders = {staged}
    for name, data in files.items():
        path = staged / name
        for folder in reversed(path.parents):
            if folder not in folders and staged in folder.parents:
                folder.mkdir(0o777, exist_ok=True)
                folders.add(folder)
        _new_file(path, data)
    for folder in folders:
        _sync_folder(folder)


def _carry(old: Path, staged: Path, owned: set[str]) -> None:
    """The entries of ``old`` this tool does not own, into ``staged``: files (and
    links, as links) hard-linked, or copied where a link cannot be made; folders made
    with their mode and filled the same way."""
    count = 0
    for root, dirs, names in os.walk(old):
        here = Path(root)
        rel = here.relative_to(old)
        for name in dirs:
            key = (rel / name).as_posix()
            source = here / name
            if not source.is_symlink() and not any(o.startswith(key + "/") for o in owned):
                # a folder of the planner's own, kept even when empty
                (staged / key).mkdir(exist_ok=True)
                os.chmod(staged / key, stat.S_IMODE(source.stat().st_mode))
        for name in [*names, *(d for d in dirs if (here / d).is_symlink())]:
            key = (rel / name).as_posix()
            if key in owned:
                continue
            count += 1
            if count > FOREIGN_LIMIT:
                raise UsageError(
                    f"--output {old}: holds more than {FOREIGN_LIMIT:,} files this tool did "
                    "not write; give its output a folder of its own")
            source, target = here / name, staged / key
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target, follow_symlinks=False)
            except OSError:
                if source.is_symlink():
                    os.symlink(os.readlink(source), target)
                else:
                    shutil.copy2(source, target)
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]


_LINUX_EXCHANGE = 2  # RENAME_EXCHANGE, linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux's renameat2); False where that cannot be
    done here (another system, an older kernel, a file system without it)."""
    if not sys.platform.startswith("linux") or os.environ.get("OPTIMIZE_NO_EXCHANGE"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    call = getattr(libc, "renameat2", None)
    if call is None:
        return False
    if call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _LINUX_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


_LEFT = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{12}\.(?P<kind>tmp|old)")


def _recover(parent: Path, name: str) -> None:
    """What a stopped write left beside the folder ``name``: an old set renamed aside
    goes back when the folder is missing (a stop between the two renames), then
    every staging and aside folder goes. Called under the folder's lock."""
    left = [p for p in parent.iterdir()
            if (m := _LEFT.fullmatch(p.name)) and m["name"] == name and not p.is_symlink()]
    folder = parent / name
    aside = [p for p in left if p.name.endswith(".old")]
    if aside and not os.path.lexists(folder):
        os.rename(aside[0], folder)
        left.remove(aside[0])
    for path in left:
        _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=_writable_then_again)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _writable_then_again(func: Callable[..., object], path: str, info: object) -> None:
    """An old set's folder a planner made read-only (charts/ at 0555) is emptied all
    the same: its folder made writable, then the removal tried again (and left, if
    that fails too: a hidden leftover the next write tries once more)."""
    with contextlib.suppress(OSError):
        os.chmod(os.path.dirname(path), 0o700)
        func(path)


@contextlib.contextmanager
def _locked(parent: Path, name: str) -> Iterator[None]:
    """An exclusive lock on ``.NAME.lock`` beside the folder: a second writer waits for
    the first to finish (the kernel releases the lock of a killed process). The file
    is removed by its holder; one found replaced after the wait is locked again."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): one writer at a time is the user's
        yield
        return
    path = parent / f".{name}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_NOFOLLOW", 0), 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held = os.fstat(fd)
            try:
                now = os.stat(path)
            except FileNotFoundError:
                now = None
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            break
        os.close(fd)  # its holder removed it: lock the new one
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Ctrl-C (SIGINT) held back until the swap is done: it stops the command after
    the swap, never between its renames."""
    if (not hasattr(signal, "pthread_sigmask")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _sync_folder(folder: Path) -> None:
    """A folder's entries (a rename, a new file) to disk, where the system allows."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
