"""The web application (``pricing serve``): pages for people, a JSON API for programs.

:func:`create_app` builds a FastAPI app from the settings: the database (which must
be at the current schema), the config (the pricing policy, for overrides and market
position), the web auth (:mod:`pricing.web.auth`) and the network rules
(:mod:`pricing.web.network`) from ``PRICING_WEB_*``. OpenAPI is at ``/openapi.json``;
``/docs`` lists the endpoints without loading Swagger UI from a CDN. Every response
forbids scripts and framing by CSP. docs/security.md says what is protected and how.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.trustedhost import TrustedHostMiddleware

from pricing.config import AppConfig, load_config
from pricing.errors import NotFoundError, PricingError
from pricing.settings import Settings
from pricing.storage import Database
from pricing.web import api, ops, pages
from pricing.web.auth import SESSION_COOKIE, AuthConfig, SessionSigner
from pricing.web.deps import CsrfRejected, LoginRequired, WebState
from pricing.web.network import NetworkConfig, RequestLimits

TEMPLATES = Path(__file__).with_name("templates")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def http_url(value: object) -> str | None:
    """``value`` when it is an http(s) URL, so a scraped ``javascript:`` link is never made."""
    text = str(value or "")
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in ("http", "https") else None


def template_env() -> Environment:
    """Jinja2 with autoescaping for every template and string, whatever its name."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["path"] = lambda value: quote(str(value), safe="")
    env.filters["http_url"] = http_url
    env.filters["money"] = lambda v: "" if v is None else f"{v:,.2f}"
    env.filters["pct"] = lambda v, signed=False: (
        "" if v is None else (f"{v:+.1%}" if signed else f"{v:.1%}")
    )
    env.filters["when"] = lambda v: "" if v is None else v.strftime("%Y-%m-%d %H:%M")
    return env


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _error_page(request: Request, status: int, message: str) -> Response:
    return pages.render(
        request, "error.html.j2", status_code=status, title=f"Error {status}", message=message
    )


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": "authentication required: Authorization: Bearer TOKEN"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        nxt = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={quote(nxt)}", status_code=303)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        return _error_page(
            request,
            403,
            "The form's security token is missing or out of date. Reload the page and try again.",
        )

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return _error_page(request, 404, str(exc))

    @app.exception_handler(PricingError)
    async def _refused(request: Request, exc: PricingError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return _error_page(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
        return _error_page(
            request,
            422,
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
        )


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]


def _install_session(app: FastAPI, auth: AuthConfig, network: NetworkConfig) -> None:
    """The signed cookie (CSRF token, one-line message, the server-side session id) and
    the security headers on every answer."""
    signer = SessionSigner(auth.secret)

    @app.middleware("http")
    async def _session(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        raw = request.cookies.get(SESSION_COOKIE)
        loaded = (signer.loads(raw) if raw else None) or {}
        request.state.session = dict(loaded)
        response = await call_next(request)
        if request.state.session != loaded:
            if request.state.session:
                response.set_cookie(
                    SESSION_COOKIE,
                    signer.dumps(request.state.session),
                    max_age=signer.max_age,
                    httponly=True,
                    samesite="lax",
                    secure=auth.secure_cookies or network.visitor(request).https,
                    path="/",
                )
            else:
                response.delete_cookie(SESSION_COOKIE, path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def create_app(
    settings: Settings,
    *,
    auth: AuthConfig | None = None,
    network: NetworkConfig | None = None,
    config: AppConfig | None = None,
    database: Database | None = None,
    export_dir: Path | None = None,
) -> FastAPI:
    """The web application for ``settings``' database and config folder.

    ``auth`` and ``network`` default to their ``from_env``; tests pass their own. ERP price
    lists exported from the web are also kept in ``export_dir`` (default
    ``var/exports``, as ``pricing export``). Raises
    :class:`~pricing.errors.PricingError` (bad config, schema not current) up front.
    """
    config = config or load_config(settings.config_dir)
    auth = auth or AuthConfig.from_env(settings)
    network = network or NetworkConfig.from_env()
    db = database or Database(settings.database_url)
    db.require_schema()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if database is None:
            db.dispose()

    app = FastAPI(
        title="Pricing monitor",
        version="1",
        description="Suggestion runs, review decisions, price history and market position. "
        "Reading is open to requests straight from localhost (by default), otherwise it "
        "needs a token too; POST needs `Authorization: Bearer TOKEN`.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.web = WebState(
        settings,
        config,
        db,
        auth,
        Jinja2Templates(env=template_env()),
        export_dir or Path("var/exports"),
        network,
    )
    _install_handlers(app)
    # the last added runs first: the Host check, the session, then the limits (inside
    # the session middleware, whose task group would wrap the limit's 413 otherwise)
    app.add_middleware(RequestLimits, max_body=network.max_body)
    _install_session(app, auth, network)
    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=list(network.host_patterns), www_redirect=False
    )
    app.include_router(ops.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
