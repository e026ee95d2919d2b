"""A person's request (Art. 15 and 17 GDPR): find everything that names a person across the
municipality's cases, export it for them, and erase or pseudonymise the name on request.

The records that can name a person: the case's title, description, location and plugin fields;
the conflict analysis (actors with their positions, interests, fears and why a group was not
heard; relation notes; issues in dispute; history entries; hearing summaries; resources; the
rationale of Glasl assessments; the texts carried over from the earlier case form and the
plugins' analysis fields); referrals' reasons and decision notes; measures (title, place,
participants, outcome) and follow-ups (what, note); events' comments and payloads (an edit's,
an analysis change's or a measure change's old and new texts); reviews' questions and answers;
attachments' file names; the names persons of the analysis had; and the municipality's case
studies (their lessons, and the reasons a study was withdrawn for: a person who recognised
themselves may be named there). Each kind of record has one finder/rewriter pair in :data:`KINDS`.
Queued partner notifications and digest mails hold no text of their own (a message is put
together from the records when it is sent), so once the records no longer name the person,
neither does any mail still to go out.

The name is matched without regard to case, of any letters ("özdemir" finds "Özdemir", on SQLite
too: :class:`kokoma.database.lowered`), and is never stored: the request's record keeps the
reason and what was changed, as counts.
"""
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, bindparam, cast, or_, select, update

from ..database import db, lowered, utcnow, write_transaction
from ..models import (
    ActorRelation, AnalysisActor, AnalysisResource, Attachment, Case, CaseAnalysis, CaseEvent, CaseStudy, DisputeIssue,
    FollowUp, GlaslAssessment, GroupHearing, HistoryEntry, Measure, PersonName, PersonRequest, Referral, Review,
)
from . import access_trail, permissions
from . import search as search_index
from .errors import ValidationError

MIN_NAME_LENGTH = 3
ERASED = "[…]"
MODES = {"erase": _l("Erase"), "pseudonymise": _l("Pseudonymise")}
CASE_FIELDS = ("title", "description", "location")
# "kind.field" -> what the passage is, as the list of findings shows it
FIELD_LABELS = {
    "case.title": _l("Title"), "case.description": _l("Description"), "case.location": _l("Location"),
    "case.extra": _l("Further fields"),
    "analysis.carried_over_parties": _l("Parties involved (earlier form)"),
    "analysis.carried_over_affected": _l("Affected groups (earlier form)"),
    "analysis.extra": _l("Further fields of the analysis"),
    "actor.name": _l("Actor"), "actor.position": _l("Actor's position"), "actor.interests": _l("Actor's interests"),
    "actor.fears": _l("Actor's fears"), "actor.not_heard_reason": _l("Why the group was not heard"),
    "relation.note": _l("Note on a relation"), "issue.text": _l("Issue in dispute"),
    "history.text": _l("History entry"), "history.source": _l("Source of a history entry"),
    "hearing.summary": _l("Summary of a hearing"), "resource.name": _l("Resource"),
    "resource.note": _l("Note on a resource"), "glasl.rationale": _l("Rationale of a Glasl assessment"),
    "referral.reason": _l("Reason for the referral"), "referral.decision_note": _l("Note on the referral decision"),
    "measure.title": _l("Measure"), "measure.place": _l("Place of a measure"),
    "measure.participants": _l("Participants of a measure"), "measure.outcome": _l("Outcome of a measure"),
    "follow_up.what": _l("Follow-up"), "follow_up.note": _l("Note on a follow-up"),
    "event.comment": _l("Comment"), "event.payload": _l("Details of the change"),
    "review.question": _l("Question"), "review.text": _l("Review"),
    "attachment.filename": _l("Name of an attachment"),
    "person_name.name": _l("A name a person of the analysis had (for the pseudonyms)"),
    "study.lessons": _l("Lessons learned of a case study"),
    "study.withdrawals": _l("Reason a case study was withdrawn"),
}


@dataclass
class Finding:
    kind: str  # a key of KINDS
    record_id: int
    case_id: int | None  # a case study outlives its case
    reference: str  # the case's ("" for a case study whose case was erased)
    field: str  # a column of the record
    text: str

    @property
    def label(self) -> str:
        """The key of FIELD_LABELS."""
        return f"{self.kind}.{self.field}"


def _check(name: str) -> str:
    name = (name or "").strip()
    if len(name) < MIN_NAME_LENGTH:
        raise ValidationError({"name": _l("Please enter at least three letters of the name.")})
    return name


def _like(column, name: str):
    return lowered(column).contains(name.lower(), autoescape=True)


def _json_like(column, name: str):
    """A JSON column holding the name (SQLite's \\u-escapes are read as letters by ``lowered``)."""
    return _like(cast(column, String), name)


def _in_scope(coordinator):
    return permissions.visible(coordinator, Case)


def _mentions(name: str) -> Callable[[str], bool]:
    pattern = re.compile(re.escape(name), re.IGNORECASE)
    return lambda text: bool(text) and bool(pattern.search(text))


def _find_in_cases(coordinator, name):
    matches = _mentions(name)
    rows = db.session.scalars(select(Case).where(
        _in_scope(coordinator), or_(*(_like(getattr(Case, f), name) for f in CASE_FIELDS), _json_like(Case.extra, name))
    ).order_by(Case.id))
    for case in rows:
        for field in CASE_FIELDS:
            if matches(getattr(case, field)):
                yield Finding("case", case.id, case.id, case.reference, field, getattr(case, field))
        extra = json.dumps(case.extra, ensure_ascii=False)
        if matches(extra):
            yield Finding("case", case.id, case.id, case.reference, "extra", extra)


def _finder(model, kind: str, text_fields: tuple[str, ...], json_fields: tuple[str, ...] = (), key: str = "id"):
    """A finder for a kind of record that hangs on a case (``model.case_id``), ``key`` its id."""

    def find_in(coordinator, name):
        matches = _mentions(name)
        conditions = [_like(getattr(model, f), name) for f in text_fields]
        conditions += [_json_like(getattr(model, f), name) for f in json_fields]
        rows = db.session.execute(
            select(model, Case.reference).join(Case, Case.id == model.case_id)
            .where(_in_scope(coordinator), or_(*conditions)).order_by(getattr(model, key))
        )
        for record, reference in rows:
            texts = [(f, getattr(record, f)) for f in text_fields]
            texts += [(f, json.dumps(getattr(record, f), ensure_ascii=False)) for f in json_fields]
            for field, text in texts:
                if matches(text):
                    yield Finding(kind, getattr(record, key), record.case_id, reference, field, text)

    return find_in


def _rewriter(model, text_fields: tuple[str, ...], json_fields: tuple[str, ...] = (), key: str = "id"):
    """The rewriter that goes with :func:`_finder`: every text field of each record found."""

    def rewrite(session, findings, pattern, replacement, _now) -> None:
        column = getattr(model, key)
        for record_id in sorted({f.record_id for f in findings}):
            record = session.get(model, record_id)
            values = {f: pattern.sub(replacement, getattr(record, f) or "") for f in text_fields}
            values.update({f: _replace_in(getattr(record, f), pattern, replacement) for f in json_fields})
            session.execute(update(model).where(column == record_id).values(**values)
                            .execution_options(synchronize_session=False))

    return rewrite


def _kind(model, kind: str, text_fields: tuple[str, ...], json_fields: tuple[str, ...] = (), key: str = "id"):
    """The finder/rewriter pair of a kind of record whose texts are rewritten in place."""
    return _finder(model, kind, text_fields, json_fields, key), _rewriter(model, text_fields, json_fields, key)


def _replace_in(value, pattern, replacement):
    """``value`` (text, or JSON data) with every match of ``pattern`` replaced."""
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, dict):
        return {k: _replace_in(v, pattern, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_in(v, pattern, replacement) for v in value]
    return value


def _rewrite_cases(session, findings, pattern, replacement, now) -> None:
    for case_id in sorted({f.record_id for f in findings}):
        case = session.get(Case, case_id)
        values = {f: pattern.sub(replacement, getattr(case, f)) for f in CASE_FIELDS}
        session.execute(update(Case).where(Case.id == case_id).values(
            **values, extra=_replace_in(case.extra, pattern, replacement), version=Case.version + 1, updated_at=now,
        ).execution_options(synchronize_session=False))


def _rewrite_events(session, findings, pattern, replacement, now) -> None:
    table = CaseEvent.__table__
    ids = sorted({f.record_id for f in findings})
    events = session.execute(select(CaseEvent.id, CaseEvent.comment, CaseEvent.payload).where(CaseEvent.id.in_(ids))).all()
    if events:  # a redaction: the one update the database lets through (migration 0026)
        session.connection().execute(
            update(table).where(table.c.id == bindparam("event_id")).values(
                comment=bindparam("new_comment"), payload=bindparam("new_payload", type_=table.c.payload.type),
                redacted_at=now),
            [{"event_id": i, "new_comment": pattern.sub(replacement, c),
              "new_payload": _replace_in(p, pattern, replacement)} for i, c, p in events],
        )


def _find_in_studies(coordinator, name):
    """The municipality's case studies, released or not: a study hangs on its municipality, not
    on a case (a released one outlives the case's deletion)."""
    matches = _mentions(name)
    rows = db.session.execute(
        select(CaseStudy, Case.reference).outerjoin(Case, Case.id == CaseStudy.case_id)
        .where(permissions.municipality_scope(coordinator, CaseStudy.municipality_id),
               or_(_like(CaseStudy.lessons, name), _json_like(CaseStudy.withdrawals, name)))
        .order_by(CaseStudy.id)
    )
    for study, reference in rows:
        if matches(study.lessons):
            yield Finding("study", study.id, study.case_id, reference or "", "lessons", study.lessons)
        for withdrawal in study.withdrawals or []:
            if matches(withdrawal.get("reason")):
                yield Finding("study", study.id, study.case_id, reference or "", "withdrawals", withdrawal["reason"])


def _rewrite_studies(session, findings, pattern, replacement, now) -> None:
    for study_id in sorted({f.record_id for f in findings}):
        study = session.get(CaseStudy, study_id)
        lessons = pattern.sub(replacement, study.lessons or "")
        withdrawals = [{**w, "reason": pattern.sub(replacement, w.get("reason") or "")} for w in study.withdrawals or []]
        session.execute(update(CaseStudy).where(CaseStudy.id == study_id).values(
            lessons=lessons, search_words=search_index.word_forms(lessons), withdrawals=withdrawals, updated_at=now,
        ).execution_options(synchronize_session=False))  # the library is searched by the new words only


# kind -> (find the records naming a person, rewrite them)
KINDS = {
    "case": (_find_in_cases, _rewrite_cases),
    "analysis": _kind(CaseAnalysis, "analysis", ("carried_over_parties", "carried_over_affected"), ("extra",),
                      key="case_id"),
    "actor": _kind(AnalysisActor, "actor", ("name", "position", "interests", "fears", "not_heard_reason")),
    "relation": _kind(ActorRelation, "relation", ("note",)),
    "issue": _kind(DisputeIssue, "issue", ("text",)),
    "history": _kind(HistoryEntry, "history", ("text", "source")),
    "hearing": _kind(GroupHearing, "hearing", ("summary",)),
    "resource": _kind(AnalysisResource, "resource", ("name", "note")),
    "glasl": _kind(GlaslAssessment, "glasl", ("rationale",)),
    "referral": _kind(Referral, "referral", ("reason", "decision_note")),
    "measure": _kind(Measure, "measure", ("title", "place", "participants", "outcome")),
    "follow_up": _kind(FollowUp, "follow_up", ("what", "note")),
    "event": (_finder(CaseEvent, "event", ("comment",), ("payload",)), _rewrite_events),
    "review": _kind(Review, "review", ("question", "text")),
    "attachment": _kind(Attachment, "attachment", ("filename",)),
    "person_name": _kind(PersonName, "person_name", ("name",)),
    "study": (_find_in_studies, _rewrite_studies),
}


def find(coordinator, name: str) -> list[Finding]:
    """Everything of the coordinator's municipality that names ``name``, by case (a case study
    with its case, one whose case was erased last)."""
    permissions.require(coordinator, "person_request.manage")
    name = _check(name)
    found = [f for finder, _rewrite in KINDS.values() for f in finder(coordinator, name)]
    kinds = list(KINDS)
    return sorted(found, key=lambda f: (f.case_id is None, f.case_id or 0, kinds.index(f.kind), f.record_id))


def search(coordinator, name: str, *, for_export: bool = False) -> list[Finding]:
    """:func:`find`, recorded in the access trail (how many passages, not the name)."""
    found = find(coordinator, name)
    access_trail.record_person_search(coordinator, access_trail.PERSON_EXPORT if for_export
                                      else access_trail.PERSON_SEARCH, len(found))
    return found


def export(findings: list[Finding], name: str) -> dict:
    """What the person is given (Art. 15): the passages that name them, by case, and those of
    case studies by study (JSON-ready)."""
    by_case: dict[str, list] = {}
    by_study: dict[str, list] = {}
    for f in findings:
        passage = {"record": f.kind, "id": f.record_id, "field": f.field, "text": f.text}
        if f.kind == "study":
            by_study.setdefault(str(f.record_id), []).append(passage)
        else:
            by_case.setdefault(f.reference, []).append(passage)
    return {"schema": "kokoma.person-export/1", "name": name, "created_at": utcnow().isoformat(timespec="seconds"),
            "cases": by_case, "studies": by_study}


def carry_out(coordinator, name: str, mode: str, reason: str) -> PersonRequest:
    """Erase the name (replaced by "[…]") or pseudonymise it (one pseudonym for the request)
    everywhere it is found, with the reason recorded, in one transaction."""
    permissions.require(coordinator, "person_request.manage")
    errors = {}
    try:
        name = _check(name)
    except ValidationError as exc:
        errors.update(exc.errors)
    if mode not in MODES:
        errors["mode"] = _l("Please choose to erase or to pseudonymise.")
    if not (reason or "").strip():
        errors["reason"] = _l("Please give the reason (the person's request, its date).")
    if errors:
        raise ValidationError(errors)
    replacement = ERASED if mode == "erase" else f"Person-{secrets.token_hex(2).upper()}"
    pattern = re.compile(re.escape(name), re.IGNORECASE)
    now = utcnow()
    with write_transaction() as session:
        findings = find(coordinator, name)
        for kind, (_finder, rewrite) in KINDS.items():
            mine = [f for f in findings if f.kind == kind]
            if mine:
                rewrite(session, mine, pattern, replacement, now)
        case_ids = {f.case_id for f in findings if f.case_id is not None}
        touched = select(Case).where(Case.id.in_(case_ids))
        for case in session.scalars(touched.execution_options(populate_existing=True)):  # bulk updates: read anew
            search_index.refresh_document(session, case)  # the name leaves the search index too
        record = PersonRequest(
            municipality_id=coordinator.municipality_id, user_id=coordinator.id, mode=mode, reason=reason.strip(),
            cases_changed=len(case_ids), records_changed=len({(f.kind, f.record_id) for f in findings}),
            created_at=now,
        )
        session.add(record)
    db.session.expire_all()
    return record


def done_requests(coordinator, limit: int = 10) -> list[PersonRequest]:
    permissions.require(coordinator, "person_request.manage")
    return list(db.session.scalars(select(PersonRequest).where(permissions.visible(coordinator, PersonRequest))
                                   .order_by(PersonRequest.id.desc()).limit(limit)))
