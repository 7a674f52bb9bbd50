"""Who may read and who may change data in the web application, and how they prove it.

Reading (GET) is open to requests that come straight from the loopback interface (not
through a proxy, see :mod:`pricing.web.network`); anyone else must log in or send a
token. ``PRICING_WEB_READ=open`` opens reading to every address and
``PRICING_WEB_READ=login`` closes it on localhost too.

Anything that changes data needs one of:

* **a login** (the pages): a user from the users file, ``PRICING_WEB_USERS`` or by
  default ``<config dir>/web_users.txt``, one ``name:scrypt$n$r$p$salt$hash`` line
  per user (``pricing web-user NAME`` writes them; ``#`` starts a comment). The file is
  read again when it changes, so a new password works at once. Logging in starts a
  server-side session (:mod:`pricing.web.sessions`): a row in the database, named by a
  random id inside a cookie signed with HMAC-SHA256 under ``PRICING_WEB_SECRET``
  (random per process when unset). Logging out, changing the password and 12 hours
  end the session, whoever holds a copy of the cookie. The cookie is HttpOnly,
  SameSite=Lax, and Secure over https. Every form carries the session's CSRF token,
  checked on each POST; logging in issues a fresh one.
* **an API token** (the JSON API): ``Authorization: Bearer TOKEN``, tokens from
  ``PRICING_WEB_TOKENS`` as comma-separated ``name:token`` pairs. The API takes no
  cookies for writes, so it needs no CSRF token.

Failed logins are throttled (:class:`LoginThrottle`): 5 per user name and 10 per client
address in 15 minutes, then 429 with ``Retry-After``. An unknown user name costs the
same scrypt check as a wrong password.

The reviewer recorded on a decision is the logged-in user's or the token's name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import math
import os
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pricing.errors import PricingError
from pricing.settings import Settings

log = logging.getLogger(__name__)

USERS_FILE = "web_users.txt"
SESSION_COOKIE = "pricing_session"
SESSION_MAX_AGE = 12 * 3600
USER_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
# scrypt cost: 16 MiB and ~50 ms per check, the interactive-login figures of RFC 7914
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1

ReadAccess = Literal["localhost", "open", "login"]
# failed logins allowed in THROTTLE_WINDOW seconds, per user name and per client address
USER_FAILURES, ADDRESS_FAILURES, THROTTLE_WINDOW = 5, 10, 15 * 60


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


@cache
def _dummy_hash() -> str:
    """A hash no password matches, checked for unknown names so they cost the same."""
    return hash_password(secrets.token_urlsafe(16))


def password_tag(stored: str) -> str:
    """A fingerprint of a stored password hash: it changes with the password (new salt),
    which is how a session learns that the password it was opened with is gone."""
    return hashlib.sha256(stored.encode("utf-8")).hexdigest()


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


class UsersFile(Mapping[str, str]):
    """The users file as ``name -> password hash``, read again whenever it changes.

    A file that turns invalid while the server runs lets nobody in (and says why in
    the log) until it is fixed; at start-up it is an error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, str] = read_users(path)
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def _current(self) -> dict[str, str]:
        stamp = self._stat()
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._users = read_users(self.path)
                except (AuthConfigError, OSError, UnicodeError) as exc:
                    log.error("web users file unusable, nobody can log in: %s", exc)
                    self._users = {}
                self._stamp = stamp
            return self._users

    def __getitem__(self, name: str) -> str:
        return self._current()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._current()))

    def __len__(self) -> int:
        return len(self._current())


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
    """Users, API tokens, the session signing key, who may read, the login throttle.

    ``secure_cookies`` forces the cookie's Secure flag; it is also set on every request
    that came over https (directly, or through a trusted proxy that says so)."""

    users: Mapping[str, str] = field(default_factory=dict)
    tokens: Mapping[str, str] = field(default_factory=dict)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    read: ReadAccess = "localhost"
    secure_cookies: bool = False
    throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle(), compare=False)

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
            users=UsersFile(users_path),
            tokens=parse_tokens(env.get("PRICING_WEB_TOKENS", "")),
            secret=secret.encode("utf-8") if secret else secrets.token_bytes(32),
            read=read,  # type: ignore[arg-type]
            secure_cookies=env.get("PRICING_WEB_SECURE_COOKIES") == "1",
        )

    def check_password(self, name: str, password: str) -> bool:
        """One scrypt check whether or not ``name`` exists, so timing tells nothing."""
        stored = self.users.get(name)
        matched = verify_password(password, stored or _dummy_hash())
        return matched and stored is not None

    def password_tag(self, name: str) -> str | None:
        """:func:`password_tag` of the user's current password; None for no such user."""
        stored = self.users.get(name)
        return password_tag(stored) if stored is not None else None

    def token_user(self, token: str) -> str | None:
        """The name behind a bearer token, compared in constant time."""
        found = None
        for known, name in self.tokens.items():
            if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
                found = name
        return found


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
            expected = self._sign(payload.encode("ascii")).encode("ascii")
            if not hmac.compare_digest(expected, signature.encode("utf-8")):
                return None
            data = json.loads(_unb64(payload))
        except (UnicodeError, ValueError, binascii.Error):
            return None
        if not isinstance(data, dict) or time.time() - data.pop("iat", 0) > self.max_age:
            return None
        return data


# --- login throttle -----------------------------------------------------------------


class LoginThrottle:
    """Counts failed logins per user name and per client address in a sliding window.

    In memory, per process (``pricing serve`` is one process): a restart forgets the
    count, which only an operator can cause."""

    def __init__(
        self,
        per_user: int = USER_FAILURES,
        per_address: int = ADDRESS_FAILURES,
        window: float = THROTTLE_WINDOW,
        clock: Any = time.monotonic,
    ) -> None:
        self.limits = {"user": per_user, "address": per_address}
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _keys(self, user: str, address: str) -> list[tuple[str, str]]:
        return [("user", user.casefold()[:128]), ("address", address)]

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, user: str, address: str) -> int | None:
        """Seconds until this user name and address may try again; None: now."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(user, address):
                times = self._recent(key, now)
                if len(times) >= self.limits[key[0]]:
                    wait = max(wait, times[-self.limits[key[0]]] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, user: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) > 100_000:  # a flood of names: forget the stale ones
                for key in list(self._failures):
                    self._recent(key, now)
            for key in self._keys(user, address):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, user: str) -> None:
        """A right password clears its user name's count (not the address's)."""
        with self._lock:
            self._failures.pop(("user", user.casefold()[:128]), None)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(session: Mapping[str, Any], submitted: str | None) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode("ascii"), submitted.encode("utf-8", "replace"))
