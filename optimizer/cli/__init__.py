"""The ``optimize`` command line: Click only. Each command parses its options, asks the
analyses (through optimizer.solving.engine or optimizer.analyses), renders and writes; our
exceptions become exit codes (output.guarded), and every command's output tail is one
function (output.emit).

Heavy modules (Pyomo, pandas) are imported only once a scenario has been
validated, so a bad file is refused fast.
"""

from __future__ import annotations

from optimizer.cli.compare import compare
from optimizer.cli.explain import explain
from optimizer.cli.optimize import main
from optimizer.cli.report import report
from optimizer.cli.simulate import simulate
from optimizer.cli.sweep import sweep

for _command in (sweep, explain, compare, report, simulate):
    main.add_command(_command)

__all__ = ["main"]
