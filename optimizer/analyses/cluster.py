"""Tasks on a Dask distributed cluster, bounded in time and worded in one line.

Dask's own client waits forever for a scheduler that accepts a connection and
never speaks, reads an HTTP server's answer as a frame of 3 EiB, waits in
silence when the cluster's only worker dies, and logs a dying scheduler's
traceback. Here the address is checked before anything connects, the first
bytes of the scheduler are read by hand (a Dask scheduler speaks first, with a
small length-prefixed handshake; nothing else on a port does), and every wait
has a deadline. Results come back as pickles: a cluster is trusted as this
process is (README, "Limits and safety").
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from optimizer.errors import ClusterError, UsageError

SCHEMES = ("tcp",)
DEFAULT_TIMEOUT = 30.0
"""Seconds to wait for the scheduler to answer, for a worker, and between two
finished tasks (``--scheduler-timeout``)."""
_HANDSHAKE_MOST = 2**24
"""A Dask handshake is a few hundred bytes; a length prefix past 16 MB is not one."""


def check_address(address: str) -> tuple[str, int]:
    """(host, port) of ``tcp://HOST:PORT``, or a UsageError saying what is wrong."""
    shown = f"(got {address!r})"
    if "://" not in address:
        raise UsageError(f"--scheduler: expected tcp://HOST:PORT {shown}")
    parts = urlsplit(address)
    if parts.scheme not in SCHEMES:
        raise UsageError(f"--scheduler: only tcp:// schedulers are supported (tls:// and "
                         f"ucx:// need their own security setup) {shown}")
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"--scheduler: the port must be a number 1-65535 {shown}") from None
    if not parts.hostname or port is None or not 1 <= port <= 65535:
        raise UsageError(f"--scheduler: expected tcp://HOST:PORT with a port 1-65535 {shown}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise UsageError(f"--scheduler: expected tcp://HOST:PORT and nothing more {shown}")
    return parts.hostname, port


def probe(address: str, timeout: float) -> None:
    """Connect and read the scheduler's first bytes, within ``timeout`` seconds; a
    ClusterError says what answered instead."""
    host, port = check_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            head = b""
            while len(head) < 8:
                got = sock.recv(8 - len(head))
                if not got:
                    raise ClusterError(f"the service at {address} closed the connection "
                                       "without a word: not a Dask scheduler")
                head += got
    except TimeoutError:
        raise ClusterError(f"no Dask scheduler answered at {address} within {timeout:g} s "
                           "(a service that never speaks first is not one); "
                           "see --scheduler-timeout") from None
    except OSError as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: "
                           f"{exc.strerror or exc}") from None
    (length,) = struct.unpack("<Q", head)
    if not 0 < length <= _HANDSHAKE_MOST:
        raise ClusterError(f"the service at {address} is not a Dask scheduler (it answered "
                           f"{head!r})")


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    """Dask logs a lost scheduler or worker with a traceback on stderr; our one
    message says it instead."""
    loggers = [logging.getLogger(name) for name in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def run(address: str, task: Callable[..., Any], items: Sequence[Any],
        timeout: float = DEFAULT_TIMEOUT, done: Callable[[int, Any], None] | None = None,
        **kwargs: Any) -> list[Any]:
    """``task(item, **kwargs)`` for every item on the cluster at ``address``, results
    in the items' order. ``done(i, result)`` is called as each finishes. Raises
    ClusterError (nothing partial is returned) when the scheduler is absent, is
    not Dask, goes silent, or no task finishes within ``timeout`` seconds of the
    last (a cluster that lost its workers)."""
    try:
        from distributed import Client, wait
    except ImportError:
        raise UsageError("--scheduler needs Dask distributed, an optional extra: "
                         "pip install .[distributed]") from None
    probe(address, timeout)
    with _quiet_dask():
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # Dask raises OSError, TimeoutError, CommClosedError...
            raise ClusterError(f"cannot connect to the Dask scheduler at {address}: "
                               f"{type(exc).__name__}: {exc}") from None
        # wait() asks for the default client; this one is made current only here
        with client, client.as_current():
            return _gather(client, wait, address, task, items, timeout, done, kwargs)


def _gather(client: Any, wait: Callable[..., Any], address: str, task: Callable[..., Any],
            items: Sequence[Any], timeout: float, done: Callable[[int, Any], None] | None,
            kwargs: dict[str, Any]) -> list[Any]:
    try:
        client.wait_for_workers(1, timeout=timeout)
    except Exception:
        raise ClusterError(f"the Dask scheduler at {address} has no worker after "
                           f"{timeout:g} s; start one (dask worker {address})") from None
    futures = client.map(task, list(items), pure=False, **kwargs)
    out: list[Any] = [None] * len(futures)
    pending = {f.key: (i, f) for i, f in enumerate(futures)}
    finished = 0
    while pending:
        try:
            ready = wait([f for _, f in pending.values()], timeout=timeout,
                         return_when="FIRST_COMPLETED").done
        except Exception as exc:  # a lost scheduler, or nothing done in time
            # (dask.distributed.TimeoutError is the builtin TimeoutError)
            client.cancel(futures)
            what = ("no task finished" if isinstance(exc, TimeoutError)
                    else f"the connection failed ({type(exc).__name__})")
            raise ClusterError(
                f"the Dask cluster at {address} stopped answering: {what} within "
                f"{timeout:g} s, with {finished} of {len(futures)} tasks done; nothing "
                "was written") from None
        for future in ready:
            i, _ = pending.pop(future.key)
            try:
                out[i] = future.result()
            except ImportError as exc:
                client.cancel(futures)
                raise UsageError(
                    f"the Dask workers at {address} cannot import this project ({exc}); "
                    "install it on every worker: pip install .[distributed]") from None
            except Exception as exc:
                client.cancel(futures)
                raise ClusterError(f"a task failed on the Dask cluster at {address}: "
                                   f"{type(exc).__name__}: {exc}") from None
            finished += 1
            if done is not None:
                done(i, out[i])
    return out

