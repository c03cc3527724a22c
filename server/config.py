"""Settings from the environment, read in one place.

Every knob an operator may turn is an environment variable named ``LINLI_*``
(``DATABASE_URL`` and ``REDIS_URL`` keep their customary names).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = ["ROOT", "Settings", "get_settings"]

ROOT = Path(__file__).resolve().parent.parent
"""The checkout (or install) root: ``var/``, ``pwa/dist`` and ``grid_maps/`` live here."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _segments(raw: str) -> tuple[int, ...]:
    parts = tuple(int(p) for p in raw.split(","))
    if len(parts) != 4 or any(p <= 0 for p in parts):
        raise ValueError(f"LINLI_CODE_SEGMENTS must be four positive widths, got {raw!r}")
    return parts


def _secret(var_dir: Path) -> str:
    """The token-signing secret: from the environment, else a file created once.

    Several processes on one machine share the file; several machines must share
    ``LINLI_SECRET_KEY``.
    """
    explicit = os.environ.get("LINLI_SECRET_KEY")
    if explicit:
        return explicit
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        os.replace(tmp, path)  # atomic: a racing process reads one whole key
    return path.read_text().strip()


@dataclass(frozen=True, slots=True)
class Settings:
    var_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # Log-in throttling: after `login_slow_after` failures within the window the
    # caller must wait; after `login_lock_after` the account/address is locked.
    login_window_minutes: int = 15
    login_slow_after: int = 3
    login_lock_after: int = 10
    login_lock_minutes: int = 15
    code_segments: tuple[int, ...] = (6, 3, 3, 3)
    # How far (metres) a grid may poke outside its community before import refuses it.
    containment_tolerance_m: float = 2.0
    max_body_bytes: int = 2 * 1024 * 1024
    # Per client address, over the API; 0 turns it off (benchmarks).
    rate_limit_per_minute: int = 600
    # How long an Idempotency-Key and its answer are kept (longer than a phone keeps a
    # queued command).
    idempotency_days: int = 30
    # "inline": each app process also runs an outbox dispatcher; "off": only `linli worker` sends.
    dispatcher: str = "inline"
    # How often each process reads the calendar days the operator entered again (0: only
    # when it starts).
    calendar_refresh_seconds: float = 600
    vapid_subject: str = "mailto:ops@linli.invalid"
    # Browsers' push services are all https; only a test push service on loopback is not.
    push_require_https: bool = True
    # console (development) | smpp | aliyun | tencent, with its options from LINLI_SMS_* variables.
    sms_provider: str = "console"
    sms_options: dict[str, str] = field(default_factory=dict)
    # Seconds between asking Aliyun/Tencent for delivery reports of SMS still waiting; 0: never.
    sms_receipt_poll_seconds: float = 60.0
    # The secret in the URL of the delivery-report callbacks; None: those endpoints answer 404.
    sms_callback_token: str | None = None
    max_import_bytes: int = 64 * 1024 * 1024
    # A deployment's own care tags and trades, ``code:name,…`` (server/people/vocabulary.py).
    extra_care_tags: str = ""
    extra_trades: str = ""
    # The grid (code) where cases SMS'd from numbers no resident has are placed.
    case_sms_grid: str | None = None
    # Where cases e-mailed by people the register does not know are placed (default: the SMS one).
    case_email_grid: str | None = None
    # The SMTP relay outgoing e-mail goes through; None: no e-mail channel (e-mail rows fail
    # at once as "no email channel configured").
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "linli@localhost"
    # starttls (required), tls (implicit, port 465) or none (a relay on loopback only).
    smtp_tls: str = "starttls"
    # The receiver of `linli mail-in`: the one address it takes mail for, and where it listens.
    mail_in_address: str | None = None
    mail_in_host: str = "127.0.0.1"
    mail_in_port: int = 2525
    pwa_dir: Path = field(default_factory=lambda: ROOT / "pwa" / "dist")
    tile_url: str | None = None
    tile_attribution: str | None = None
    default_center: tuple[float, float] = (115.035, 35.765)
    default_zoom: int = 14
    demo_password: str = "linli-demo-2026"  # noqa: S105 - the published demo password
    log_sql: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    var_dir = Path(_env("LINLI_VAR_DIR", str(ROOT / "var")))
    default_db = f"sqlite+aiosqlite:///{var_dir / 'linli.sqlite3'}"
    center = _env("LINLI_DEFAULT_CENTER", "115.035,35.765").split(",")
    return Settings(
        var_dir=var_dir,
        database_url=_env("DATABASE_URL", default_db),
        redis_url=os.environ.get("REDIS_URL") or None,
        secret_key=_secret(var_dir),
        access_token_minutes=int(_env("LINLI_ACCESS_TOKEN_MINUTES", "15")),
        refresh_token_days=int(_env("LINLI_REFRESH_TOKEN_DAYS", "30")),
        login_lock_after=int(_env("LINLI_LOGIN_LOCK_AFTER", "10")),
        login_slow_after=int(_env("LINLI_LOGIN_SLOW_AFTER", "3")),
        login_lock_minutes=int(_env("LINLI_LOGIN_LOCK_MINUTES", "15")),
        code_segments=_segments(_env("LINLI_CODE_SEGMENTS", "6,3,3,3")),
        containment_tolerance_m=float(_env("LINLI_CONTAINMENT_TOLERANCE_M", "2.0")),
        pwa_dir=Path(_env("LINLI_PWA_DIR", str(ROOT / "pwa" / "dist"))),
        tile_url=os.environ.get("LINLI_TILE_URL") or None,
        tile_attribution=os.environ.get("LINLI_TILE_ATTRIBUTION") or None,
        default_center=(float(center[0]), float(center[1])),
        default_zoom=int(_env("LINLI_DEFAULT_ZOOM", "14")),
        demo_password=_env("LINLI_DEMO_PASSWORD", "linli-demo-2026"),
        log_sql=_env("LINLI_LOG_SQL", "0") == "1",
        rate_limit_per_minute=int(_env("LINLI_RATE_LIMIT_PER_MINUTE", "600")),
        idempotency_days=int(_env("LINLI_IDEMPOTENCY_DAYS", "30")),
        dispatcher=_env("LINLI_DISPATCHER", "inline"),
        calendar_refresh_seconds=float(_env("LINLI_CALENDAR_REFRESH_SECONDS", "600")),
        vapid_subject=_env("LINLI_VAPID_SUBJECT", "mailto:ops@linli.invalid"),
        push_require_https=_env("LINLI_PUSH_REQUIRE_HTTPS", "1") != "0",
        sms_provider=_env("LINLI_SMS_PROVIDER", "console"),
        sms_options={
            k.removeprefix("LINLI_SMS_").lower(): v
            for k, v in os.environ.items()
            if k.startswith("LINLI_SMS_") and k not in _SMS_SETTINGS
        },
        sms_receipt_poll_seconds=float(_env("LINLI_SMS_POLL_SECONDS", "60")),
        extra_care_tags=os.environ.get("LINLI_CARE_TAGS", ""),
        extra_trades=os.environ.get("LINLI_TRADES", ""),
        case_sms_grid=os.environ.get("LINLI_CASE_SMS_GRID") or None,
        case_email_grid=(
            os.environ.get("LINLI_CASE_EMAIL_GRID") or os.environ.get("LINLI_CASE_SMS_GRID") or None
        ),
        smtp_host=os.environ.get("LINLI_SMTP_HOST") or None,
        smtp_port=int(_env("LINLI_SMTP_PORT", "587")),
        smtp_user=os.environ.get("LINLI_SMTP_USER") or None,
        smtp_password=os.environ.get("LINLI_SMTP_PASSWORD") or None,
        smtp_from=_address(
            "LINLI_SMTP_FROM", _env("LINLI_SMTP_FROM", "linli@localhost"), dotted=False
        )
        or "",
        smtp_tls=_choice(
            "LINLI_SMTP_TLS", _env("LINLI_SMTP_TLS", "starttls"), ("starttls", "tls", "none")
        ),
        mail_in_address=_address("LINLI_MAIL_IN_ADDRESS", os.environ.get("LINLI_MAIL_IN_ADDRESS")),
        mail_in_host=_env("LINLI_MAIL_IN_HOST", "127.0.0.1"),
        mail_in_port=int(_env("LINLI_MAIL_IN_PORT", "2525")),
        sms_callback_token=_callback_token(os.environ.get("LINLI_SMS_CALLBACK_TOKEN")),
    )


# LINLI_SMS_* variables that are settings of their own rather than a provider's options.
_SMS_SETTINGS = frozenset(
    {"LINLI_SMS_PROVIDER", "LINLI_SMS_POLL_SECONDS", "LINLI_SMS_CALLBACK_TOKEN"}
)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    value = value.lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _address(name: str, raw: str | None, *, dotted: bool = True) -> str | None:
    """One bare e-mail address (``dotted=False``: ``localhost`` will do as its domain)."""
    if not raw:
        return None
    domain = r"[^@\s<>.]+(\.[^@\s<>.]+)+" if dotted else r"[^@\s<>]+"
    if not re.fullmatch(r"[^@\s<>]+@" + domain, raw.strip()):
        raise ValueError(f"{name} must be one address, e.g. cases@linli.example")
    return raw.strip().lower()


def _callback_token(raw: str | None) -> str | None:
    """The callback URLs' secret: anyone who knows it can mark messages delivered."""
    if not raw:
        return None
    if not re.fullmatch(r"[A-Za-z0-9._~-]{16,200}", raw):
        raise ValueError(
            "LINLI_SMS_CALLBACK_TOKEN must be 16 or more of A-Z a-z 0-9 . _ ~ -"
            " (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(24))'`)"
        )
    return raw


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
