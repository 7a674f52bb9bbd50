"""Server-side login sessions: one ``web_sessions`` row per login.

The browser holds a random session id (inside the signed cookie, see
:mod:`pricing.web.auth`); the database holds its SHA-256, the user, when it expires and
a fingerprint of the password it was opened with. A session counts only while its row
exists, has not expired and the user's password is unchanged, so logging out (the row
is deleted) or a new password ends every copy of the cookie at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from sqlalchemy import delete, select

from pricing.storage import Database
from pricing.storage.models import WebSession, utcnow

SESSION_ID_BYTES = 32


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogateescape")).hexdigest()


def start_session(
    db: Database,
    user: str,
    password_tag: str,
    lifetime: dt.timedelta,
    *,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Record a new session for ``user``; returns the id the browser keeps. Expired
    sessions are cleared on the way."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    with db.session() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        session.add(
            WebSession(
                id=_key(session_id),
                user_name=user,
                password_tag=password_tag,
                created_at=now,
                expires_at=now + lifetime,
                address=address,
            )
        )
    return session_id


def session_user(
    db: Database,
    session_id: str,
    current_tag: Callable[[str], str | None],
    *,
    now: dt.datetime | None = None,
) -> str | None:
    """The user of a live session, or None. ``current_tag(user)`` is the fingerprint of
    the user's password now (None: no such user any more); a mismatch ends the session."""
    now = now or utcnow()
    with db.session() as session:
        row = session.get(WebSession, _key(session_id))
        if row is None:
            return None
        if row.expires_at <= now or current_tag(row.user_name) != row.password_tag:
            session.delete(row)
            return None
        return row.user_name


def end_session(db: Database, session_id: str) -> None:
    """Log out: the session stops counting, for every copy of its cookie."""
    with db.session() as session:
        session.execute(delete(WebSession).where(WebSession.id == _key(session_id)))


def end_user_sessions(db: Database, user: str) -> int:
    """End every session of ``user``; returns how many there were."""
    with db.session() as session:
        ids = list(session.scalars(select(WebSession.id).where(WebSession.user_name == user)))
        session.execute(delete(WebSession).where(WebSession.user_name == user))
    return len(ids)
