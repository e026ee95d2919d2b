"""The daily digest: each morning, one e-mail per person of what is due for them, through an
outbox row (:class:`~kokoma.models.DigestMail`) and the e-mail channel's SMTP settings.

Run by the same worker rounds as partner deliveries (the background thread of each process, or
``flask --app kokoma worker``): no other process or cron entry. At most one mail per person and
day, also with several workers: the row for (person, day) is unique, and a row is claimed with a
lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's write lock) before it is sent. Nothing
is sent when nothing is due, nor to a person who switched the digest off.
"""
import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from ..database import db, utcnow, write_transaction
from ..defaults.email import connect
from ..models import DigestMail, User
from ..notifications import deliver_due
from . import permissions, pseudonyms
from .todo import day_work

log = logging.getLogger(__name__)


def local_now(now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def send_digests(now: datetime | None = None) -> int:
    """One round: make today's rows (after DIGEST_HOUR, local time), then send what is due;
    returns the mails sent."""
    now = now or utcnow()
    config = current_app.config
    if not config["DIGEST_ENABLED"] or local_now(now).hour < config["DIGEST_HOUR"]:
        return 0
    today = local_now(now).date()
    _make_rows(today, now, tuple(permissions.PERMISSIONS["tasks.view"]))
    sent = 0
    while (row_id := _claim(now)) is not None:
        try:
            sent += _send(row_id, now)
        except Exception as exc:  # noqa: BLE001 - one person's mail never stops the others'
            db.session.rollback()
            log.exception("digest %s could not be made", row_id)
            _settle(row_id, now, error=f"{type(exc).__name__}: {exc}")
    return sent


def _make_rows(today, now, roles) -> None:
    """A pending row for each person who wants the digest and has none for today (one INSERT)."""
    waiting = select(User.id, literal(today), literal("pending"), literal(0), literal(0), literal(now), literal(""),
                     literal(now)).where(
        User.active.is_(True), User.digest_enabled.is_(True), User.role.in_(roles), User.email != "",
        ~exists().where(DigestMail.user_id == User.id, DigestMail.day == today),
    )
    if db.session.scalar(select(exists(waiting))) is False:
        db.session.commit()
        return
    try:
        with write_transaction() as session:
            session.execute(insert(DigestMail).from_select(
                ["user_id", "day", "status", "items", "attempts", "next_attempt_at", "last_error", "created_at"],
                waiting,
            ))
    except IntegrityError:
        pass  # another worker made them at the same moment


def _claim(now) -> int | None:
    lease = timedelta(seconds=current_app.config["NOTIFY_LEASE_SECONDS"])
    with write_transaction() as session:
        row_id = session.scalar(
            select(DigestMail.id).where(DigestMail.status == "pending", DigestMail.next_attempt_at <= now)
            .order_by(DigestMail.id).limit(1).with_for_update(skip_locked=True)
        )
        if row_id is not None:
            session.execute(update(DigestMail).where(DigestMail.id == row_id).values(next_attempt_at=now + lease)
                            .execution_options(synchronize_session=False))
    return row_id


def _send(row_id: int, now) -> int:
    config = current_app.config
    row = db.session.get(DigestMail, row_id, populate_existing=True)
    user = db.session.get(User, row.user_id) if row is not None else None
    if user is None:
        return 0  # removed meanwhile
    if not (user.active and user.digest_enabled):
        return _settle(row_id, now, status="skipped", error="digest switched off")
    if not permissions.can(user, "tasks.view"):
        return _settle(row_id, now, status="skipped", error="no day's work in this role")
    work = day_work(user, now)
    db.session.commit()
    if work.empty:
        return _settle(row_id, now, status="skipped", error="nothing due")
    if not config["MAIL_SERVER"]:
        return _settle(row_id, now, status="skipped", error="no mail server configured")
    try:
        with connect(config) as smtp:
            smtp.send_message(_message(user, work, row, config))
    except Exception as exc:  # noqa: BLE001 - an unreachable mail server means "retry later"
        log.warning("digest %s for user %s failed: %s", row_id, user.id, exc)
        return _settle(row_id, now, error=f"{type(exc).__name__}: {exc}")
    return _settle(row_id, now, status="sent", items=work.due + len(work.week_measures) + len(work.new_reviews))


def _settle(row_id: int, now, *, status: str | None = None, error: str = "", items: int = 0) -> int:
    """Record an attempt; a failed one is tried again after a doubling wait counted from ``now``,
    the round's moment, so that a round tries each mail once."""
    config = current_app.config
    with write_transaction() as session:
        row = session.get(DigestMail, row_id, with_for_update=True, populate_existing=True)
        if row is None:
            return 0
        row.attempts += 1
        row.last_error = error
        row.items = items
        if status is not None:
            row.status = status
            row.sent_at = utcnow() if status == "sent" else None
        elif row.attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
            row.status = "failed"
        else:
            row.next_attempt_at = now + timedelta(seconds=config["NOTIFY_RETRY_BASE_SECONDS"] * 2 ** (row.attempts - 1))
    return 1 if status == "sent" else 0


def _message(user, work, row, config) -> EmailMessage:
    base_url = config["BASE_URL"].rstrip("/")
    with force_locale(user.locale or config["BABEL_DEFAULT_LOCALE"]), pseudonyms.shown_with(
            pseudonyms.for_cases(user, {row[0].case_id for row in work.rows()})):
        body = render_template("mail/digest.txt", user=user, work=work, tasks_url=f"{base_url}/tasks/",
                               settings_url=f"{base_url}/tasks/settings")
        subject = _("[KoKoMa] What is due today (%(count)s)", count=work.due)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_SENDER"]
    message["To"] = user.email
    message["Date"] = format_datetime(utcnow())
    domain = config["MAIL_SENDER"].rpartition("@")[2].strip(" >") or "kokoma"
    message["Message-ID"] = f"<digest.{row.user_id}.{row.day.isoformat()}@{domain}>"
    message.set_content(body)
    return message


def worker_round(plugins) -> int:
    """What the worker does each round: partner deliveries, then the daily digests."""
    attempted = deliver_due(plugins)
    try:
        attempted += send_digests()
    finally:
        db.session.remove()
    return attempted
