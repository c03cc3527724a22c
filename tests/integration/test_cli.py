"""The operator's CLI on a fresh embedded database: migrate, demo (twice), check, export, import."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from server.cases.demo_cases import DEMO_CASES
from tests.integration.test_grid_maps import broken_file, demo

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "LINLI_VAR_DIR": str(tmp_path),
        "LINLI_LOCALE": "en",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        timeout=300,
    )


def test_cli_from_an_empty_database(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    first = run(tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    assert "13 demo account(s) created" in first.stderr.replace("\n", "")
    second = run(tmp_path, "demo")  # idempotent: updates in place, creates nothing
    assert second.returncode == 0, second.stderr
    text = second.stderr.replace("\n", "")
    assert "0 demo account(s) created" in text and "'grid': 60" in text
    # The demo cases are there once, and no notice of theirs waits to be sent.
    with closing(sqlite3.connect(tmp_path / "cli.sqlite3")) as db:
        cases = db.execute("SELECT count(*), count(DISTINCT state) FROM cases").fetchone()
        events = db.execute("SELECT count(*) FROM case_events").fetchone()[0]
        outbox = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        # One case came from a need found on a visit: its resident reports, the visit is done.
        from_visit = db.execute(
            "SELECT count(*) FROM cases JOIN visits ON visits.id = cases.visit_id"
            " WHERE cases.channel = 'visit' AND visits.state = 'done'"
            " AND visits.resident_id = cases.resident_id"
        ).fetchone()[0]
    assert cases == (len(DEMO_CASES), 8) and events > 4 * len(DEMO_CASES) and outbox == 0
    assert from_visit == 1

    doc, _ = broken_file()
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    check = run(tmp_path, "import-map", "--check", str(bad))
    assert check.returncode == 1
    assert "overlaps" in check.stderr and "invalid geometry" in check.stderr
    refused = run(tmp_path, "import-map", str(bad))
    assert refused.returncode == 1 and "nothing was imported" in refused.stderr

    out = tmp_path / "export.geojson"
    export = run(tmp_path, "export-map", str(out))
    assert export.returncode == 0, export.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))["features"]) == len(demo()["features"])
    again = run(tmp_path, "import-map", str(out))
    assert again.returncode == 0, again.stderr

    made = run(
        tmp_path,
        "create-user",
        "--phone",
        "13600000001",
        "--name",
        "新网格员",
        "--password",
        "a-long-password",
        "--role",
        f"grid_worker:{demo()['features'][8]['properties']['code']}",
    )
    assert made.returncode == 0, made.stderr
    wrong = run(
        tmp_path,
        "create-user",
        "--phone",
        "13600000002",
        "--name",
        "x",
        "--password",
        "a-long-password",
        "--role",
        "grid_worker:999",
    )
    assert wrong.returncode == 1 and "No grid has code 999" in wrong.stderr


def test_cli_enters_a_years_calendar(tmp_path: Path) -> None:
    """``linli calendar FILE``: a wrong file is named and enters nothing; a right one is
    entered, replaces its year when entered again, and is shown back."""
    assert run(tmp_path, "migrate").returncode == 0
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("2097-01-01,off,元旦\n2097-02-30,off\n", encoding="utf-8")
    refused = run(tmp_path, "calendar", str(wrong))
    assert refused.returncode == 1
    assert "line 2: '2097-02-30' is not a date" in refused.stderr
    assert "nothing was entered" in refused.stderr
    days = tmp_path / "2097.csv"
    days.write_text("# 2097\n2097-01-01,off,元旦\n2097-01-05,work,元旦调休\n", encoding="utf-8")
    assert run(tmp_path, "calendar", str(days), "--check").returncode == 0
    assert run(tmp_path, "calendar", "--year", "2097").stdout.strip() == ""  # checked only
    for _ in range(2):  # entered twice: the year replaced, not doubled
        entered = run(tmp_path, "calendar", str(days))
        assert entered.returncode == 0, entered.stderr
        assert "entered 2 day(s) for 2097" in entered.stderr.replace("\n", " ")
    shown = run(tmp_path, "calendar", "--year", "2097")
    assert shown.stdout.split() == ["2097-01-01,off,元旦", "2097-01-05,work,元旦调休"]
