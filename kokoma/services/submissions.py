"""One submission, one record: the one-time token of a form that creates something.

Each such form carries a fresh token (kokoma.web.forms.OneSubmission). The service that makes the
record claims the token first in its own transaction (:func:`claim`) and writes where the result
is at its end (:func:`answer`), so token and record commit together or not at all. The same form
sent again (a double click, a resent POST) finds its token taken and is answered with the first
one's result (:class:`AlreadySubmitted`) instead of making a second record; two sent at once are
kept apart by the unique key (person, token): the second waits for the first, then finds it taken.
"""
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..database import db, utcnow
from ..models import Submission
from .errors import ServiceError

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
# How long a token is remembered: longer than a form stays open (WTF_CSRF_TIME_LIMIT).
KEPT_FOR = timedelta(days=2)


@dataclass(frozen=True)
class Once:
    """A form's token, who sent it, and what the view answers with: ``address(result)``, the
    address of what the service made (its CaseChange, partner or user)."""

    token: str
    user_id: int
    address: Callable[[Any], str]


class AlreadySubmitted(ServiceError):
    """This form was sent before; its first sending's result is at :func:`address_of`."""

    def __init__(self, once: Once):
        super().__init__(once.token)
        self.once = once


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_token(value) -> bool:
    return isinstance(value, str) and TOKEN.fullmatch(value) is not None


def address_of(once: Once) -> str | None:
    """Where the result of the form sent with this token is, if it was sent before."""
    return db.session.scalar(
        select(Submission.url).where(Submission.user_id == once.user_id, Submission.token == once.token)
    )


def refuse_repeat(once: Once | None) -> None:
    """Raise :class:`AlreadySubmitted` if the form was sent with this token before."""
    if once is not None and address_of(once) is not None:
        raise AlreadySubmitted(once)


def claim(session, once: Once | None) -> Submission | None:
    """Take the token, first thing in the transaction that makes the record (``session``); raises
    :class:`AlreadySubmitted` when it was taken, which rolls that transaction back whole."""
    if once is None:
        return None
    session.execute(delete(Submission).where(Submission.user_id == once.user_id,
                                             Submission.created_at < utcnow() - KEPT_FOR))
    submission = Submission(user_id=once.user_id, token=once.token)
    session.add(submission)
    try:
        session.flush()
    except IntegrityError as exc:
        raise AlreadySubmitted(once) from exc
    return submission


def answer(submission: Submission | None, once: Once | None, result) -> None:
    """Write where the result is, last thing in the transaction that made it."""
    if submission is not None:
        submission.url = once.address(result)
