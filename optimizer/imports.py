"""A library imported as itself, without the after-import hooks another library hung
on ``sys.meta_path``.

Pyomo puts a finder first on ``sys.meta_path`` (pyomo.common.dependencies'
DeferredImportCallbackFinder) that runs a "finalisation" after some libraries are
imported by anyone: after scipy, all of scipy.stats, .sparse, .spatial and
.integrate (0.9 s here, where scipy.special alone takes 0.2 s); after matplotlib,
pyplot and pylab (0.4 s more than the Figure and Agg classes the charts use). A
report imports both after its solves have imported Pyomo, so it paid 1.3 s for
modules it never calls. Imported here, the library is the same module with the same
functions (the same bytes out); only Pyomo's extra imports are skipped. Pyomo
finalises it still if Pyomo itself ever asks for it (its deferred module resolves
then), so nothing Pyomo relies on goes missing.

Pyomo is not imported here (only optimizer.solving imports it): its finder is
known by its class name.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

_HOOKS = ("DeferredImportCallbackFinder",)
"""The finders whose after-import callbacks are skipped (Pyomo's)."""


def plain(name: str) -> ModuleType:
    """``import name`` (a top-level package, e.g. "scipy" or "matplotlib") with the
    finders in _HOOKS set aside while it loads; its submodules import as usual after
    (the hooks fire on the top-level name only)."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    hooks = [f for f in sys.meta_path if type(f).__name__ in _HOOKS]
    if not hooks:
        return importlib.import_module(name)
    for finder in hooks:
        sys.meta_path.remove(finder)
    try:
        return importlib.import_module(name)
    finally:
        sys.meta_path[0:0] = hooks
