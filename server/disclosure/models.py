"""A community's yearly commitments 承诺 and the two evaluations 两评 of its work.

Both sit in a community (``InCommunity``): the scope rule reads their ``sub_district_id``
and ``community_id`` like any other row's, so the office edits its own community's and
the sub-district sees its communities'.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin
from server.grids.models import InCommunity

__all__ = [
    "Commitment",
    "CommitmentStatus",
    "Evaluation",
    "EvaluationKind",
    "Grade",
    "Period",
]


class CommitmentStatus(enum.StrEnum):
    not_started = "not_started"  # 未开始
    in_progress = "in_progress"  # 推进中
    achieved = "achieved"  # 已完成
    delayed = "delayed"  # 滞后


class Period(enum.StrEnum):
    """What an evaluation covers: a half-year or the whole year."""

    h1 = "h1"  # 上半年
    h2 = "h2"  # 下半年
    year = "year"  # 全年


class EvaluationKind(enum.StrEnum):
    residents = "residents"  # 群众评议: the office enters it from a survey
    superior = "superior"  # 上级评议: the sub-district (the level above) records it


class Grade(enum.StrEnum):
    good = "good"  # 好
    fairly_good = "fairly_good"  # 较好
    fair = "fair"  # 一般
    poor = "poor"  # 差


class Commitment(InCommunity, TimestampMixin, Base):
    """One target a community sets itself for a year (一定), and how far it has got."""

    __tablename__ = "disclosure_commitments"
    __table_args__ = (Index("ix_disclosure_commitments_community_year", "community_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)  # order on the public page
    # Texts in zh_Hans; ``*_i18n`` holds the optional zh_Hant and en versions.
    title: Mapped[str] = mapped_column(String(120))
    title_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    target: Mapped[str] = mapped_column(String(300))  # a figure or a sentence: "加装电梯 3 部"
    target_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[CommitmentStatus] = mapped_column(
        Enum(CommitmentStatus, native_enum=False, length=20), default=CommitmentStatus.not_started
    )
    progress_note: Mapped[str] = mapped_column(String(300), default="")
    progress_note_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class Evaluation(InCommunity, TimestampMixin, Base):
    """One of the two evaluations 两评 of a community for a period: a grade, an optional
    score out of 100 and a short public note. One row per community, year, period and kind."""

    __tablename__ = "disclosure_evaluations"
    __table_args__ = (UniqueConstraint("community_id", "year", "period", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column()
    period: Mapped[Period] = mapped_column(Enum(Period, native_enum=False, length=10))
    kind: Mapped[EvaluationKind] = mapped_column(Enum(EvaluationKind, native_enum=False, length=20))
    grade: Mapped[Grade] = mapped_column(Enum(Grade, native_enum=False, length=20))
    score: Mapped[int | None] = mapped_column(default=None)  # 0–100 when the survey gave one
    respondents: Mapped[int | None] = mapped_column(default=None)  # residents who answered
    note: Mapped[str] = mapped_column(String(300), default="")
    note_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
