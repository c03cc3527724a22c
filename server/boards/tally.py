"""The case tally 案件日汇总: a sub-district's board read from small rows, not the cases.

One row per community, local day received and local day closed (``OPEN_DAY`` while not
closed) holds what the board counts of those cases: received, rejected, merged, closed,
on time, rated, satisfied, the score, the handling hours (count and sum) and a histogram
of them, reworks and escalations. The database keeps it in step with ``cases`` by
triggers (:func:`trigger_statements`): whatever writes a case (a transition, a chore's
bulk update, an import, a migration), the tally changes in the same transaction. A
sub-district's year is then a sum over some thousands of rows.

The histogram keeps the 90th percentile exact, not estimated: the bins (1 hour wide up
to 64 h, then 16 hours wide, the last open) say which bin holds the ranks the percentile
interpolates between (:func:`percentile_places`); only those two values are then read
from the cases (``server.boards.figures``).

What counts is what ``server.boards.figures`` counts from the cases (docs/boards.md); a
test compares the two on random cases on both engines.
"""

# The trigger and fill SQL below is built from this module's constants alone: no input
# reaches it (S608 is about strings built from input).
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import (
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
)

from server.db.base import Base

__all__ = [
    "BINS",
    "BIN_COLUMNS",
    "COUNTS",
    "OPEN_DAY",
    "OVER_CLOSED",
    "OVER_RECEIVED",
    "bin_bounds",
    "case_tallies",
    "drop_statements",
    "fill_statement",
    "percentile_places",
    "trigger_statements",
]

OPEN_DAY = date(9999, 12, 31)  # the "closed on" of a case not closed
BINS = 80
_FINE = 64  # 1-hour bins below this many hours
_WIDE = 16  # then bins this wide, up to the last, which is open

# Counted over the cases received, and over those of them closed by the period's end.
OVER_RECEIVED = ("received", "rejected", "merged", "reworks", "escalations")
OVER_CLOSED = (
    "closed",
    "on_time",
    "rated",
    "satisfied",
    "score_sum",
    "hours_count",
    "hours_sum",
)
COUNTS = (*OVER_RECEIVED, *OVER_CLOSED)
BIN_COLUMNS = tuple(f"b{k:02d}" for k in range(BINS))

case_tallies = Table(
    "case_tallies",
    Base.metadata,
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("closed_on", Date, nullable=False),
    Column("sub_district_id", Integer, ForeignKey("sub_districts.id"), nullable=False),
    *(Column(name, Float if name == "hours_sum" else Integer, nullable=False) for name in COUNTS),
    *(Column(name, Integer, nullable=False) for name in BIN_COLUMNS),
    PrimaryKeyConstraint("community_id", "received_on", "closed_on"),
    Index("ix_case_tallies_sub_district_received", "sub_district_id", "received_on"),
)


def bin_bounds(k: int) -> tuple[float, float | None]:
    """[low, high) of bin ``k``; the last has no high."""
    if k < _FINE:
        return float(k), float(k + 1)
    low = float(_FINE + (k - _FINE) * _WIDE)
    return low, (None if k == BINS - 1 else low + _WIDE)


def percentile_places(bins: Sequence[int], q: float) -> tuple[float, list[tuple[int, int]]]:
    """Where ``percentile_cont(q)`` of the values counted in ``bins`` reads: the fractional
    rank ``at``, and for its rank below and its rank above (one when ``at`` is whole) the
    bin that holds it and its place among that bin's values, smallest first. The
    percentile is then ``v0 + (v1 − v0) × (at − ⌊at⌋)`` of those values."""
    n = sum(bins)
    if n == 0:
        return 0.0, []
    at = (n - 1) * q
    ranks = [int(at)] if at == int(at) else [int(at), int(at) + 1]
    places: list[tuple[int, int]] = []
    for rank in ranks:
        before = 0
        for k, count in enumerate(bins):
            if rank < before + count:
                places.append((k, rank - before))
                break
            before += count
    return at, places


# --- the triggers -------------------------------------------------------------------


def _local_day(column: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"(({column}) AT TIME ZONE 'Asia/Shanghai')::date"
    return f"date({column}, '+8 hours')"


def _floor(x: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"floor({x})::int"
    return f"CAST(floor({x}) AS INTEGER)"


def _bin_expr(hours: str, dialect: str) -> str:
    wide = _floor(f"({hours} - {_FINE}) / {_WIDE}.0", dialect)
    return (
        f"CASE WHEN {hours} < {_FINE} THEN {_floor(hours, dialect)}"
        f" WHEN {hours} < {_FINE + (BINS - 1 - _FINE) * _WIDE} THEN {_FINE} + {wide}"
        f" ELSE {BINS - 1} END"
    )


def _contribution(r: str, dialect: str) -> tuple[list[str], list[str]]:
    """The key expressions and the counted expressions of one case row (columns of ``r``,
    e.g. ``NEW.`` in a SQLite trigger, ``c.`` over a set of rows)."""
    closed = f"({r}state = 'closed' AND {r}closed_at IS NOT NULL)"
    counted = f"({r}state NOT IN ('merged', 'rejected'))"
    rated = f"({closed} AND {r}satisfaction IS NOT NULL)"
    timed = f"({closed} AND {r}handling_hours IS NOT NULL)"
    open_day = "DATE '9999-12-31'" if dialect == "postgresql" else "'9999-12-31'"

    def flag(cond: str) -> str:
        return f"CASE WHEN {cond} THEN 1 ELSE 0 END"

    key = [
        f"{r}community_id",
        _local_day(f"{r}created_at", dialect),
        f"CASE WHEN {closed} THEN {_local_day(f'{r}closed_at', dialect)} ELSE {open_day} END",
        f"{r}sub_district_id",
    ]
    bin_ = _bin_expr(f"{r}handling_hours", dialect)
    by_name = {
        "received": flag(counted),
        "rejected": flag(f"{r}state = 'rejected'"),
        "merged": flag(f"{r}state = 'merged'"),
        "reworks": f"CASE WHEN {counted} THEN {r}reworks ELSE 0 END",
        "escalations": f"CASE WHEN {counted} THEN {r}escalations ELSE 0 END",
        "closed": flag(closed),
        "on_time": flag(f"{closed} AND {r}on_time IS TRUE"),
        "rated": flag(rated),
        "satisfied": flag(f"{rated} AND {r}satisfaction IN (1, 2)"),
        "score_sum": f"CASE WHEN {rated} THEN 4 - {r}satisfaction ELSE 0 END",
        "hours_count": flag(timed),
        "hours_sum": f"CASE WHEN {timed} THEN {r}handling_hours ELSE 0.0 END",
    }
    counts = [by_name[name] for name in COUNTS]
    counts += [flag(f"{timed} AND {bin_} = {k}") for k in range(BINS)]
    return key, counts


_KEY = ("community_id", "received_on", "closed_on", "sub_district_id")
_VALUES = (*COUNTS, *BIN_COLUMNS)
_UPSERT = " ON CONFLICT (community_id, received_on, closed_on) DO UPDATE SET " + ", ".join(
    f"{c} = case_tallies.{c} + excluded.{c}" for c in _VALUES
)
_COLUMNS = ", ".join((*_KEY, *_VALUES))
# What a case contributes through; an update of other columns leaves the tally alone.
WATCHED = (
    "community_id",
    "sub_district_id",
    "created_at",
    "state",
    "closed_at",
    "on_time",
    "satisfaction",
    "handling_hours",
    "reworks",
    "escalations",
)


def grouped_insert(source: str, alias: str, sign: int, dialect: str) -> str:
    """``INSERT … SELECT`` adding (``sign`` 1) or taking away (−1) the rows of ``source``."""
    key, counts = _contribution(f"{alias}.", dialect)
    sign_ = "" if sign > 0 else "-"
    return (
        f"INSERT INTO case_tallies ({_COLUMNS}) SELECT {', '.join(key)}, "
        + ", ".join(f"{sign_}SUM({c})" for c in counts)
        + f" FROM {source} AS {alias} WHERE true GROUP BY {', '.join(key)}"
        + f" ORDER BY 1, 2, 3{_UPSERT}"
    )


# How PostgreSQL runs the trigger's statements. Their 80 bin expressions make the planner
# cost a statement over a few thousand changed rows high enough to compile it with JIT,
# which then takes longer than the work (0.2 s at 6,000 rows, seconds past 10,000: an
# UPDATE of 12,000 cases took 10.9 s, 1.5 s without the triggers); and the planner knows
# nothing of the transition tables' rows, so for a bulk change it may pair old and new
# rows by nested loops over tuplestores spilled to disk, which is quadratic (an UPDATE of
# 70,000 cases ran for more than 20 minutes). With both off the 12,000 took 1.9 s and
# 24,000 3.7 s. A case changed alone (every request) plans in microseconds either way.
FUNCTION_SETTINGS = "SET jit = off SET enable_nestloop = off"


def trigger_statements(dialect: str) -> list[str]:
    """The statements that make the database keep ``case_tallies`` (and fill it once)."""
    if dialect == "postgresql":
        changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in WATCHED)
        return [
            f"""CREATE FUNCTION case_tallies_apply() RETURNS trigger LANGUAGE plpgsql
{FUNCTION_SETTINGS} AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    {grouped_insert(f"(SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed})", "c", -1, dialect)};
    {grouped_insert(f"(SELECT n.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed})", "c", 1, dialect)};
  ELSIF TG_OP = 'DELETE' THEN
    {grouped_insert("old_rows", "c", -1, dialect)};
  ELSE
    {grouped_insert("new_rows", "c", 1, dialect)};
  END IF;
  RETURN NULL;
END $$""",
            "CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS"
            " new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_tallies_apply()",
            "CREATE TRIGGER case_tallies_update AFTER UPDATE ON cases REFERENCING OLD TABLE AS"
            " old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION"
            " case_tallies_apply()",
            "CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS"
            " old_rows FOR EACH STATEMENT EXECUTE FUNCTION case_tallies_apply()",
        ]
    new_key, new_counts = _contribution("NEW.", dialect)
    old_key, old_counts = _contribution("OLD.", dialect)

    def row_upsert(key: list[str], counts: list[str], sign: str) -> str:
        return (
            f"INSERT INTO case_tallies ({_COLUMNS}) VALUES ({', '.join(key)}, "
            + ", ".join(f"{sign}({c})" for c in counts)
            + f"){_UPSERT};"
        )

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    return [
        f"CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases BEGIN "
        f"{row_upsert(new_key, new_counts, '')} END",
        f"CREATE TRIGGER case_tallies_update AFTER UPDATE ON cases WHEN {changed} BEGIN "
        f"{row_upsert(old_key, old_counts, '-')} {row_upsert(new_key, new_counts, '')} END",
        f"CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases BEGIN "
        f"{row_upsert(old_key, old_counts, '-')} END",
    ]


def fill_statement(dialect: str) -> str:
    """Fill the tally from the cases already there (the migration that creates it)."""
    return grouped_insert("cases", "c", 1, dialect)


def drop_statements(dialect: str) -> list[str]:
    statements = [
        "DROP TRIGGER IF EXISTS case_tallies_insert"
        + (" ON cases" if dialect == "postgresql" else ""),
        "DROP TRIGGER IF EXISTS case_tallies_update"
        + (" ON cases" if dialect == "postgresql" else ""),
        "DROP TRIGGER IF EXISTS case_tallies_delete"
        + (" ON cases" if dialect == "postgresql" else ""),
    ]
    if dialect == "postgresql":
        statements.append("DROP FUNCTION IF EXISTS case_tallies_apply()")
    return statements
