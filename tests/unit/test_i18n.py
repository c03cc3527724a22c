"""Catalogs are complete for every locale; Accept-Language maps Chinese by script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from server.lib.i18n import LOCALE_DIR, LOCALES, negotiate, normalise, translate

ROOT = Path(__file__).resolve().parents[2]


def load(locale: str):
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every message the server code marks for translation (pybabel extract over server/)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        return {str(m.id) for m in read_po(fh) if m.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_translates_every_message_in_the_code(
    locale: str, source_messages: set[str]
) -> None:
    catalog = load(locale)
    translated = {str(m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(source_messages - translated)
    assert not missing, (
        f"{locale}: untranslated messages (run `make i18n` and translate): {missing}"
    )
    assert len(source_messages) > 30


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_their_placeholders(locale: str) -> None:
    import re

    for m in load(locale):
        if m.id and m.string:
            assert set(re.findall(r"{\w+}", str(m.id))) == set(
                re.findall(r"{\w+}", str(m.string))
            ), m.id


def test_chinese_catalogs_are_chinese() -> None:
    assert translate("Please log in", "zh_Hans") == "请先登录"
    assert translate("Please log in", "zh_Hant") == "請先登入"
    assert translate("Please log in", "en") == "Please log in"
    assert translate("overlaps {other}", "zh_Hans", other="X") == "与 X 重叠"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh_Hans"),
        ("", "zh_Hans"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh-TW,zh;q=0.9", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh-MO", "zh_Hant"),
        ("zh-Hant-TW", "zh_Hant"),
        ("zh-Hans-HK", "zh_Hans"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,en;q=0.5", "en"),
        ("de-DE", "zh_Hans"),
        ("en;q=0.1,zh-TW;q=0.8", "zh_Hant"),
        ("zh;q=0, en", "en"),
        ("garbage;;;q=x", "zh_Hans"),
    ],
)
def test_accept_language(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_the_users_own_setting_wins() -> None:
    assert negotiate("en", preferred="zh_Hant") == "zh_Hant"
    assert negotiate("en", preferred="klingon") == "en"
    assert normalise("zh_CN") == "zh_Hans"
