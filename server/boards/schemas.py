"""What the boards API answers."""

from __future__ import annotations

from datetime import date

import msgspec

__all__ = ["BoardView", "FigureView", "UnitFigures"]


class FigureView(msgspec.Struct, frozen=True):
    """One figure and how it was computed, in the reader's language."""

    key: str
    label: str
    # The quotient or amount (a share is 0..1); None when there is nothing to divide.
    value: float | None
    # As the board shows it: "95.50%", "12.3 h", "—".
    display: str
    numerator: float | None
    denominator: float | None
    # The formula with the numbers in it: "办结 2312 ÷ 受理 2421 = 95.50%".
    formula: str
    counts: str  # what counts
    excludes: str  # what does not


class UnitFigures(msgspec.Struct, frozen=True):
    level: str
    code: str
    name: str
    figures: list[FigureView]


class BoardView(msgspec.Struct, frozen=True):
    """A unit's figures over a period and, for a community or a sub-district, its grids or
    communities side by side (every child, with zeros where nothing was received)."""

    start: date
    end: date
    unit: UnitFigures
    children: list[UnitFigures]
