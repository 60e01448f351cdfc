"""The scenario's periods as one value: their labels in order, a period found by
its label however the file wrote it (2024 or "2024"), and the discount weights.

Imports nothing internal, so the schema and every layer above may hold it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class Periods:
    labels: tuple[int | str, ...]
    """In order; one unnamed period ("") for a scenario without `periods:`."""
    discount_rate: float = 0.0

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self) -> Iterator[int | str]:
        return iter(self.labels)

    def index(self, key: int | str) -> int:
        """The position of the period a file's key names (YAML may read 2024 as a
        number in one place and a string in another); ValueError when none does."""
        names = [str(p) for p in self.labels]
        return names.index(str(key))

    def by_index(self, keyed: Mapping[int | str, V]) -> dict[int, V]:
        """A mapping keyed by period label, keyed by position instead."""
        return {self.index(key): value for key, value in keyed.items()}

    @property
    def weights(self) -> tuple[float, ...]:
        """What a unit of spend in period k weighs in the discounted cost: 1/(1+r)^k."""
        return tuple(1.0 / (1.0 + self.discount_rate) ** k for k in range(len(self.labels)))
