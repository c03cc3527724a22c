"""The care tags and trades a deployment uses: the defaults, plus its own.

Codes are what the database keeps and the API speaks; the PWA names the
default ones in each language. A city adds its own with ``LINLI_CARE_TAGS`` and
``LINLI_TRADES``, comma-separated ``code:name`` pairs (``dementia:失智老人``):
the name is shown as written and accepted in import sheets. The vocabulary is
set once per process from the settings (``configure``), like logging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.people.importer import TAG_NAMES, TRADE_NAMES
from server.people.models import CARE_TAGS, TRADES

__all__ = ["Term", "Vocabulary", "configure", "parse_terms", "vocabulary"]

CODE = re.compile(r"[a-z][a-z0-9_]{1,29}")
MAX_LABEL = 20


@dataclass(frozen=True, slots=True)
class Term:
    code: str
    label: str | None = None  # a deployment's own term; the defaults are named by the PWA


@dataclass(frozen=True, slots=True)
class Vocabulary:
    care_tags: tuple[Term, ...]
    trades: tuple[Term, ...]

    @property
    def care_codes(self) -> frozenset[str]:
        return frozenset(t.code for t in self.care_tags)

    @property
    def trade_codes(self) -> frozenset[str]:
        return frozenset(t.code for t in self.trades)

    @property
    def tag_names(self) -> dict[str, str]:
        """What an import sheet may write for each care tag (Chinese names, then our own)."""
        return TAG_NAMES | {t.label: t.code for t in self.care_tags if t.label}

    @property
    def trade_names(self) -> dict[str, str]:
        return TRADE_NAMES | {t.label: t.code for t in self.trades if t.label}


def parse_terms(raw: str | None, setting: str) -> tuple[Term, ...]:
    """``code:name,code:name`` → terms; a malformed entry stops the app at start-up."""
    terms: list[Term] = []
    for entry in (raw or "").replace("，", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        code, _, label = (part.strip() for part in entry.replace("：", ":").partition(":"))
        if not CODE.fullmatch(code) or not label or len(label) > MAX_LABEL:
            raise ValueError(
                f"{setting}: {entry!r} is not code:name (a code of 2-30 of a-z 0-9 _ starting "
                f"with a letter, a name of 1-{MAX_LABEL} characters), e.g. dementia:失智老人"
            )
        terms.append(Term(code, label))
    return tuple(terms)


def _merge(defaults: tuple[str, ...], extra: tuple[Term, ...]) -> tuple[Term, ...]:
    own = {t.code: t for t in extra}
    return (
        *(own.pop(code, Term(code)) for code in defaults),
        *own.values(),
    )


_current = Vocabulary(_merge(CARE_TAGS, ()), _merge(TRADES, ()))


def configure(extra_care_tags: tuple[Term, ...], extra_trades: tuple[Term, ...]) -> None:
    global _current
    _current = Vocabulary(_merge(CARE_TAGS, extra_care_tags), _merge(TRADES, extra_trades))


def vocabulary() -> Vocabulary:
    return _current
