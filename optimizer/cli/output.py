"""What every command does at its end: exceptions turned into exit statuses and
messages (``guarded``), and the output tail (``emit``): render, plot, write the
files into --output, echo, exit."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, NoReturn, ParamSpec, TypeVar

import click

from optimizer.errors import ClusterError, OutputError, ScenarioError, SolverError, UsageError
from optimizer.present.files import write_file, write_folder
from optimizer.present.formats.layout import terminal

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def fail(code: int, text: str) -> NoReturn:
    click.echo(terminal(text), err=True)
    sys.exit(code)


class OptionError(click.UsageError):
    """A value refused while Click reads the options (a ParamType's convert), shown as
    every other usage error of ours is: ``error: MESSAGE`` on stderr, exit 2."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.message}", err=True)


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our exceptions into exit statuses and clear messages, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with _stopped_at_interrupt():
                return func(*args, **kwargs)
        except ScenarioError as exc:
            count = len(exc.problems)
            fail(2, f"error: invalid {exc.what} ({count} problem{'s' * (count != 1)}):\n"
                    + "\n".join(f"  {p}" for p in exc.problems))
        except UsageError as exc:
            fail(2, f"error: {exc}")
        except ClusterError as exc:
            fail(1, f"error: {exc}")
        except SolverError as exc:
            # the solver gave no answer that could be shown and proven: a solver
            # outcome (4), not a fault of the tool
            fail(4, f"error: no proven answer: {exc}")
        except OutputError as exc:
            fail(1, f"error: {exc}")
        except KeyboardInterrupt:
            interrupted()
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # the last resort: say what, not where
            if _after_an_interrupt(exc):
                interrupted()
            if os.environ.get("OPTIMIZE_DEBUG"):
                raise
            fail(1, f"error: unexpected {type(exc).__name__}: {exc} "
                    "(set OPTIMIZE_DEBUG=1 for a traceback)")

    return wrapper


@contextlib.contextmanager
def _stopped_at_interrupt() -> Iterator[None]:
    """While a command runs, Ctrl-C stops it at once (see _stop_now)."""
    global _stopping
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _stopping = False
    previous = signal.signal(signal.SIGINT, _stop_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_stopping = False
"""Ctrl-C was pressed and said so (see _stop_now)."""

WATCHDOG = 3.0
"""Seconds the command may take to wind down after Ctrl-C before it is ended."""


def _stop_now(signum: int, frame: object) -> None:
    """Ctrl-C: one line, worker processes killed, then a KeyboardInterrupt that winds
    the command down (pools closed, a staging folder removed, the lock released). A
    KeyboardInterrupt raised at any bytecode can be lost (in a finalizer Python prints
    "Exception ignored" and goes on), so a watchdog ends the process WATCHDOG seconds
    later whatever happens: a stop is safe, as every write survives one (see
    present.files). A HiGHS run defers the signal until it stops (solving.highs)."""
    global _stopping
    if _stopping:
        return
    _stopping = True
    os.write(2, b"interrupted\n")
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None:  # (they die at a terminal's Ctrl-C too: solving.forked)
        for child in multiprocessing.active_children():
            with contextlib.suppress(OSError):
                child.kill()
    watchdog = threading.Timer(WATCHDOG, os._exit, (130,))
    watchdog.daemon = True
    watchdog.start()
    raise KeyboardInterrupt


def interrupted() -> NoReturn:
    """Ctrl-C: one line and exit 130 (128 + SIGINT), as a shell reports it. The files
    of --output are the last run's or this run's, whole (see present.files)."""
    if _stopping:  # said already
        sys.exit(130)
    fail(130, "interrupted")


def _after_an_interrupt(exc: BaseException) -> bool:
    """An error raised while Ctrl-C was stopping the command (a worker pool broken by
    it, say) is the interrupt."""
    seen: set[int] = set()
    at: BaseException | None = exc
    while at is not None and id(at) not in seen:
        if isinstance(at, KeyboardInterrupt):
            return True
        seen.add(id(at))
        at = at.__cause__ or at.__context__
    return False


def write_outputs(directory: Path, files: Mapping[str, str], owned: Iterable[str] = ()
                  ) -> None:
    """The text files as the folder's set, whole or not at all; ``owned`` files not
    written now are removed (see present.files.write_folder)."""
    write_folder(directory, {name: text.encode("utf-8") for name, text in files.items()},
                 owned)


def check_model_paths(models: Mapping[str, Path]) -> None:
    """--write-lp / --write-mps checked before anything is built or solved, so that a
    bad path writes neither file: a name ending in the other format's extension, or a
    folder, is a usage error (exit 2); a folder that is missing or not writable is an
    output error (exit 1, as for --output)."""
    other = {"lp": ".mps", "mps": ".lp"}
    for kind, path in models.items():
        flag = f"--write-{kind}"
        if path.suffix.lower() == other[kind]:
            raise UsageError(f"{flag} {path}: an {kind.upper()} file named {other[kind]}; "
                             f"name it .{kind}, or use --write-{other[kind][1:]}")
        if path.is_dir():
            raise UsageError(f"{flag} {path}: is a folder; give a file name, e.g. "
                             f"{path / ('model.' + kind)}")
        folder = path.absolute().parent
        if not folder.is_dir():
            raise OutputError(f"could not write {path}: the folder {folder} does not exist; "
                              "nothing written")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(f"could not write {path}: the folder {folder} is not "
                              "writable; nothing written")


def write_model(path: Path, data: bytes, flag: str) -> None:
    """A model file, whole or not at all (a temporary file beside it, then a rename);
    what was at ``path`` before stays when the write fails."""
    try:
        write_file(path, data)
    except OSError as exc:
        raise OutputError(f"could not write {path} ({flag}): {exc.strerror or exc}; "
                          "it is as it was") from exc


def emit(
    value: T, renderers: Mapping[str, Callable[[T], str]], fmt: str, *,
    files: Mapping[str, str], output: Path | None,
    plot: Callable[[], object] | None = None, warning: str | None = None, status: int = 0,
    owned: Iterable[str] = (),
) -> NoReturn:
    """The tail every command shares. ``files`` maps a file name to its format (a key
    of ``renderers``): each is rendered, ``plot`` draws its figure, the files are written
    into ``output`` (the set whole or not at all; ``owned`` names files of the command
    this run did not write, removed), ``value`` in ``fmt`` goes to stdout (the file's
    text when one has that format), ``warning`` to stderr; exit ``status``."""
    texts = {name: renderers[kind](value) for name, kind in files.items()}
    shown = next((texts[name] for name, kind in files.items() if kind == fmt), None)
    if shown is None:
        shown = renderers[fmt](value)
    if plot is not None:
        plot()
    if output is not None:
        write_outputs(output, texts, owned)
    # no escape sequence from a name reaches the terminal (layout.terminal)
    click.echo(terminal(shown, fmt), nl=False)
    if warning is not None:
        click.echo(terminal(warning), err=True)
    sys.exit(status)


def progress_bar(total: int, label: str = "sweep") -> Callable[[int], None]:
    """A progress bar on stderr for a step of ``total`` parts, shown only once the step
    has run for a second, and only to a terminal (a redirected stderr, a test's or a
    log's, got a stray blank line); never on stdout."""
    start = time.perf_counter()
    state: dict[str, Any] = {}
    shown = sys.stderr.isatty()

    def tick(done: int) -> None:
        if "bar" not in state:
            if not shown or time.perf_counter() - start < 1.0 or done >= total:
                return
            from rich.console import Console
            from rich.progress import Progress

            bar = Progress(console=Console(stderr=True), transient=True)
            bar.start()
            # (the label is the tool's own words: no name from the file reaches it)
            state["bar"], state["task"] = bar, bar.add_task(label, total=total)
        state["bar"].update(state["task"], completed=done)
        if done >= total:
            state["bar"].stop()

    return tick
