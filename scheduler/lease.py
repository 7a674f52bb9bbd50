"""Leader election: a lease row with an expiry, renewed by the leader's heartbeat.

Only the daemon holding the lease runs the scheduler; any other daemon on the same
database waits as a standby and takes the lease once it has expired (its holder died
or lost the database). Taking and renewing are single conditional UPDATEs, atomic on
SQLite (one writer at a time) and on PostgreSQL (the row lock makes a concurrent
UPDATE re-check its WHERE clause), so two daemons can never both succeed.

The expiry is computed on each daemon's own clock: hosts must keep their clocks in
sync (NTP) to well within the lease duration.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from pricing.storage import Database
from pricing.storage.models import DaemonLease, utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"


def new_holder_id() -> str:
    """``host:pid:random``: unique per daemon process, readable in ``pricing status``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class LeaseInfo:
    """A snapshot of the lease row, for status displays."""

    holder: str | None
    term: int
    acquired_at: dt.datetime | None
    renewed_at: dt.datetime | None
    expires_at: dt.datetime

    def active(self, now: dt.datetime | None = None) -> bool:
        return self.holder is not None and self.expires_at > (now or utcnow())


class Lease:
    """The scheduler lease as seen by one daemon (``holder``)."""

    def __init__(
        self,
        db: Database,
        holder: str,
        duration: float,
        *,
        name: str = LEASE_NAME,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        if duration <= 0:
            raise ValueError("lease duration must be positive")
        self.db = db
        self.holder = holder
        self.duration = dt.timedelta(seconds=duration)
        self.name = name
        self.clock = clock
        self.term: int | None = None
        # until when we may act without a successful renewal (our own clock)
        self.valid_until: dt.datetime | None = None

    @property
    def held(self) -> bool:
        return (
            self.term is not None
            and self.valid_until is not None
            and self.clock() < self.valid_until
        )

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it or it has expired; True when we hold it."""
        now = self.clock()
        expires = now + self.duration
        with self.db.session() as session:
            result = session.execute(
                update(DaemonLease)
                .where(
                    DaemonLease.name == self.name,
                    (DaemonLease.holder.is_(None))
                    | (DaemonLease.expires_at < now)
                    | (DaemonLease.holder == self.holder),
                )
                .values(
                    holder=self.holder,
                    term=DaemonLease.term + 1,
                    acquired_at=now,
                    renewed_at=now,
                    expires_at=expires,
                )
                .execution_options(synchronize_session=False)
            )
            taken = result.rowcount == 1  # type: ignore[attr-defined]
            term = session.scalar(select(DaemonLease.term).where(DaemonLease.name == self.name))
        if term is None:  # no row yet: the first daemon ever on this database
            taken, term = self._create(now, expires), 1
        if taken:
            self.term, self.valid_until = term, expires
        return taken

    def _create(self, now: dt.datetime, expires: dt.datetime) -> bool:
        """First daemon ever on this database: insert the row (a racing twin loses)."""
        try:
            with self.db.session() as session:
                session.add(
                    DaemonLease(
                        name=self.name,
                        holder=self.holder,
                        term=1,
                        acquired_at=now,
                        renewed_at=now,
                        expires_at=expires,
                    )
                )
        except IntegrityError:
            return False
        return True

    def renew(self) -> bool:
        """Extend our lease; False once it is no longer ours (taken over, or expired
        while the database could not be reached). Database errors are logged and count
        as a missed heartbeat, not a loss, until our own expiry passes."""
        if self.term is None:
            return False
        now = self.clock()
        expires = now + self.duration
        try:
            with self.db.session() as session:
                result = session.execute(
                    update(DaemonLease)
                    .where(
                        DaemonLease.name == self.name,
                        DaemonLease.holder == self.holder,
                        DaemonLease.term == self.term,
                    )
                    .values(renewed_at=now, expires_at=expires)
                    .execution_options(synchronize_session=False)
                )
                renewed = result.rowcount == 1  # type: ignore[attr-defined]
        except Exception as exc:  # the database is down or busy: try again next beat
            log.warning("lease heartbeat failed: %s", exc)
            return self.held
        if renewed:
            self.valid_until = expires
        else:
            self.term = self.valid_until = None
        return renewed

    def release(self) -> None:
        """Give the lease up at once, so a standby need not wait for it to expire."""
        if self.term is None:
            return
        now = self.clock()
        try:
            with self.db.session() as session:
                session.execute(
                    update(DaemonLease)
                    .where(DaemonLease.name == self.name, DaemonLease.holder == self.holder)
                    .values(holder=None, renewed_at=now, expires_at=now)
                    .execution_options(synchronize_session=False)
                )
        except Exception as exc:
            log.warning("could not release the lease (it will expire on its own): %s", exc)
        self.term = self.valid_until = None


def lease_info(db: Database, name: str = LEASE_NAME) -> LeaseInfo | None:
    """The lease row, or None when no daemon has ever run on this database."""
    with db.session() as session:
        row = session.get(DaemonLease, name)
        if row is None:
            return None
        return LeaseInfo(row.holder, row.term, row.acquired_at, row.renewed_at, row.expires_at)
