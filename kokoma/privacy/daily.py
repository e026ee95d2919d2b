"""The daily data-protection jobs: the access trail's old entries removed, every municipality's
retention applied and recorded. Run from the worker loop (the background thread of each process,
or ``flask --app kokoma worker``), once a day for the whole instance: the first process to claim
the day in the database (:class:`~kokoma.models.DailyJob`) runs them, the others leave them."""
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import db, utcnow, write_transaction
from ..models import DailyJob, Municipality
from ..services import access_trail, retention

JOB = "privacy"
log = logging.getLogger(__name__)


def run_due(now: datetime | None = None) -> bool:
    """Run today's jobs unless some process has (True: this call ran them)."""
    now = now or utcnow()
    today = now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    if db.session.scalar(select(DailyJob.day).where(DailyJob.name == JOB, DailyJob.day == today)) is not None:
        db.session.rollback()
        return False
    try:
        with write_transaction() as session:
            session.add(DailyJob(name=JOB, day=today, started_at=now))
    except IntegrityError:  # another process claimed the day a moment earlier
        return False
    run_jobs(now)
    return True


def run_jobs(now: datetime | None = None) -> None:
    """The jobs themselves: the trail first, then each municipality's retention (one run record
    each, whatever happened to the others)."""
    now = now or utcnow()
    removed = access_trail.remove_expired(now)
    for municipality_id in db.session.scalars(select(Municipality.id).order_by(Municipality.id)).all():
        try:
            retention.apply(municipality_id, now, trail_removed=removed.get(municipality_id, 0))
        except Exception:  # noqa: BLE001 - one municipality's failure must not stop the others'
            log.exception("retention of municipality %s failed; tried again tomorrow", municipality_id)
