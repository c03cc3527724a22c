"""``linli``: the operator's command line.

    linli migrate                 apply database migrations
    linli demo                    load the demo city and demo accounts (idempotent)
    linli import-map FILE         import a grid map (GeoJSON); --check validates only
    linli export-map FILE         write the grid map back out
    linli create-user …           create a person with roles
    linli serve                   serve API + PWA
    linli worker [--once]         deliver the notification outbox
    linli mail-in                 receive e-mailed cases over SMTP
    linli run                     migrate, load the demo city, serve (what `make run` does)

The database is ``DATABASE_URL`` (default: SpatiaLite file under ``var/``).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from server.config import get_settings

__all__ = ["main"]

console = Console(stderr=True)


def _progress() -> tuple[Progress, Callable[[str, int, int], None]]:
    bar = Progress(
        TextColumn("{task.description:>12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, Any] = {}

    def update(label: str, done: int, total: int) -> None:
        if label not in tasks:
            tasks[label] = bar.add_task(label, total=total)
        bar.update(tasks[label], completed=done, total=total)

    return bar, update


async def _with_session(work: Callable[[Any], Awaitable[Any]]) -> Any:
    from server.db.engine import make_engine, make_sessionmaker

    engine = make_engine(get_settings().database_url, pool=False)
    try:
        async with make_sessionmaker(engine).begin() as session:
            return await work(session)
    finally:
        await engine.dispose()


def cmd_migrate(_: argparse.Namespace) -> int:
    from server.db.migrate import upgrade

    upgrade(get_settings().database_url)
    console.print("[green]migrations applied[/]")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from server.demo import DEMO_MAP, load_demo

    settings = get_settings()
    bar, update = _progress()
    with bar:
        result, created = asyncio.run(
            _with_session(
                lambda s: load_demo(s, settings, Path(args.map) if args.map else DEMO_MAP, update)
            )
        )
    console.print(
        f"demo city: created {result.created}, updated {result.updated}; "
        f"{created} demo account(s) created"
    )
    return 0


def _report_problems(problems: list[Any]) -> None:
    locale = os.environ.get("LINLI_LOCALE", "zh_Hans")
    for p in problems[:200]:
        r = p.render(locale)
        console.print(f"[red]feature {r['index']}[/] {r['code'] or '-'}: {r['reason']}")
    if len(problems) > 200:
        console.print(f"… and {len(problems) - 200} more")


def cmd_import(args: argparse.Namespace) -> int:
    from server.grids.importer import GridMapInvalid, import_grid_map, validate_grid_map

    settings = get_settings()
    console.print(f"reading {args.file} …")
    doc = json.loads(Path(args.file).read_text(encoding="utf-8"))
    if args.check:
        problems = validate_grid_map(
            doc, segments=settings.code_segments, tolerance_m=settings.containment_tolerance_m
        )
        _report_problems(problems)
        console.print(f"{len(doc.get('features', []))} features, {len(problems)} problem(s)")
        return 1 if problems else 0
    bar, update = _progress()
    try:
        with bar:
            result = asyncio.run(
                _with_session(
                    lambda s: import_grid_map(
                        s,
                        doc,
                        segments=settings.code_segments,
                        tolerance_m=settings.containment_tolerance_m,
                        progress=update,
                    )
                )
            )
    except GridMapInvalid as invalid:
        _report_problems(invalid.problems)
        console.print(f"[red]{len(invalid.problems)} problem(s): nothing was imported[/]")
        return 1
    console.print(f"created {result.created}, updated {result.updated}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from server.grids.importer import export_grid_map

    doc = asyncio.run(_with_session(export_grid_map))
    out = Path(args.file)
    with out.open("w", encoding="utf-8") as fh:
        fh.write(
            '{"type": "FeatureCollection", "linli": '
            + json.dumps(doc["linli"])
            + ', "features": [\n'
        )
        fh.write(",\n".join(json.dumps(f, ensure_ascii=False) for f in doc["features"]))
        fh.write("\n]}\n")
    console.print(f"wrote {len(doc['features'])} features to {out}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    import msgspec

    from server.accounts.schemas import UserCreate
    from server.accounts.services import AccountService
    from server.lib.errors import AppError
    from server.lib.i18n import translate

    password = (
        args.password or os.environ.get("LINLI_NEW_USER_PASSWORD") or getpass.getpass("password: ")
    )
    roles = []
    for spec in args.role:
        role, _, code = spec.partition(":")
        roles.append({"role": role, "scope_code": code or None})
    try:
        data = msgspec.convert(
            {
                "phone": args.phone,
                "name": args.name,
                "password": password,
                "roles": roles,
                "home_building_code": args.home,
            },
            UserCreate,
        )
    except msgspec.ValidationError as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    try:
        user = asyncio.run(_with_session(lambda s: AccountService(s).create_user(None, data)))
    except AppError as exc:
        console.print(f"[red]{translate(exc.message, 'en', **exc.params)}[/]")
        return 1
    console.print(
        f"created user {user.id} ({user.phone_masked}) with roles "
        f"{', '.join(r.role.value for r in user.roles)}"
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from server.serving import serve

    settings = get_settings()
    if not settings.pwa_dir.is_dir():
        console.print(
            f"[yellow]no PWA build at {settings.pwa_dir}: serving the API only (run `make pwa`)[/]"
        )
    console.print(
        f"Linli on http://{args.host}:{args.port}  (database: {settings.database_url.split('://')[0]})"
    )
    serve(
        "server.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_level="info",
        access_log=args.access_log,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Deliver the outbox (and run the periodic chores) outside the web processes."""
    import signal

    from server.cases.calendar import start_calendar
    from server.db.engine import make_engine, make_sessionmaker
    from server.domains import register_domains
    from server.housekeeping import run_chores, run_chores_forever
    from server.notify.setup import make_dispatcher

    settings = get_settings()
    register_domains()
    from server.cases import inbound as case_inbound

    case_inbound.configure(settings.case_sms_grid, settings.case_email_grid)

    async def main() -> None:
        engine = make_engine(settings.database_url)
        sessionmaker = make_sessionmaker(engine)
        dispatcher = await make_dispatcher(settings, sessionmaker)
        calendar = await start_calendar(  # the deadline chore counts working days
            sessionmaker, 0 if args.once else settings.calendar_refresh_seconds
        )
        try:
            if args.once:
                stats = await dispatcher.drain()
                reports = await dispatcher.poll_receipts()
                chores = await run_chores(sessionmaker)
                console.print(
                    f"leased {stats.leased}, sent {stats.sent}, retried {stats.retried}, "
                    f"failed {stats.failed}; delivery reports recorded {reports}; {chores}"
                )
                return
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, dispatcher.stop)
            chores_task = asyncio.create_task(run_chores_forever(sessionmaker))
            console.print("worker: delivering the outbox (Ctrl+C to stop)")
            await dispatcher.run_forever()
            chores_task.cancel()
        finally:
            if calendar is not None:
                calendar.cancel()
            await dispatcher.close()
            await engine.dispose()

    asyncio.run(main())
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    """Enter a year's official holidays and 调休 working weekends (see
    :mod:`server.cases.calendar`), or show the days entered."""
    from server.cases.calendar import CalendarDay, import_days, parse_days

    if args.file:
        try:
            days = parse_days(Path(args.file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            console.print(f"[red]{exc}: nothing was entered[/]")
            return 1
        if args.check:
            console.print(f"{len(days)} day(s), no problem")
            return 0
        years = asyncio.run(_with_session(lambda s: import_days(s, days)))
        every = get_settings().calendar_refresh_seconds
        console.print(
            f"entered {len(days)} day(s) for {', '.join(map(str, sorted(years))) or 'no year'}; "
            + (
                f"every process reads them within {every:g} s"
                if every > 0
                else "each process reads them when it starts"
            )
        )
        return 0

    async def show(session: Any) -> list[Any]:
        from sqlalchemy import select

        query = select(CalendarDay.day, CalendarDay.workday, CalendarDay.name).order_by(
            CalendarDay.day
        )
        if args.year:
            query = query.where(
                CalendarDay.day >= date(args.year, 1, 1), CalendarDay.day <= date(args.year, 12, 31)
            )
        return list((await session.execute(query)).all())

    for day, work, name in asyncio.run(_with_session(show)):  # a file to enter again
        print(f"{day.isoformat()},{'work' if work else 'off'},{name}")
    return 0


def cmd_mail_in(args: argparse.Namespace) -> int:
    """Take e-mail for LINLI_MAIL_IN_ADDRESS over SMTP and hand it to the cases domain."""
    import signal

    from server.db.engine import make_engine, make_sessionmaker
    from server.domains import register_domains
    from server.notify.mailin import serve_mail_in

    settings = get_settings()
    if not settings.mail_in_address:
        console.print("[red]set LINLI_MAIL_IN_ADDRESS: the one address to take mail for[/]")
        return 1
    register_domains()
    from server.cases import inbound as case_inbound

    case_inbound.configure(settings.case_sms_grid, settings.case_email_grid)
    host = args.host or settings.mail_in_host
    port = args.port or settings.mail_in_port

    async def main() -> None:
        engine = make_engine(settings.database_url)
        server = await serve_mail_in(
            make_sessionmaker(engine), address=settings.mail_in_address or "", host=host, port=port
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print(f"mail-in: SMTP on {host}:{port} (Ctrl+C to stop)")
        try:
            await stop.wait()
        finally:
            server.close()
            await server.wait_closed()
            await engine.dispose()

    asyncio.run(main())
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    for step in (cmd_migrate, cmd_demo):
        if step(args):
            return 1
    return cmd_serve(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="linli", description="Linli 邻里 community grid management"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(fn=cmd_migrate)
    demo = sub.add_parser("demo", help="load the demo city and accounts (idempotent)")
    demo.add_argument("--map", help="another grid map to load as the demo city")
    demo.set_defaults(fn=cmd_demo)
    imp = sub.add_parser("import-map", help="import a grid map (GeoJSON)")
    imp.add_argument("file")
    imp.add_argument("--check", action="store_true", help="validate only, write nothing")
    imp.set_defaults(fn=cmd_import)
    exp = sub.add_parser("export-map", help="export the grid map (GeoJSON)")
    exp.add_argument("file")
    exp.set_defaults(fn=cmd_export)
    cu = sub.add_parser("create-user", help="create a person with roles")
    cu.add_argument("--phone", required=True)
    cu.add_argument("--name", required=True)
    cu.add_argument(
        "--role",
        action="append",
        required=True,
        help="role[:area code], e.g. grid_worker:410902001001003; repeat for several",
    )
    cu.add_argument("--home", help="home building code (residents)")
    cu.add_argument("--password", help="else LINLI_NEW_USER_PASSWORD, else asked")
    cu.set_defaults(fn=cmd_create_user)
    worker = sub.add_parser(
        "worker", help="deliver notifications from the outbox (several may run)"
    )
    worker.add_argument("--once", action="store_true", help="send what is due, then exit")
    worker.set_defaults(fn=cmd_worker)
    cal = sub.add_parser(
        "calendar",
        help="enter a year's official holidays and worked weekends (date,off|work[,name] "
        "lines), or show those entered",
    )
    cal.add_argument("file", nargs="?", help="the days to enter; none: show")
    cal.add_argument("--check", action="store_true", help="validate only, write nothing")
    cal.add_argument("--year", type=int, help="show this year's days only")
    cal.set_defaults(fn=cmd_calendar)
    mail_in = sub.add_parser("mail-in", help="receive e-mailed cases over SMTP (one process)")
    mail_in.add_argument("--host", help="else LINLI_MAIL_IN_HOST (127.0.0.1)")
    mail_in.add_argument("--port", type=int, help="else LINLI_MAIL_IN_PORT (2525)")
    mail_in.set_defaults(fn=cmd_mail_in)
    for name, fn in (("serve", cmd_serve), ("run", cmd_run)):
        p = sub.add_parser(
            name, help="serve API + PWA" if name == "serve" else "migrate, load demo, serve"
        )
        p.add_argument("--host", default=os.environ.get("LINLI_HOST", "127.0.0.1"))
        p.add_argument("--port", type=int, default=int(os.environ.get("LINLI_PORT", "8000")))
        p.add_argument("--workers", type=int, default=int(os.environ.get("LINLI_WORKERS", "1")))
        p.add_argument("--access-log", action="store_true")
        if name == "run":
            p.add_argument("--map", help=argparse.SUPPRESS)
        p.set_defaults(fn=fn)
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
