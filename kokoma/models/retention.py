from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, db, utcnow


class RetentionSetting(db.Model):
    """How long a municipality keeps closed cases: after how many days from closing they are
    anonymised, and after how many deleted (None: not by age). kokoma.services.retention."""

    __tablename__ = "retention_settings"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    anonymise_after_days: Mapped[int | None]
    delete_after_days: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RetentionRun(db.Model):
    """One application of a municipality's retention (by the daily job): counts, never content."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    anonymised_cases: Mapped[int] = mapped_column(default=0)
    deleted_cases: Mapped[int] = mapped_column(default=0)
    trail_entries_removed: Mapped[int] = mapped_column(default=0)


class DailyJob(db.Model):
    """A daily job's claim on a day: the first process to insert the row runs the job, every other
    process (worker threads of several hosts) finds it there and leaves it (kokoma.privacy.daily)."""

    __tablename__ = "daily_jobs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonRequest(db.Model):
    """A person's request carried out (Art. 17 GDPR, kokoma.services.person_requests): by whom,
    erased or pseudonymised, why, and how much it changed. The name is never stored."""

    __tablename__ = "person_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(20))  # erase, pseudonymise
    reason: Mapped[str] = mapped_column(Text)
    cases_changed: Mapped[int] = mapped_column(default=0)
    records_changed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
