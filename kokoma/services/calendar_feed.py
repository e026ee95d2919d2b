"""A person's calendar feed (iCalendar): their planned measures and open follow-ups, behind a
secret address they can renew. It carries references and titles only, never descriptions or
names of parties: a calendar travels to devices and services KoKoMa does not control."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select, update

from ..database import db, utcnow, write_transaction
from ..models import Case, FollowUp, Measure, User
from . import permissions, pseudonyms
from .errors import NotFound

MEASURE_LENGTH = timedelta(hours=1)  # a measure has a start; the calendar shows it as an hour
FEED_ROWS = 500


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def renew_token(user) -> str:
    """A new secret for the person's feed; the old address stops working. Only the hash is kept:
    the address is shown once, when it is made."""
    permissions.require(user, "tasks.view")
    token = secrets.token_urlsafe(32)
    with write_transaction() as session:
        session.execute(update(User).where(User.id == user.id).values(calendar_token_hash=_hash(token)))
    return token


def owner_of(token: str) -> User:
    """The active person whose feed ``token`` opens (NotFound for any other string)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound()
    user = db.session.scalar(select(User).where(User.calendar_token_hash == _hash(token), User.active.is_(True)))
    if user is None or not permissions.can(user, "tasks.view"):
        raise NotFound()
    return user


def feed(user) -> bytes:
    """The iCalendar text of ``user``'s measures (planned and done) and open follow-ups."""
    calendar = Calendar()
    calendar.add("prodid", "-//KoKoMa//Kommunales Konfliktmanagement//DE")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "KoKoMa")
    host = current_app.config["BASE_URL"].split("//", 1)[-1].split("/", 1)[0] or "kokoma"
    stamp = utcnow()
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        follow_up_word = _("Follow-up")
    rows = db.session.execute(
        select(Measure, Case.reference).join(Case, Case.id == Measure.case_id)
        .where(Measure.responsible_user_id == user.id, Measure.status != "cancelled",
               Measure.planned_at.is_not(None), permissions.visible(user, Measure))
        .order_by(Measure.planned_at.desc()).limit(FEED_ROWS)
    ).all()
    names = pseudonyms.for_cases(user, {measure.case_id for measure, _reference in rows})
    for measure, reference in rows:
        event = Event()
        event.add("uid", f"measure-{measure.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", measure.planned_at)
        event.add("duration", MEASURE_LENGTH)  # (not an end: a start on the last day there is has none)
        event.add("summary", f"{reference}: {names.text(measure.title)}")
        if measure.place:
            event.add("location", names.text(measure.place))
        event.add("url", _case_url(measure.case_id))
        calendar.add_component(event)
    for follow_up, reference in db.session.execute(
        select(FollowUp, Case.reference).join(Case, Case.id == FollowUp.case_id)
        .where(FollowUp.assignee_id == user.id, FollowUp.status == "open", permissions.visible(user, FollowUp))
        .order_by(FollowUp.due_on).limit(FEED_ROWS)
    ):
        event = Event()
        event.add("uid", f"follow-up-{follow_up.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", follow_up.due_on)
        event.add("duration", timedelta(days=1))
        event.add("summary", f"{reference}: {follow_up_word}")
        event.add("url", _case_url(follow_up.case_id))
        calendar.add_component(event)
    return calendar.to_ical()


def _case_url(case_id: int) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/cases/{case_id}"
