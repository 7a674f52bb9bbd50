"""What every request handler shares: the app's state, the session, who is asking.

Handlers take these as FastAPI dependencies. Refusals are exceptions that the app
turns into the right answer for pages (a redirect to the login page, a 403 page) and
for the API (a JSON 401 or 403).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates

from pricing.config import AppConfig
from pricing.settings import Settings
from pricing.storage import Database
from pricing.web import sessions
from pricing.web.auth import AuthConfig, csrf_matches, new_csrf_token
from pricing.web.network import NetworkConfig, Visitor

# ids are 32-bit on PostgreSQL; a larger one is a 422, never a database error
MAX_ID = 2**31 - 1
RunId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="a suggestion run id")]


@dataclass(frozen=True)
class WebState:
    """Built once by :func:`pricing.web.app.create_app`; on ``app.state.web``."""

    settings: Settings
    config: AppConfig
    db: Database
    auth: AuthConfig
    templates: Jinja2Templates
    export_dir: Path = Path("var/exports")
    network: NetworkConfig = field(default_factory=NetworkConfig)


@dataclass(frozen=True)
class Principal:
    """Someone allowed to change data: a logged-in user or an API token's owner."""

    name: str
    via: Literal["session", "token"]


class LoginRequired(Exception):
    """No (valid) login or token for something that needs one."""


class CsrfRejected(Exception):
    """A form POST whose CSRF token is missing or not this session's."""


bearer_scheme = HTTPBearer(auto_error=False, description="A token from PRICING_WEB_TOKENS.")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def web_state(request: Request) -> WebState:
    state = request.app.state.web
    assert isinstance(state, WebState)
    return state


State = Annotated[WebState, Depends(web_state)]


def session_of(request: Request) -> dict[str, Any]:
    """The request's session dict (the middleware saves it when it changes)."""
    session = request.state.session
    assert isinstance(session, dict)
    return session


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    session = session_of(request)
    if not isinstance(session.get("csrf"), str):
        session["csrf"] = new_csrf_token()
    token = session["csrf"]
    assert isinstance(token, str)
    return token


def visitor(request: Request) -> Visitor:
    """Who sent the request (address, straight from loopback or not, https or not)."""
    return web_state(request).network.visitor(request)


def session_user(request: Request) -> str | None:
    """The logged-in user: the session id in the cookie must name a live server-side
    session (:mod:`pricing.web.sessions`). Looked up once per request."""
    if hasattr(request.state, "user"):
        user: str | None = request.state.user
        return user
    session_id = session_of(request).get("sid")
    user = None
    if isinstance(session_id, str):
        state = web_state(request)
        user = sessions.session_user(state.db, session_id, state.auth.password_tag)
        if user is None:
            session_of(request).pop("sid", None)
    request.state.user = user
    return user


def token_principal(
    state: WebState, credentials: HTTPAuthorizationCredentials | None
) -> Principal | None:
    if credentials is None or credentials.scheme.lower() != "bearer":
        return None
    name = state.auth.token_user(credentials.credentials)
    return Principal(name, "token") if name else None


def require_reader(request: Request, state: State, credentials: Bearer) -> None:
    """Reading: open to requests straight from loopback (by default), else a login or
    a token. A request through a proxy is not straight from loopback."""
    access = state.auth.read
    if access == "open" or (access == "localhost" and visitor(request).local):
        return
    if session_user(request) is None and token_principal(state, credentials) is None:
        raise LoginRequired()


def require_token(state: State, credentials: Bearer) -> Principal:
    """API writes: a valid bearer token, nothing else."""
    principal = token_principal(state, credentials)
    if principal is None:
        raise LoginRequired()
    return principal


def require_form_user(request: Request, csrf: str | None) -> Principal:
    """Form writes: this session's CSRF token first, then a logged-in user."""
    if not csrf_matches(session_of(request), csrf):
        raise CsrfRejected()
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    return Principal(user, "session")


def flash(request: Request, message: str, kind: Literal["ok", "error"] = "ok") -> None:
    """A one-line message shown on the next page this session opens."""
    session_of(request)["flash"] = [kind, message[:500]]


def pop_flash(request: Request) -> tuple[str, str] | None:
    value = session_of(request).pop("flash", None)
    if isinstance(value, list) and len(value) == 2:
        return str(value[0]), str(value[1])
    return None


def price_list_download(filename: str, rows: int, body: bytes) -> Response:
    """An exported price list as a CSV attachment (the API and the web page alike)."""
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Export-Rows": str(rows),
        },
    )
