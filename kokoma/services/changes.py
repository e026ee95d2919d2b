"""One change to one case: lock, check, write events, call plugins, queue notifications, commit."""
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm.exc import StaleDataError

from .. import notifications
from ..database import write_transaction
from ..domain import level_rank
from ..models import Case, CaseEvent
from ..plugin_host import PluginFailure
from ..runtime import kokoma
from . import permissions, score_history, search, submissions
from .errors import ChangedMeanwhile, ConflictError


@dataclass
class CaseChange:
    """What a service collects while it changes a case, and what the view shows afterwards."""

    session: object
    case: Case
    user: object
    plugin_failures: list[PluginFailure] = field(default_factory=list)
    deliveries: int = 0
    level_before: str = "low"
    # The score and its factors before the change (None for a new case): the score's history
    # gets a point when the change moved either (services.score_history).
    score_before: tuple | None = None
    measure: object = None  # the measure a change made or changed (services.measures)
    follow_up: object = None  # the follow-up a change set (services.follow_ups)

    def record(self, kind: str, *, notify: bool = True, **fields) -> CaseEvent:
        """Append an event to the trail, let plugins react to it and queue its notification."""
        event = CaseEvent(case_id=self.case.id, actor_id=self.user.id if self.user else None, kind=kind,
                          snapshot=snapshot(self.case), **fields)
        self.session.add(event)
        self.session.flush()
        _results, failures = kokoma().plugins.call_each(
            "kokoma_case_event", around=self.session.begin_nested, case=self.case, event=event
        )
        self.plugin_failures.extend(failures)
        if notify:
            self.deliveries += notifications.queue_for_event(self.session, self.case, event, kokoma().plugins)
        return event

    def record_escalation_alert(self) -> None:
        """Once per crossing: when the change raised the level, an event partners can follow."""
        level_after = self.case.escalation_level
        if level_rank(level_after) > level_rank(self.level_before):
            self.record("escalation_raised", payload={"from": self.level_before, "to": level_after,
                                                      "score": self.case.escalation_score})

    def finish(self) -> None:
        """What every change does last, in its transaction: the score's history, the escalation
        alert, the plugins' failures, and the case's search document written anew."""
        score_history.note(self)
        self.record_escalation_alert()
        self.record_plugin_failures()
        self.session.flush()
        search.refresh_document(self.session, self.case)

    def record_plugin_failures(self) -> None:
        for failure in self.plugin_failures:
            self.session.add(CaseEvent(
                case_id=self.case.id,
                actor_id=self.user.id if self.user else None,
                kind="plugin_error",
                comment=failure.error,
                payload={"plugin": failure.plugin, "hook": failure.hook, "error": failure.error},
            ))


def snapshot(case: Case) -> dict:
    """The case as an event finds it (``CaseEvent.snapshot``): what a channel delivering later reads."""
    return {"state": case.state, "escalation_level": case.escalation_level,
            "escalation_score": case.escalation_score, "category": case.category}


def seen_state(row) -> str:
    """The state of ``row`` (a measure, an item of the analysis, a partner, a case study; None:
    not made yet) as a form that edits it shows it: a fingerprint of all its columns. The form
    sends it back, and the save checks it (:func:`require_unchanged`)."""
    if row is None:
        return "new"
    values = {column.key: getattr(row, column.key) for column in row.__mapper__.column_attrs}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:32]


def require_unchanged(row, seen: str | None) -> None:
    """Refuse a save (:class:`ChangedMeanwhile`) whose form showed ``row`` in another state than it
    has now: it would overwrite what someone saved meanwhile. ``row`` must be read under the
    change's lock. ``seen`` None: the caller is no form (a script, a plugin), nothing to compare."""
    if seen is not None and seen != seen_state(row):
        raise ChangedMeanwhile()


@contextmanager
def changing_case(user, case_id: int, action: str, expected_version: int | None = None,
                  once: submissions.Once | None = None):
    """Open a write transaction on a case the user may change, and commit it at the end.

    ``expected_version`` is the version the person saw; if the case moved on since, the change is
    refused with :class:`ConflictError` instead of overwriting what someone else did. ``once``,
    the token of the form that asked for the change, commits with it (services.submissions).
    """
    try:
        with write_transaction() as session:
            submission = submissions.claim(session, once)
            case = permissions.get(user, action, Case, case_id, lock=True)
            if expected_version is not None and case.version != expected_version:
                raise ConflictError()
            change = CaseChange(session, case, user, level_before=case.escalation_level,
                                score_before=score_history.score_of(case))
            yield change
            change.finish()
            submissions.answer(submission, once, change)
    except StaleDataError as exc:
        raise ConflictError() from exc
    if change.deliveries:
        notifications.wake(kokoma().dispatcher)


@contextmanager
def creating_case(user, case: Case, once: submissions.Once | None = None):
    """Write transaction for a new case; the caller fills ``case`` before it is added."""
    permissions.require(user, "case.create")
    with write_transaction() as session:
        submission = submissions.claim(session, once)
        change = CaseChange(session, case, user)
        yield change
        change.finish()
        submissions.answer(submission, once, change)
    if change.deliveries:
        notifications.wake(kokoma().dispatcher)
