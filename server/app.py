"""``create_app()``: plugins, routes, exception handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.registry import StoreRegistry
from sqlalchemy.exc import DBAPIError

from server import __version__
from server.accounts.controllers import AccountController
from server.audit.controllers import AuditController
from server.auth.controllers import AuthController
from server.auth.security import PUBLIC, make_jwt_auth
from server.auth.services import TokenIssuer
from server.boards.controllers import BoardController
from server.businesses.controllers import BusinessController
from server.cases import inbound as case_inbound
from server.cases.calendar import start_calendar
from server.cases.controllers import CaseController
from server.config import Settings, get_settings
from server.db.checkpoint import wal_checkpointer_for
from server.db.engine import make_engine, make_read_only_sessionmaker, make_sessionmaker
from server.db.writelock import write_lock_for
from server.disclosure.controllers import DisclosureController
from server.domains import register_domains
from server.grids.controllers import GridController
from server.grids.locator import make_locator
from server.health.controllers import HealthController
from server.housekeeping import run_chores_forever
from server.lib.deps import provide_db_session, provide_locale
from server.lib.errors import AppError
from server.lib.i18n import N_, negotiate, translate
from server.lib.idempotency import IdempotencyMiddleware, document_in_openapi
from server.lib.kvstore import DatabaseStore
from server.media.controllers import MediaController
from server.notify.controllers import (
    NotifyController,
    NotifySettingsController,
    SmsReplyController,
    SmsReportController,
)
from server.notify.setup import make_dispatcher
from server.open311.controllers import (
    Open311Controller,
    Open311KeyController,
    document_formats,
)
from server.people import vocabulary
from server.people.controllers import PeopleController
from server.tasks.controllers import TaskController
from server.visits.controllers import VisitController
from server.window.controllers import WindowController
from server.wishes.controllers import WishController

__all__ = ["create_app"]

log = logging.getLogger("linli")

# Generic texts for errors raised by the framework rather than by our services.
_GENERIC = {
    400: N_("The request is not valid"),
    401: N_("Please log in"),
    403: N_("Your role does not allow this"),
    404: N_("Not found"),
    405: N_("This method is not allowed here"),
    413: N_("The request is too large"),
    415: N_("Unsupported content type"),
    429: N_("Too many requests; please slow down"),
    500: N_("Something went wrong on our side; please try again later"),
    503: N_("The service is temporarily unavailable"),
}


def _locale(request: Request[Any, Any, Any]) -> str:
    user = request.scope.get("user")
    return negotiate(request.headers.get("accept-language"), getattr(user, "locale", None))


def _error(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    extra: Any = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if code:
        body["code"] = code
    if extra:
        body["extra"] = extra
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _on_app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[dict[str, Any]]:
    detail = translate(exc.message, _locale(request), **exc.params)
    return _error(request, exc.status_code, detail, exc.extra, exc.headers, exc.code)


def _on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    locale = _locale(request)
    message = _GENERIC.get(status) or _GENERIC[400 if status < 500 else 500]
    extra = exc.extra
    if isinstance(exc, ValidationException) or (status == 400 and exc.detail):
        # Keep the framework's precise reason (which field, what was wrong) beside the translated one.
        extra = extra or [{"message": exc.detail}]
    return _error(request, status, translate(message, locale), extra, exc.headers)


def _on_recursion(request: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    """A body nested deeper than the JSON decoder goes (``[[[[…``) is bad input, not our fault."""
    if "deserializ" in str(exc):
        return _error(
            request, 400, translate(N_("The request is nested too deeply"), _locale(request))
        )
    return _on_server_error(request, exc)


# PostgreSQL refuses to store some characters in text (NUL above all: SQLSTATE 22021,
# 22P05); a body carrying one is bad input wherever it came in, so it is a 400 for every
# domain, not a check in each schema. (SQLite stores them.)
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


def _on_database_error(
    request: Request[Any, Any, Any], exc: DBAPIError
) -> Response[dict[str, Any]]:
    if getattr(exc.orig, "sqlstate", None) in _UNSTORABLE_TEXT:
        return _error(
            request,
            400,
            translate(N_("The text contains a character that cannot be stored"), _locale(request)),
        )
    return _on_server_error(request, exc)


def _on_server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # The exception type and route only: request data may hold personal data.
    log.error(
        "unhandled %s on %s %s",
        type(exc).__name__,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, None),
    )
    return _error(request, 500, translate(_GENERIC[500], _locale(request)))


# The PWA: the shell and its service worker are revalidated on every load (so an update is
# noticed); hashed build assets never change under their name.
mimetypes.add_type("application/manifest+json", ".webmanifest")


def _pwa_cache_headers(response: Any) -> Any:
    path = str(getattr(response, "file_path", ""))
    immutable = "/assets/" in path
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if immutable else "no-cache"
    )
    return response


def _store_registry(settings: Settings, sessionmaker: Any) -> StoreRegistry:
    """Shared stores: Redis when configured, else the database; never process memory."""
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        root: Store = RedisStore.with_client(url=settings.redis_url, namespace="linli")
    else:
        root = DatabaseStore(sessionmaker)

    def default_factory(name: str) -> Store:
        return root.with_namespace(name)  # type: ignore[attr-defined,no-any-return]

    return StoreRegistry(default_factory=default_factory)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    register_domains()
    case_inbound.configure(settings.case_sms_grid, settings.case_email_grid)
    vocabulary.configure(
        vocabulary.parse_terms(settings.extra_care_tags, "LINLI_CARE_TAGS"),
        vocabulary.parse_terms(settings.extra_trades, "LINLI_TRADES"),
    )
    engine = make_engine(settings.database_url, echo=settings.log_sql, inline=True)
    sessionmaker = make_sessionmaker(engine)
    jwt_auth = make_jwt_auth(settings)
    locator = make_locator(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        task: asyncio.Task[None] | None = None
        chores: asyncio.Task[None] | None = None
        dispatcher = None
        # The app's SQLite connections never checkpoint on COMMIT (server.db.engine).
        checkpointer = wal_checkpointer_for(settings.database_url)
        checkpoints = (
            asyncio.create_task(checkpointer.run_forever(), name="linli-wal-checkpoints")
            if checkpointer is not None
            else None
        )
        # The official calendar days the operator entered (case deadlines), read now and
        # again every so often: an import reaches every process.
        calendar = await start_calendar(sessionmaker, settings.calendar_refresh_seconds)
        if settings.dispatcher == "inline":
            dispatcher = await make_dispatcher(settings, sessionmaker)
            task = asyncio.create_task(dispatcher.run_forever(), name="linli-outbox-dispatcher")
            chores = asyncio.create_task(
                run_chores_forever(sessionmaker), name="linli-housekeeping"
            )
        try:
            yield
        finally:
            if calendar is not None:
                calendar.cancel()
            if chores is not None:
                chores.cancel()
            if dispatcher is not None and task is not None:
                dispatcher.stop()
                await task
                await dispatcher.close()
            await locator.close()
            if checkpoints is not None:
                checkpoints.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await checkpoints
            await engine.dispose()

    write_lock = write_lock_for(settings.database_url)
    state = State(
        {
            "settings": settings,
            "engine": engine,
            "sessionmaker": sessionmaker,
            "read_only_sessionmaker": make_read_only_sessionmaker(engine),
            "locator": locator,
            "sqlite_write_lock": write_lock,
            "token_issuer": TokenIssuer(
                create=jwt_auth.create_token, lifetime=jwt_auth.default_token_expiration
            ),
        }
    )

    route_handlers: list[Any] = [
        WishController,
        VisitController,
        CaseController,
        DisclosureController,
        BoardController,
        WindowController,
        NotifyController,
        NotifySettingsController,
        SmsReportController,
        SmsReplyController,
        MediaController,
        BusinessController,
        PeopleController,
        TaskController,
        HealthController,
        AuthController,
        AccountController,
        GridController,
        AuditController,
        Open311Controller,
        Open311KeyController,
    ]
    if settings.pwa_dir.is_dir():
        route_handlers.append(
            create_static_files_router(
                after_request=_pwa_cache_headers,
                path="/",
                directories=[settings.pwa_dir],
                html_mode=True,
                name="pwa",
                include_in_schema=False,
                opt=PUBLIC,
            )
        )

    openapi = OpenAPIConfig(
        title="Linli 邻里 API",
        version=__version__,
        description="Community grid management: the three-level grid, accounts and scopes.",
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
                css_url="/vendor/swagger-ui/swagger-ui.css",
                standalone_preset_js_url="/vendor/swagger-ui/swagger-ui-standalone-preset.js",
                favicon="<link rel='icon' href='/vendor/swagger-ui/favicon-32x32.png'>",
            )
        ],  # local assets only, never a CDN
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"BearerToken": []}],
    )

    middleware: list[Any] = []
    if settings.rate_limit_per_minute > 0:
        middleware.append(
            RateLimitConfig(
                rate_limit=("minute", settings.rate_limit_per_minute),
                exclude=["^/(?!api/|open311/).+"],  # Open311 is an API too
                store="rate_limit",
            ).middleware
        )

    # Inside authentication (its middleware comes first), so keys belong to the caller,
    # and inside the rate limit, so replays count too.
    middleware.append(
        IdempotencyMiddleware(
            sessionmaker,
            keep_days=settings.idempotency_days,
            max_body_bytes=settings.max_body_bytes,
            write_lock=write_lock,
        )
    )

    app = Litestar(
        route_handlers=route_handlers,
        on_app_init=[jwt_auth.on_app_init],
        dependencies={"db_session": Provide(provide_db_session), "lang": Provide(provide_locale)},
        exception_handlers={
            AppError: _on_app_error,
            HTTPException: _on_http_error,
            NotAuthorizedException: _on_http_error,
            PermissionDeniedException: _on_http_error,
            NotFoundException: _on_http_error,
            MethodNotAllowedException: _on_http_error,
            ValidationException: _on_http_error,
            RecursionError: _on_recursion,
            DBAPIError: _on_database_error,
            Exception: _on_server_error,
        },
        openapi_config=openapi,
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        middleware=middleware,
        stores=_store_registry(settings, sessionmaker),
        request_max_body_size=settings.max_body_bytes,
        lifespan=[lifespan],
        state=state,
        debug=False,
    )
    document_in_openapi(app.openapi_schema)
    document_formats(app.openapi_schema)
    return app
