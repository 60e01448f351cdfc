"""What re-optimising under each sample gives back (optimizer.analyses.reoptimize
makes it): plain frozen data the renderers read without the analysis."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    """What one sample's solve gives back to the caller: plain data."""

    status: str
    cost: float | None
    shares: tuple[float, ...]
    """Each enabled lever's share of the total (undiscounted) spend, in file order."""
    build_seconds: float
    """Scenario -> model data -> Pyomo model (``Session``)."""
    solve_seconds: float
    """Compile, HiGHS, re-check and Result (``Session.solve``)."""
    highs_seconds: float
    """The part of solve_seconds spent inside HiGHS."""
    message: str = ""
    """Why, when status is "error"."""


@dataclass(frozen=True)
class Reoptimized:
    """The optimum of each sample, in sample order."""

    samples: int
    seed: int
    costs: tuple[float | None, ...]
    """Optimal discounted cost (the min_cost objective) per sample; None without a plan
    (infeasible, or an error)."""
    shares: dict[str, tuple[float, ...]]
    """Each enabled lever's share of the total spend per sample (0 without a plan)."""
    statuses: tuple[str, ...]
    """optimal, infeasible, limit_with_plan, limit_without_plan, or error (see errors)."""
    seconds: float
    """Wall time of the whole run, drawing and any process or cluster start included."""
    solves_per_second: float
    build_seconds: float = 0.0
    """Summed over samples (across workers): building each sample's model."""
    solve_seconds: float = 0.0
    """Summed over samples (across workers): solving it, re-check and Result included."""
    highs_seconds: float = 0.0
    """Summed over samples: the part of solve_seconds inside HiGHS."""
    errors: dict[int, str] = field(default_factory=dict)
    """Sample index -> message, for samples whose status is "error"."""
