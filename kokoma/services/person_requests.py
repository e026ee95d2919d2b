"""A person's request (Art. 15 and 17 GDPR): find everything that names a person across the
municipality's cases, export it for them, and erase or pseudonymise the name on request.

Today's fields that can name a person: the case's title, description, location, parties,
affected groups and plugin fields; events' comments and payloads (an edit's old and new texts);
reviews' questions and answers. Each kind of record has one finder/rewriter pair in
:data:`KINDS`; actors, measures and attachments add theirs. Queued partner notifications hold
no text of their own (a message is put together from the case when it is sent), so once the
case and its events no longer name the person, neither does any notification still to go out.

The name is matched without regard to case (SQL ``lower``; SQLite lowers ASCII letters only,
the rewrite itself matches any letters) and is never stored: the request's record keeps the
reason and what was changed, as counts.
"""
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, bindparam, cast, func, or_, select, update

from ..database import db, utcnow, write_transaction
from ..models import Case, CaseEvent, PersonRequest, Review
from . import access_trail, permissions
from .errors import ValidationError

MIN_NAME_LENGTH = 3
ERASED = "[…]"
MODES = {"erase": _l("Erase"), "pseudonymise": _l("Pseudonymise")}
CASE_FIELDS = ("title", "description", "location", "parties", "affected_groups")
FIELD_LABELS = {
    "title": _l("Title"), "description": _l("Description"), "location": _l("Location"),
    "parties": _l("Parties involved"), "affected_groups": _l("Affected groups"), "extra": _l("Further fields"),
    "comment": _l("Comment"), "payload": _l("Details of the change"), "question": _l("Question"),
    "text": _l("Review"),
}


@dataclass
class Finding:
    kind: str  # case, event, review
    record_id: int
    case_id: int
    reference: str
    field: str  # a key of FIELD_LABELS
    text: str


def _check(name: str) -> str:
    name = (name or "").strip()
    if len(name) < MIN_NAME_LENGTH:
        raise ValidationError({"name": _l("Please enter at least three letters of the name.")})
    return name


def _like(column, name: str):
    return func.lower(column).contains(name.lower(), autoescape=True)


def _json_like(column, name: str):
    """A JSON column holding the name: as stored (PostgreSQL's jsonb text) or \\u-escaped (SQLite)."""
    escaped = json.dumps(name)[1:-1]
    return or_(_like(cast(column, String), name), _like(cast(column, String), escaped))


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


def _finder(model, kind: str, text_fields: tuple[str, ...], json_fields: tuple[str, ...] = ()):
    """A finder for a kind of record that hangs on a case (``model.case_id``)."""

    def find_in(coordinator, name):
        matches = _mentions(name)
        conditions = [_like(getattr(model, f), name) for f in text_fields]
        conditions += [_json_like(getattr(model, f), name) for f in json_fields]
        rows = db.session.execute(
            select(model, Case.reference).join(Case, Case.id == model.case_id)
            .where(_in_scope(coordinator), or_(*conditions)).order_by(model.id)
        )
        for record, reference in rows:
            texts = [(f, getattr(record, f)) for f in text_fields]
            texts += [(f, json.dumps(getattr(record, f), ensure_ascii=False)) for f in json_fields]
            for field, text in texts:
                if matches(text):
                    yield Finding(kind, record.id, record.case_id, reference, field, text)

    return find_in


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


def _rewrite_reviews(session, findings, pattern, replacement, _now) -> None:
    for review_id in sorted({f.record_id for f in findings}):
        review = session.get(Review, review_id)
        session.execute(update(Review).where(Review.id == review_id).values(
            question=pattern.sub(replacement, review.question), text=pattern.sub(replacement, review.text),
        ).execution_options(synchronize_session=False))


# kind -> (find the records naming a person, rewrite them)
KINDS = {
    "case": (_find_in_cases, _rewrite_cases),
    "event": (_finder(CaseEvent, "event", ("comment",), ("payload",)), _rewrite_events),
    "review": (_finder(Review, "review", ("question", "text")), _rewrite_reviews),
}


def find(coordinator, name: str) -> list[Finding]:
    """Everything of the coordinator's municipality that names ``name``, by case."""
    permissions.require(coordinator, "person_request.manage")
    name = _check(name)
    found = [f for finder, _rewrite in KINDS.values() for f in finder(coordinator, name)]
    return sorted(found, key=lambda f: (f.case_id, list(KINDS).index(f.kind), f.record_id))


def search(coordinator, name: str, *, for_export: bool = False) -> list[Finding]:
    """:func:`find`, recorded in the access trail (how many passages, not the name)."""
    found = find(coordinator, name)
    access_trail.record_person_search(coordinator, access_trail.PERSON_EXPORT if for_export
                                      else access_trail.PERSON_SEARCH, len(found))
    return found


def export(findings: list[Finding], name: str) -> dict:
    """What the person is given (Art. 15): the passages that name them, by case (JSON-ready)."""
    by_case: dict[str, list] = {}
    for f in findings:
        by_case.setdefault(f.reference, []).append({"record": f.kind, "id": f.record_id, "field": f.field, "text": f.text})
    return {"schema": "kokoma.person-export/1", "name": name, "created_at": utcnow().isoformat(timespec="seconds"),
            "cases": by_case}


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
        record = PersonRequest(
            municipality_id=coordinator.municipality_id, user_id=coordinator.id, mode=mode, reason=reason.strip(),
            cases_changed=len({f.case_id for f in findings}), records_changed=len({(f.kind, f.record_id) for f in findings}),
            created_at=now,
        )
        session.add(record)
    db.session.expire_all()
    return record


def done_requests(coordinator, limit: int = 10) -> list[PersonRequest]:
    permissions.require(coordinator, "person_request.manage")
    return list(db.session.scalars(select(PersonRequest).where(permissions.visible(coordinator, PersonRequest))
                                   .order_by(PersonRequest.id.desc()).limit(limit)))
