"""The only code that imports Pyomo, highspy or models/: the model's data, HiGHS, the
solver Session and the engine."""

from __future__ import annotations

import logging
import sys

import pyomo.common.log


class _ToStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record is logged."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)

    def flush(self) -> None:
        self.stream = sys.stderr
        super().flush()


def _pyomo_logs_to_stderr() -> None:
    """Pyomo logs its warnings to stdout, where a planner's ``--format json`` or CSV
    goes (12 W1002 lines once broke an explain's JSON): they go to stderr instead,
    worded as Pyomo words them."""
    old = pyomo.common.log.pyomo_handler
    new = _ToStderr()
    new.setFormatter(old.formatter)
    for f in old.filters:
        new.addFilter(f)
    logger = logging.getLogger("pyomo")
    logger.removeHandler(old)
    logger.addHandler(new)
    pyomo.common.log.pyomo_handler = new


_pyomo_logs_to_stderr()
