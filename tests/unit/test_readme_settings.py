"""The README's Settings table lists exactly the ``LINLI_*`` variables the code reads.

The source is scanned, not imported. A name counts as *read* when a string
literal holding it is passed to ``os.environ.get``, ``os.getenv``,
``os.environ[...]`` or the settings helper ``_env`` in a ``.py`` file under
``server/`` or ``grid_maps/``. One family is read by prefix instead:
``server/config.py`` hands every ``LINLI_SMS_*`` variable to the SMS provider as
``Settings.sms_options`` (``LINLI_SMS_HOST`` → ``"host"``), so the keys the code
takes out of that dict are read settings too.

A name counts as *documented* when it is in the first column of the table
under the README's ``## Settings`` heading.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CODE_DIRS = ("server", "grid_maps")

_LITERAL = r"""["'](LINLI_[A-Z0-9_]*[A-Z0-9])["']"""
READ = re.compile(
    rf"(?:\b_env|\bos\.environ\.get|\bos\.getenv)\(\s*{_LITERAL}|\bos\.environ\[\s*{_LITERAL}\s*\]"
)
# Variables read as a family: `k.startswith("LINLI_SMS_")` over os.environ.
PREFIX_READ = re.compile(r"""\.startswith\(\s*["'](LINLI_[A-Z0-9_]+_)["']\s*\)""")
# Each family, and the Settings field that carries its members (name without prefix, lower case).
FAMILIES = {"LINLI_SMS_": "sms_options"}
NAME = re.compile(r"LINLI_[A-Z0-9_]*[A-Z0-9]\b")


def _sources(dirs: Iterable[str]) -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for d in dirs
        for path in sorted((ROOT / d).rglob("*.py"))
        if "migrations" not in path.parts
    }


def _reads(sources: dict[Path, str]) -> set[str]:
    return {a or b for text in sources.values() for a, b in READ.findall(text)}


def _dict_names(tree: ast.AST, field: str) -> set[str]:
    """Local names bound to ``<something>.<field>``, and the parameters they are passed to."""
    names = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == field
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    functions = {
        f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            function = functions.get(call.func.id)
            if function is None:
                continue
            for arg, param in zip(call.args, function.args.args, strict=False):
                if isinstance(arg, ast.Name) and arg.id in names:
                    names.add(param.arg)
    return names


def _keys_read(tree: ast.AST, names: set[str]) -> set[str]:
    """String keys taken out of the dicts called ``names``: ``d["key"]`` and ``d.get("key", …)``."""
    keys: set[str] = set()
    for node in ast.walk(tree):
        key: ast.expr | None = None
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
        ):
            key = node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
            and node.args
        ):
            key = node.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.add(key.value)
    return keys


def _family_reads(sources: dict[Path, str], prefix: str, field: str) -> set[str]:
    found: set[str] = set()
    for text in sources.values():
        if f".{field}" not in text:
            continue
        tree = ast.parse(text)
        found |= {prefix + key.upper() for key in _keys_read(tree, _dict_names(tree, field))}
    return found


def settings_read_by_code() -> set[str]:
    """Every LINLI_* variable read under server/ and grid_maps/."""
    sources = _sources(CODE_DIRS)
    names = _reads(sources)
    prefixes = {p for text in sources.values() for p in PREFIX_READ.findall(text)}
    assert prefixes == set(FAMILIES), (
        f"the code reads variables by prefix {sorted(prefixes)}; teach this test which "
        f"Settings field carries each family (FAMILIES knows {sorted(FAMILIES)})"
    )
    for prefix, field in FAMILIES.items():
        members = _family_reads(sources, prefix, field)
        assert members, f"no code reads {field}: has the {prefix}* family moved?"
        names |= members
    return names


def readme_settings_table() -> set[str]:
    """The names in the first column of the README's Settings table."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("## Settings")
    section = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        section.append(line)
    rows = [line for line in section if line.startswith("|") and not line.startswith("|---")]
    return {name for row in rows[1:] for name in NAME.findall(row.split("|")[1])}


def test_scan_finds_the_settings_it_must() -> None:
    """The scan itself works: names read each way are found, and nothing from docstrings."""
    read = settings_read_by_code()
    assert {
        "LINLI_PUSH_REQUIRE_HTTPS",  # _env(...) in server/config.py
        "LINLI_SECRET_KEY",  # os.environ.get(...) in server/config.py
        "LINLI_DATA_KEY",  # os.environ.get(...) in server/lib/crypto.py
        "LINLI_WORKERS",  # os.environ.get(...) in server/cli.py
        "LINLI_SMS_HOST",  # o["host"] of settings.sms_options
        "LINLI_SMS_TEMPLATES",  # options.get("templates", …) one call further
    } <= read
    assert "LINLI_SMS_" not in read


def test_every_setting_the_code_reads_is_in_the_readme() -> None:
    missing = settings_read_by_code() - readme_settings_table()
    assert not missing, (
        "the code reads these settings but the README's Settings table does not list them: "
        + ", ".join(sorted(missing))
    )


def test_the_readme_documents_no_setting_the_code_does_not_read() -> None:
    stale = readme_settings_table() - settings_read_by_code()
    assert not stale, (
        "the README's Settings table lists settings no code under server/ or grid_maps/ reads: "
        + ", ".join(sorted(stale))
    )


def test_every_linli_name_in_the_readme_is_read_somewhere() -> None:
    """Outside the table too (the test suite's own settings are read under tests/)."""
    mentioned = set(NAME.findall(README.read_text(encoding="utf-8")))
    read = settings_read_by_code() | _reads(_sources(["tests"]))
    unknown = mentioned - read
    assert not unknown, "the README names settings nothing reads: " + ", ".join(sorted(unknown))


def test_the_code_names_no_setting_it_does_not_read() -> None:
    """Messages and docstrings under server/ and grid_maps/ name real settings only."""
    sources = _sources(CODE_DIRS)
    mentioned = {name for text in sources.values() for name in NAME.findall(text)}
    unknown = mentioned - settings_read_by_code()
    assert not unknown, "the code names settings nothing reads: " + ", ".join(sorted(unknown))
