"""Delivering, after commit: claim what is due, call its channel, write the outcome back.

- at least once: a worker that dies leaves its lease to run out, and the delivery is made again,
  under the same idempotency key, so that receivers can drop the duplicate;
- never twice at once: claiming is ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL and runs
  under SQLite's write lock there, so two workers never hold the same delivery. A claimed
  delivery is "sending" under a lease with a token of its own. A worker claims one delivery at a
  time, and renews its lease while the channel is at work (every third of
  ``NOTIFY_LEASE_SECONDS``), so that a slow partner never lets the lease run out under a live
  worker; only a worker that died stops renewing, and its delivery is taken over. A worker
  writes its outcome only while the lease is still its own;
- failures are retried with a doubling delay, and given up ("failed") after a limit; a person can
  send a failed or waiting delivery on its way again (:func:`retry`), not one being sent.

``plugins`` is the application's plugin host: the channels are its plugins implementing
``kokoma_notify_partners``.
"""
import logging
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..database import db, utcnow, write_transaction
from ..models import Case, Delivery
from ..services import pseudonyms
from .message import partner_names

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryInfo:
    """What a channel knows about the delivery it makes (passed as ``delivery`` to the hook)."""

    idempotency_key: str
    attempt: int
    base_url: str


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds, and the token of its lease."""

    id: int
    token: str


def deliver_due(plugins) -> int:
    """Claim and deliver what is due, one at a time until nothing is left; returns the attempts."""
    attempted = 0
    while claimed := claim_due(1):
        with _lease_kept(claimed[0]):
            deliver_claimed(plugins, claimed[0])
        attempted += 1
    return attempted


def _held(claimed: Claimed):
    """The condition that the delivery is still under this worker's lease."""
    return (Delivery.id == claimed.id) & (Delivery.status == "sending") & (Delivery.lease_token == claimed.token)


@contextmanager
def _lease_kept(claimed: Claimed):
    """While the block runs, a thread renews the lease on the claimed delivery every third of the
    lease; it stops, and is waited for, before the outcome is written."""
    app = current_app._get_current_object()
    lease = timedelta(seconds=app.config["NOTIFY_LEASE_SECONDS"])
    done = threading.Event()

    def renew():
        with app.app_context():
            try:
                while not done.wait(lease.total_seconds() / 3):
                    with write_transaction() as session:
                        session.execute(
                            update(Delivery).where(_held(claimed))
                            .values(next_attempt_at=utcnow() + lease).execution_options(synchronize_session=False)
                        )
            except Exception:  # noqa: BLE001 - the delivery goes on; at worst the lease runs out
                log.exception("renewing the lease on delivery %s failed", claimed.id)
            finally:
                db.session.remove()

    keeper = threading.Thread(target=renew, name=f"kokoma-lease-{claimed.id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()


def claim_due(limit: int) -> list[Claimed]:
    """Take a lease on up to ``limit`` due deliveries (waiting ones, and those whose worker's
    lease ran out); nobody else delivers them meanwhile."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["NOTIFY_LEASE_SECONDS"])
    token = secrets.token_hex(16)
    with write_transaction() as session:
        ids = session.scalars(
            select(Delivery.id)
            .where(Delivery.status.in_(("pending", "sending")), Delivery.next_attempt_at <= now)
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if ids:
            session.execute(
                update(Delivery).where(Delivery.id.in_(ids))
                .values(status="sending", lease_token=token, next_attempt_at=now + lease)
                .execution_options(synchronize_session=False)
            )
    return [Claimed(delivery_id, token) for delivery_id in ids]


def deliver_claimed(plugins, claimed: Claimed) -> None:
    delivery_id = claimed.id
    delivery = db.session.scalars(
        select(Delivery)
        .options(joinedload(Delivery.partner), joinedload(Delivery.event))
        .where(Delivery.id == delivery_id)
        .execution_options(populate_existing=True)
    ).one()
    case = db.session.scalars(
        select(Case).options(joinedload(Case.municipality)).where(Case.id == delivery.case_id)
    ).one()
    names = partner_names(case)  # how the partner reads the case's persons (services.pseudonyms)
    db.session.commit()  # no transaction stays open while a channel talks to the outside world
    info = DeliveryInfo(delivery.idempotency_key, delivery.attempts + 1, current_app.config["BASE_URL"])
    try:
        plugin = plugins.channel_plugin(delivery.channel)
        if not plugins.is_enabled(plugin, case.municipality_id):
            _settle(claimed, skipped=True)  # switched off for the municipality since it was queued
            return
        with pseudonyms.shown_with(names):  # what the channel's templates show
            outcome = plugins.call_one(
                "kokoma_notify_partners", plugin,
                case=case, event=delivery.event, partners=[delivery.partner], delivery=info,
            )
    except Exception as exc:  # noqa: BLE001 - any failure of a channel means "retry later"
        log.warning("delivery %s via %s failed: %s", delivery_id, delivery.channel, exc)
        _settle(claimed, error=f"{type(exc).__name__}: {exc}")
    else:
        _settle(claimed, skipped=outcome is False)


def _settle(claimed: Claimed, *, error: str = "", skipped: bool = False) -> None:
    """Write the attempt's outcome, unless the lease ran out and another worker took over."""
    config = current_app.config
    with write_transaction() as session:
        delivery = session.scalars(
            select(Delivery).where(_held(claimed)).with_for_update().execution_options(populate_existing=True)
        ).one_or_none()
        if delivery is None:
            log.warning("delivery %s was taken over by another worker; this attempt's outcome is dropped", claimed.id)
            return
        delivery.attempts += 1
        delivery.last_error = error
        delivery.lease_token = None
        if not error:
            delivery.status = "skipped" if skipped else "sent"
            delivery.sent_at = utcnow()
        elif delivery.attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
            delivery.status = "failed"
        else:
            delay = config["NOTIFY_RETRY_BASE_SECONDS"] * 2 ** (delivery.attempts - 1)
            delivery.status = "pending"
            delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)


def retry(delivery: Delivery) -> bool:
    """Make a failed (or waiting) delivery due now, in the caller's transaction; False if it
    was delivered or skipped already, or is being sent. The caller wakes the worker."""
    if delivery.status not in ("failed", "pending"):
        return False
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    return True
