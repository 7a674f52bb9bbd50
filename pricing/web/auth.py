"""Who may read and who may change data in the web application, and how they prove it.

Reading (GET) is open to clients on the loopback interface; anyone else must log in
or send a token. ``PRICING_WEB_READ=open`` opens reading to every address and
``PRICING_WEB_READ=login`` closes it on localhost too.

Anything that changes data needs one of:

* **a login** (the pages): a user from the users file, ``PRICING_WEB_USERS`` or by
  default ``<config dir>/web_users.txt``, one ``name:scrypt$n$r$p$salt$hash`` line
  per user (``pricing web-user NAME`` writes them; ``#`` starts a comment). The
  session is a cookie signed with HMAC-SHA256 under ``PRICING_WEB_SECRET`` (random
  per process when unset, so sessions end when the server restarts), HttpOnly,
  SameSite=Lax, valid 12 hours. Every form carries the session's CSRF token, checked
  on each POST; logging in issues a fresh one.
* **an API token** (the JSON API): ``Authorization: Bearer TOKEN``, tokens from
  ``PRICING_WEB_TOKENS`` as comma-separated ``name:token`` pairs. The API takes no
  cookies for writes, so it needs no CSRF token.

The reviewer recorded on a decision is the logged-in user's or the token's name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pricing.errors import PricingError
from pricing.settings import Settings

USERS_FILE = "web_users.txt"
SESSION_COOKIE = "pricing_session"
SESSION_MAX_AGE = 12 * 3600
USER_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
# scrypt cost: 16 MiB and ~50 ms per check, the interactive-login figures of RFC 7914
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1

ReadAccess = Literal["localhost", "open", "login"]


class AuthConfigError(PricingError):
    """The users file or an environment variable for the web application is invalid."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- passwords ----------------------------------------------------------------------


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """An ``scrypt$n$r$p$salt$hash`` string for the users file."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches a :func:`hash_password` string."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=128 * 1024 * 1024,
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


def read_users(path: Path) -> dict[str, str]:
    """``name -> password hash`` from a users file; an absent file means no users."""
    if not path.is_file():
        return {}
    users: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep or not USER_NAME.match(name) or not stored.startswith("scrypt$"):
            raise AuthConfigError(f"{path}: line {number}", "expected name:scrypt$n$r$p$salt$hash")
        users[name] = stored
    return users


def write_user(path: Path, name: str, password: str) -> None:
    """Add ``name`` to the users file, or replace their password; other lines stay."""
    if not USER_NAME.match(name):
        raise AuthConfigError(name, "a user name is 1-64 letters, digits or . _ @ -")
    lines = (
        path.read_text(encoding="utf-8").splitlines()
        if path.is_file()
        else ["# Web application users: name:scrypt hash (written by `pricing web-user NAME`)."]
    )
    entry = f"{name}:{hash_password(password)}"
    kept = [
        ln for ln in lines if ln.strip().partition(":")[0] != name or ln.lstrip().startswith("#")
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*kept, entry]) + "\n", encoding="utf-8")
    path.chmod(0o600)


def parse_tokens(value: str) -> dict[str, str]:
    """``PRICING_WEB_TOKENS``: comma-separated ``name:token`` pairs -> ``token -> name``."""
    tokens: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, sep, token = item.partition(":")
        if not sep or not USER_NAME.match(name) or len(token) < 16:
            raise AuthConfigError(
                "PRICING_WEB_TOKENS", "expected name:token pairs, each token at least 16 characters"
            )
        tokens[token] = name
    return tokens


# --- configuration ------------------------------------------------------------------


@dataclass(frozen=True)
class AuthConfig:
    """Users, API tokens, the session signing key and who may read."""

    users: Mapping[str, str] = field(default_factory=dict)
    tokens: Mapping[str, str] = field(default_factory=dict)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    read: ReadAccess = "localhost"
    secure_cookies: bool = False

    @classmethod
    def from_env(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> AuthConfig:
        """Read the ``PRICING_WEB_*`` variables described in the module docstring."""
        env = os.environ if environ is None else environ
        users_path = Path(env.get("PRICING_WEB_USERS") or settings.config_dir / USERS_FILE)
        read = env.get("PRICING_WEB_READ", "localhost")
        if read not in ("localhost", "open", "login"):
            raise AuthConfigError(
                "PRICING_WEB_READ", f"{read!r}: expected localhost, open or login"
            )
        secret = env.get("PRICING_WEB_SECRET")
        return cls(
            users=read_users(users_path),
            tokens=parse_tokens(env.get("PRICING_WEB_TOKENS", "")),
            secret=secret.encode("utf-8") if secret else secrets.token_bytes(32),
            read=read,  # type: ignore[arg-type]
            secure_cookies=env.get("PRICING_WEB_SECURE_COOKIES") == "1",
        )

    def check_password(self, name: str, password: str) -> bool:
        stored = self.users.get(name)
        if stored is None:
            verify_password(password, hash_password("x"))  # same time for unknown names
            return False
        return verify_password(password, stored)

    def token_user(self, token: str) -> str | None:
        """The name behind a bearer token, compared in constant time."""
        found = None
        for known, name in self.tokens.items():
            if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
                found = name
        return found


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


# --- signed session cookie ----------------------------------------------------------


class SessionSigner:
    """Serializes a small dict into a tamper-proof, expiring cookie value."""

    def __init__(self, secret: bytes, max_age: int = SESSION_MAX_AGE) -> None:
        self._key = hashlib.sha256(b"pricing-web-session\0" + secret).digest()
        self.max_age = max_age

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._key, payload, hashlib.sha256).digest())

    def dumps(self, data: Mapping[str, Any]) -> str:
        body = json.dumps({**data, "iat": int(time.time())}, separators=(",", ":"))
        payload = _b64(body.encode("utf-8"))
        return f"{payload}.{self._sign(payload.encode('ascii'))}"

    def loads(self, value: str) -> dict[str, Any] | None:
        """The data, or None when the value is forged, malformed or expired."""
        payload, _, signature = value.partition(".")
        try:
            if not hmac.compare_digest(self._sign(payload.encode("ascii")), signature):
                return None
            data = json.loads(_unb64(payload))
        except (UnicodeError, ValueError, binascii.Error):
            return None
        if not isinstance(data, dict) or time.time() - data.pop("iat", 0) > self.max_age:
            return None
        return data


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(session: Mapping[str, Any], submitted: str | None) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode("ascii"), submitted.encode("utf-8", "replace"))
