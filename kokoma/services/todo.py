"""The day's work of a person ("Meine Aufgaben"): overdue measures, the measures of this week,
follow-ups due, reviews given on their cases since they last looked, and for advisors the review
requests waiting for them. A fixed number of queries, each on an index of the person's own
items, so the cost does not grow with the municipality's cases (benchmarks/bench_todo.py)."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, func, literal, select, update
from zoneinfo import ZoneInfo

from ..database import db, utcnow, write_transaction
from ..models import Case, FollowUp, Measure, Review, User
from . import permissions

SHOWN = 50  # rows per list; "and more" beyond
RECENT_REVIEWS = timedelta(days=14)  # reviews shown to someone who never marked them seen


@dataclass
class DayWork:
    today: date
    overdue_measures: list  # rows (Measure, reference, case title)
    week_measures: list
    follow_ups_due: list  # rows (FollowUp, reference, case title), due today or before
    new_reviews: list  # rows (Review, reference, case title, advisor name)
    reviews_waiting: list  # rows (Review, reference, case title), for advisors
    more: bool  # some list has more rows than shown

    @property
    def due(self) -> int:
        """What the navigation counts: overdue measures, follow-ups due, reviews waiting."""
        return len(self.overdue_measures) + len(self.follow_ups_due) + len(self.reviews_waiting)

    def rows(self) -> list:
        """Every row of every list (each begins with the measure, follow-up or review)."""
        return [*self.overdue_measures, *self.week_measures, *self.follow_ups_due, *self.new_reviews,
                *self.reviews_waiting]

    @property
    def empty(self) -> bool:
        return not (self.overdue_measures or self.week_measures or self.follow_ups_due or self.new_reviews
                    or self.reviews_waiting)


def local_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _week_end(now: datetime) -> datetime:
    """The end of the week (Sunday midnight, local time) that ``now`` lies in, in UTC."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    today = now.astimezone(zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=zone)


def _limit():
    return literal(SHOWN + 1, Integer, literal_execute=True)


def _measures(user, *conditions):
    return db.session.execute(
        select(Measure, Case.reference, Case.title).join(Case, Case.id == Measure.case_id)
        .where(Measure.responsible_user_id == user.id, Measure.status == "planned",
               permissions.visible(user, Measure), *conditions)
        .order_by(Measure.planned_at, Measure.id).limit(_limit())
    ).all()


def day_work(user, now: datetime | None = None) -> DayWork:
    permissions.require(user, "tasks.view")
    now = now or utcnow()
    today = local_today(now)
    overdue = _measures(user, Measure.planned_at < now)
    week = _measures(user, Measure.planned_at >= now, Measure.planned_at < _week_end(now))
    follow_ups = db.session.execute(
        select(FollowUp, Case.reference, Case.title).join(Case, Case.id == FollowUp.case_id)
        .where(FollowUp.assignee_id == user.id, FollowUp.status == "open", FollowUp.due_on <= today,
               permissions.visible(user, FollowUp))
        .order_by(FollowUp.due_on, FollowUp.id).limit(_limit())
    ).all()
    since = user.tasks_seen_at or now - RECENT_REVIEWS
    new_reviews = db.session.execute(
        select(Review, Case.reference, Case.title, User.name).join(Case, Case.id == Review.case_id)
        .join(User, User.id == Review.given_by_id)
        .where(Review.status == "given", Review.given_at > since, Case.facilitator_id == user.id,
               permissions.case_scope(user))
        .order_by(Review.given_at.desc()).limit(_limit())
    ).all() if permissions.can(user, "review.request") else []
    waiting = db.session.execute(
        select(Review, Case.reference, Case.title).join(Case, Case.id == Review.case_id)
        .where(permissions.reviews_to_answer(user), permissions.case_scope(user))
        .order_by(Review.requested_at, Review.id).limit(_limit())
    ).all() if permissions.can(user, "review.give") else []
    lists = (overdue, week, follow_ups, new_reviews, waiting)
    more = any(len(rows) > SHOWN for rows in lists)
    return DayWork(today, *(rows[:SHOWN] for rows in lists), more=more)


def due_count(user, now: datetime | None = None) -> int:
    """How much is due for ``user``, for the navigation: one statement, on indexes of their own
    items (overdue measures, follow-ups due, review requests waiting for an advisor)."""
    if not permissions.can(user, "tasks.view"):
        return 0
    now = now or utcnow()
    parts = [
        select(func.count()).select_from(Measure).where(
            Measure.responsible_user_id == user.id, Measure.status == "planned", Measure.planned_at < now,
            permissions.visible(user, Measure)).scalar_subquery(),
        select(func.count()).select_from(FollowUp).where(
            FollowUp.assignee_id == user.id, FollowUp.status == "open", FollowUp.due_on <= local_today(now),
            permissions.visible(user, FollowUp)).scalar_subquery(),
    ]
    if permissions.can(user, "review.give"):
        parts.append(select(func.count()).select_from(Review).join(Case, Case.id == Review.case_id).where(
            permissions.reviews_to_answer(user), permissions.case_scope(user)).scalar_subquery())
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return db.session.scalar(select(total)) or 0


def mark_reviews_seen(user) -> None:
    """The reviews listed so far have been read: from now on only newer ones are shown."""
    permissions.require(user, "tasks.view")
    with write_transaction() as session:
        session.execute(update(User).where(User.id == user.id).values(tasks_seen_at=utcnow()))


def set_digest(user, enabled: bool) -> None:
    """Switch the person's daily digest on or off."""
    permissions.require(user, "tasks.view")
    with write_transaction() as session:
        session.execute(update(User).where(User.id == user.id).values(digest_enabled=enabled))
