"""--scheduler against what can be found at an address (issue 18 item 6): each ends in
one clear line within a bounded time, exit 2 for a bad address and exit 1 for a
cluster that fails, no traceback, nothing written. Every service here is started by
the test on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import invoke

UNCERTAIN = """\
name: uncertain
currency: USD
target: {exports: 1000}
uncertainty: {samples: 8, seed: 1}
levers:
  a: {unit_cost: 2, yield_per_unit: {dist: uniform, low: 1, high: 3}, max_units: 2000}
  b: {unit_cost: 5, yield_per_unit: 4}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "u.yaml"
    path.write_text(UNCERTAIN)
    return path


def _run(config: Path, address: str, out: Path, timeout: float = 3) -> tuple[int, str, float]:
    start = time.monotonic()
    r = invoke("simulate", "--config", config, "--reoptimize", "--scheduler", address,
               "--scheduler-timeout", timeout, "--output", out)
    assert "Traceback" not in r.err and "unexpected" not in r.err, r.err
    assert not out.exists()
    return r.code, r.err.strip(), time.monotonic() - start


@pytest.mark.parametrize("address, message", [
    ("127.0.0.1:8786", "expected tcp://HOST:PORT"),
    ("tls://127.0.0.1:8786", "only tcp:// schedulers are supported"),
    ("ucx://127.0.0.1:8786", "only tcp:// schedulers are supported"),
    ("tcp://127.0.0.1:99999", "port"),
    ("tcp://127.0.0.1:port", "the port must be a number 1-65535"),
    ("tcp://:8786", "expected tcp://HOST:PORT"),
    ("tcp://127.0.0.1:8786/x", "and nothing more"),
])
def test_a_bad_address_is_exit_2_before_anything_connects(config: Path, tmp_path: Path,
                                                          address: str, message: str) -> None:
    code, err, _ = _run(config, address, tmp_path / "out")
    assert code == 2 and message in err and address in err, err


def _listening(handler: type[socketserver.BaseRequestHandler]) -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Silent(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        time.sleep(10)


class _Http(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _Banner(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"220 smtp.example ESMTP ready\r\n")
        time.sleep(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_listening_is_exit_1_at_once(config: Path, tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    code, err, seconds = _run(config, address, tmp_path / "out")
    assert code == 1 and f"cannot reach the Dask scheduler at {address}" in err, err
    assert seconds < 10


@pytest.mark.parametrize("handler, message", [
    (_Silent, "no Dask scheduler answered at {} within 2 s"),
    (_Http, "no Dask scheduler answered at {} within 2 s"),  # HTTP waits for a request
    (_Banner, "the service at {} is not a Dask scheduler"),
])
def test_a_service_that_is_not_dask_is_exit_1_in_bounded_time(
        config: Path, tmp_path: Path, handler: type[socketserver.BaseRequestHandler],
        message: str) -> None:
    """Before: a silent service waited forever, an HTTP server was exit 1
    'MemoryError: Unable to allocate 3.07 EiB'."""
    for address in _listening(handler):
        code, err, seconds = _run(config, address, tmp_path / "out", timeout=2)
        assert code == 1 and message.format(address) in err, err
        assert seconds < 15
        assert len(err.splitlines()) == 1


@pytest.fixture(scope="module")
def scheduler_only() -> Iterator[str]:
    """A Dask scheduler on loopback with no worker at all."""
    distributed = pytest.importorskip("distributed")
    local = distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                     processes=True)
    try:
        yield local.scheduler_address
    finally:
        local.close()


def test_a_cluster_without_workers_is_exit_1_in_bounded_time(
        config: Path, tmp_path: Path, scheduler_only: str) -> None:
    """Before: waited forever in silence."""
    code, err, seconds = _run(config, scheduler_only, tmp_path / "out", timeout=2)
    assert code == 1 and f"the Dask scheduler at {scheduler_only} has no worker after 2 s" \
        in err, err
    assert seconds < 20


def _die(item: int) -> int:
    import os

    if item == 1:
        os._exit(3)  # the worker process dies with this task
    return item * 10


def _slow(item: int) -> int:
    time.sleep(0.5)
    return item


def test_a_cluster_that_loses_its_only_worker_is_a_clear_error() -> None:
    """Before: waited forever in silence."""
    distributed = pytest.importorskip("distributed")
    from optimizer.analyses import cluster
    from optimizer.errors import ClusterError

    local = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address="127.0.0.1:0")
    try:
        start = time.monotonic()
        with pytest.raises(ClusterError) as caught:
            cluster.run(local.scheduler_address, _die, [0, 1, 2], timeout=3)
        assert time.monotonic() - start < 40
        message = str(caught.value)
        assert message.startswith(f"the Dask cluster at {local.scheduler_address} "
                                  "stopped answering") or "KilledWorker" in message, message
    finally:
        local.close()


def test_a_scheduler_that_dies_midway_is_a_clear_error() -> None:
    distributed = pytest.importorskip("distributed")
    from optimizer.analyses import cluster
    from optimizer.errors import ClusterError

    local = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address="127.0.0.1:0")
    seen: list[int] = []

    def done(i: int, _result: object) -> None:
        seen.append(i)
        if len(seen) == 1:
            threading.Thread(target=local.close, daemon=True).start()

    start = time.monotonic()
    with pytest.raises(ClusterError, match="stopped answering"):
        cluster.run(local.scheduler_address, _slow, list(range(20)), timeout=3, done=done)
    assert time.monotonic() - start < 40
    assert 1 <= len(seen) < 20


def test_the_cluster_gives_results_in_order() -> None:
    distributed = pytest.importorskip("distributed")
    from optimizer.analyses import cluster

    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address="127.0.0.1:0")
    try:
        assert cluster.run(local.scheduler_address, _die, [0, 2, 3, 5], timeout=10) == [
            0, 20, 30, 50]
    finally:
        local.close()
