"""Open311 GeoReport v2 under ``/open311/v2/`` (public; POST needs an ``api_key``), and the
system administrators' keys under ``/api/v1/open311-keys``.

Every GeoReport path ends in ``.json`` or ``.xml`` and is answered in that format, errors
included (``[{"code": 400, "description": …}]`` / ``<errors><error>…``). Paths with an id
(``services/{code}.json``) take the id and its format as one segment.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.accounts.models import Role
from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC, PUBLIC_READ
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import AppError, NotFound, error_responses
from server.lib.guards import requires_role
from server.lib.i18n import N_, negotiate, normalise, translate
from server.open311.formats import render
from server.open311.schemas import (
    Created,
    Discovery,
    Endpoint,
    Error,
    KeyIn,
    KeyIssued,
    KeyView,
    Service,
    ServiceDefinition,
    ServiceRequest,
    TokenAnswer,
)
from server.open311.services import KeyService, Open311Service, error_of

__all__ = ["Open311Controller", "Open311KeyController", "document_formats"]

Req = Request[Any, Any, Any]
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-03T00:00:00+08:00"
# One segment: an id and its format, ``stair_light.json``, ``2026-000123.xml``.
IdAndFormat = Annotated[str, PathParameter(max_length=80, description="The id, then .json or .xml")]
Text = Annotated[str | None, QueryParameter(max_length=2000)]
_ERRORS = {
    code: ResponseSpec(
        data_container=list[Error],
        description=f"{code}: the specification's error list (XML: <errors><error>)",
        generate_examples=False,
    )
    for code in (400, 403, 404)
}


def _as_xml(request: Req) -> bool:
    return request.url.path.endswith(".xml")


def _locale(request: Req, asked: str | None = None) -> str:
    """``locale`` of a POSTed form, else of the query (zh_Hans, zh-TW, en …), else
    Accept-Language, else zh_Hans. Kept on the request for its error answer."""
    chosen = request.scope.get("state", {}).get("open311_locale")
    if chosen is not None and asked is None:
        return str(chosen)
    asked = asked or request.query_params.get("locale")
    chosen = negotiate(request.headers.get("accept-language"), normalise(asked) if asked else None)
    request.scope.setdefault("state", {})["open311_locale"] = chosen
    return chosen


def _answer(request: Req, content: Any, xml_root: str, status: int = 200) -> Response[Any]:
    body, media_type = render(content, xml_root, as_xml=_as_xml(request))
    return Response(content=body, media_type=media_type, status_code=status)


def _on_error(request: Req, exc: Exception) -> Response[Any]:
    status, description = error_of(exc, _locale(request))
    if status >= 500:
        from server.app import log  # the app's logger: the type and route only

        log.error(
            "unhandled %s on %s %s",
            type(exc).__name__,
            request.method,
            request.url.path,
            exc_info=(type(exc), exc, None),
        )
    return _answer(request, [Error(code=status, description=description)], "errors", status)


def _split(value: str) -> str:
    """The id of ``<id>.json`` / ``<id>.xml``; 404 for any other ending."""
    for suffix in (".json", ".xml"):
        if value.endswith(suffix) and len(value) > len(suffix):
            return value[: -len(suffix)]
    raise NotFound(N_("Not found"))


async def _params(request: Req) -> dict[str, str]:
    """The request's parameters: the query's, then the body's (form-encoded as the
    specification has it, or multipart, or a JSON object), the body's winning."""
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        try:
            body = await request.json()
        except SerializationException:
            raise HTTPException(status_code=400, detail="the body is not JSON") from None
        if not isinstance(body, dict):
            raise HTTPException(status_code=400, detail="the JSON body is not an object")
        for key, value in body.items():
            if key == "attribute" and isinstance(value, dict):
                params |= {f"attribute[{k}]": str(v) for k, v in value.items()}
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                params[key] = str(value)
    else:
        form = await request.form()
        params |= {k: v for k, v in form.items() if isinstance(v, str)}
    return params


class Open311Controller(Controller):
    path = "/open311/v2"
    tags = ["open311"]
    security = NO_AUTH
    # Every kind the app answers in its own format, answered here in the specification's.
    exception_handlers = {
        kind: _on_error
        for kind in (
            AppError,
            HTTPException,
            NotAuthorizedException,
            PermissionDeniedException,
            NotFoundException,
            MethodNotAllowedException,
            ValidationException,
            RecursionError,
            Exception,
        )
    }

    @get(
        ["/discovery.json", "/discovery.xml"],
        opt=PUBLIC_READ,
        summary="Open311 discovery: where the GeoReport v2 endpoint is and its formats",
    )
    async def discovery(self, request: Req) -> Response[Discovery]:
        locale = _locale(request)
        base = str(request.base_url).rstrip("/")
        return _answer(
            request,
            Discovery(
                changeset=CHANGESET,
                contact=translate(N_("The city's system administrators"), locale),
                key_service=translate(
                    N_("A system administrator issues api_keys (Linli: Open311 keys)"), locale
                ),
                endpoints=[
                    Endpoint(
                        specification=SPECIFICATION,
                        url=f"{base}/open311/v2",
                        changeset=CHANGESET,
                        type="production",
                        formats=["application/json", "text/xml"],
                    )
                ],
            ),
            "discovery",
        )

    @get(
        ["/services.json", "/services.xml"],
        opt=PUBLIC_READ,
        summary="Open311 service list: the catalogue's active items",
        responses=_ERRORS,
    )
    async def services(self, request: Req, db_session: DbSession) -> Response[list[Service]]:
        found = await Open311Service(db_session, _locale(request)).services()
        return _answer(request, found, "services")

    @get(
        "/services/{code:str}",
        opt=PUBLIC_READ,
        summary="Open311 service definition: the item's extra fields as attributes",
        responses=_ERRORS,
    )
    async def definition(
        self, request: Req, code: IdAndFormat, db_session: DbSession
    ) -> Response[ServiceDefinition]:
        found = await Open311Service(db_session, _locale(request)).definition(_split(code))
        return _answer(request, found, "service_definition")

    @post(
        ["/requests.json", "/requests.xml"],
        opt=PUBLIC,
        status_code=200,
        summary="Open311: post a service request (form-encoded, with an api_key); a case",
        responses=_ERRORS,
    )
    async def create(self, request: Req, db_session: DbSession) -> Response[list[Created]]:
        params = await _params(request)
        locale = _locale(request, params.get("locale"))
        created = await Open311Service(db_session, locale).create(params)
        return _answer(request, created, "service_requests")

    @get(
        ["/requests.json", "/requests.xml"],
        opt=PUBLIC_READ,
        summary="Open311: requests, newest first (default the last 90 days, at most 1000)",
        responses=_ERRORS,
    )
    async def requests(
        self,
        request: Req,
        db_session: DbSession,
        service_request_id: Text = None,
        service_code: Text = None,
        start_date: Annotated[str | None, QueryParameter(max_length=40)] = None,
        end_date: Annotated[str | None, QueryParameter(max_length=40)] = None,
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Response[list[ServiceRequest]]:
        found = await Open311Service(db_session, _locale(request)).requests(
            ids=service_request_id,
            service_code=service_code,
            start_date=start_date,
            end_date=end_date,
            status=status,
        )
        return _answer(request, found, "service_requests")

    @get(
        "/requests/{number:str}",
        opt=PUBLIC_READ,
        summary="Open311: one request by its id (the case number)",
        responses=_ERRORS,
    )
    async def request_by_id(
        self, request: Req, number: IdAndFormat, db_session: DbSession
    ) -> Response[list[ServiceRequest]]:
        found = await Open311Service(db_session, _locale(request)).request(_split(number))
        return _answer(request, found, "service_requests")

    @get(
        "/tokens/{token:str}",
        opt=PUBLIC_READ,
        summary="Open311: the request of a token (requests are taken in at once: the id)",
        responses=_ERRORS,
    )
    async def token(
        self, request: Req, token: IdAndFormat, db_session: DbSession
    ) -> Response[list[TokenAnswer]]:
        found = await Open311Service(db_session, _locale(request)).token(_split(token))
        return _answer(request, found, "service_requests")


AdminReq = Request[CurrentUser, Any, Any]
KeyId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


class Open311KeyController(Controller):
    path = "/api/v1/open311-keys"
    tags = ["open311"]
    guards = [requires_role(Role.system_admin)]

    @get(summary="Open311 api_keys (system administrators)", responses=error_responses(401, 403))
    async def keys(self, db_session: DbSession, lang: Locale) -> list[KeyView]:
        return await KeyService(db_session, lang).keys()

    @post(
        status_code=201,
        summary="Issue an Open311 api_key: shown this once, only its hash is kept (audited)",
        responses=error_responses(400, 401, 403),
    )
    async def issue(
        self, request: AdminReq, data: JSONBody[KeyIn], db_session: DbSession, lang: Locale
    ) -> KeyIssued:
        return await KeyService(db_session, lang).issue(request.user, data, client_ip(request))

    @post(
        "/{key_id:int}/revoke",
        status_code=200,
        summary="Revoke an Open311 api_key at once (audited)",
        responses=error_responses(401, 403, 404),
    )
    async def revoke(
        self, request: AdminReq, key_id: KeyId, db_session: DbSession, lang: Locale
    ) -> KeyView:
        return await KeyService(db_session, lang).revoke(request.user, key_id, client_ip(request))


_FORM_FIELDS = (
    ("api_key", "The key a system administrator issued (required)"),
    ("service_code", "The service's code (required)"),
    ("lat", "Latitude (WGS 84); with long (or lon)"),
    ("long", "Longitude (WGS 84)"),
    ("lon", "Longitude, as some clients spell it"),
    ("address_string", "Without lat/long: the address of a building of the city"),
    ("email", "The reporter's e-mail address, to hear back (never published)"),
    ("phone", "The reporter's phone number, to hear back by SMS (never published)"),
    ("first_name", "Accepted and not kept"),
    ("last_name", "Accepted and not kept"),
    ("description", "What is wrong (up to 4000 characters; published masked)"),
    ("media_url", "A photo's http(s) address, kept as given and never fetched"),
)


def document_formats(openapi: Any) -> None:
    """Make the app's OpenAPI document tell the truth about GeoReport v2: ``.xml`` paths
    answer ``text/xml``, ``{id}`` paths either format (by the id's ending), and POST
    takes a url-encoded form (``attribute[code]=value`` for the item's fields)."""
    from litestar.openapi.spec import OpenAPIMediaType, RequestBody, Schema
    from litestar.openapi.spec.enums import OpenAPIType

    for path, item in (openapi.paths or {}).items():
        if not path.startswith("/open311/v2/"):
            continue
        for operation in (item.get, item.post):
            if operation is None:
                continue
            for response in (operation.responses or {}).values():
                content = getattr(response, "content", None)
                if not content or "application/json" not in content:
                    continue
                media = content["application/json"]
                if path.endswith(".xml"):
                    response.content = {"text/xml": media}
                elif path.endswith("}"):
                    response.content = {"application/json": media, "text/xml": media}
        if item.post is not None:
            form = Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    name: Schema(type=OpenAPIType.STRING, description=text)
                    for name, text in _FORM_FIELDS
                },
                required=["api_key", "service_code"],
            )
            item.post.request_body = RequestBody(
                content={"application/x-www-form-urlencoded": OpenAPIMediaType(schema=form)},
                required=True,
            )
