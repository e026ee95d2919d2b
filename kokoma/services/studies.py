"""The anonymised case study: prepared from a closed case, released into the library that
facilitators, coordinators and advisors of every municipality read (the one place where one
municipality sees another's work, by design, and only what was released).

A study holds the case's facts as categories and numbers (focus area, Glasl stage at start and
end, duration, the kinds of measures) and lessons learned in text. No name of the case is ever
copied into it; the text is released only when none of the case's names (:func:`names_to_avoid`)
is found in it and a person confirmed that it names no one.
"""
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import joinedload

from ..database import db, utcnow, write_transaction
from ..domain import MEASURE_EFFECTS
from ..models import AnalysisActor, Case, CaseEvent, CaseStudy, GlaslAssessment, Measure, User
from ..runtime import kokoma
from . import permissions, search
from .changes import require_unchanged
from .errors import NotFound, ValidationError
from .names import name_parts


def names_to_avoid(case: Case) -> list[str]:
    """Every name the text of a study must not hold: the actors of the conflict analysis (names
    or pseudonyms, each and each of their words that is not generic), the places (the case's
    location and where its measures took place: finer than the municipality) and the people who
    worked on the case."""
    texts = [case.location, *db.session.scalars(select(AnalysisActor.name).where(AnalysisActor.case_id == case.id)),
             *db.session.scalars(select(Measure.place).where(Measure.case_id == case.id, Measure.place != ""))]
    people = db.session.scalars(
        select(User.name).where(or_(
            User.id.in_(select(CaseEvent.actor_id).where(CaseEvent.case_id == case.id)),
            User.id.in_([i for i in (case.facilitator_id, case.advisor_id) if i]),
        ))
    ).all()
    return sorted(name_parts(texts, people), key=str.lower)


def flagged(text: str, names: list[str]) -> list[str]:
    """The names found in ``text`` (whole words, any case)."""
    return [n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text or "", re.I)]


@dataclass
class Facts:
    category: str
    glasl_start: int | None
    glasl_end: int | None
    duration_days: int
    measures: list


def facts_of(case: Case) -> Facts:
    """The study's facts, categories and numbers only: the Glasl stage of the first and of the
    latest assessment (the process facilitation's, which set the case's stage; the advisor's where
    it has none), the days from logging to closing, and the measures carried out by kind and effect."""
    assessments = db.session.execute(
        select(GlaslAssessment.side, GlaslAssessment.stage).where(GlaslAssessment.case_id == case.id)
        .order_by(GlaslAssessment.created_at, GlaslAssessment.id)
    ).all()
    stages = [stage for side, stage in assessments if side == "facilitator"] or [stage for _side, stage in assessments]
    final = set(kokoma().workflow.definition.final_states)
    closed_at = db.session.scalar(
        select(CaseEvent.created_at).where(CaseEvent.case_id == case.id, CaseEvent.kind == "transition",
                                           CaseEvent.to_state.in_(final)).order_by(CaseEvent.id.desc()).limit(1)
    ) or utcnow()
    measures = db.session.execute(
        select(Measure.kind, Measure.effect, func.count()).where(Measure.case_id == case.id, Measure.status == "done")
        .group_by(Measure.kind, Measure.effect)
    ).all()
    return Facts(case.category, stages[0] if stages else None, stages[-1] if stages else None,
                 max(0, (closed_at - case.created_at).days),
                 [{"kind": kind, "effect": effect, "count": n}
                  for kind, effect, n in sorted(measures, key=lambda row: (row[0], _EFFECT_ORDER.get(row[1], 99)))])


_EFFECT_ORDER = {key: n for n, key in enumerate(MEASURE_EFFECTS)}


def _closed_case(user, case_id: int, lock: bool = False) -> Case:
    case = permissions.get(user, "study.prepare", Case, case_id, lock=lock)
    if case.state not in kokoma().workflow.definition.final_states:
        raise ValidationError({"lessons": _l("A case study is prepared from a closed case.")})
    return case


def study_of(case: Case, *, as_saved: bool = False) -> CaseStudy | None:
    """The case's study; ``as_saved``: read anew, not as read before in the request."""
    query = select(CaseStudy).where(CaseStudy.case_id == case.id)
    return db.session.scalars(query.execution_options(populate_existing=as_saved)).one_or_none()


def save_draft(user, case_id: int, lessons: str, seen: str | None = None) -> CaseStudy:
    """Prepare (or update) the study of a closed case; the facts are taken anew from the case.
    ``seen``: the study's state the person's form showed (services.changes.require_unchanged)."""
    with write_transaction() as session:
        case = _closed_case(user, case_id, lock=True)  # its lock keeps the study's writers apart
        study = study_of(case, as_saved=True)
        require_unchanged(study, seen)
        if study is not None and study.released_at is not None:
            raise ValidationError({"lessons": _l("This case study was released and is no longer changed.")})
        facts = facts_of(case)
        if study is None:
            study = CaseStudy(case_id=case.id, municipality_id=case.municipality_id, prepared_by_id=user.id)
            session.add(study)
        study.category, study.glasl_start, study.glasl_end = facts.category, facts.glasl_start, facts.glasl_end
        study.duration_days, study.measures, study.lessons = facts.duration_days, facts.measures, lessons.strip()
        study.search_words = search.word_forms(study.lessons)
    return study


def release(user, case_id: int, lessons: str, confirmed: bool, seen: str | None = None) -> CaseStudy:
    """Release the study into the library: refused while the text holds a name of the case, or
    without the person's confirmation that it names no one."""
    case = _closed_case(user, case_id)
    found = flagged(lessons, names_to_avoid(case))
    errors = {}
    if not lessons.strip():
        errors["lessons"] = _l("Please write down the lessons learned.")
    elif found:
        errors["lessons"] = _l("The text names %(names)s. Remove every name of a person, actor or place.",
                               names=", ".join(f"„{n}“" for n in found))
    if not confirmed:
        errors["confirmed"] = _l("Please confirm that you read the text and that it names no one.")
    if errors:
        raise ValidationError(errors)
    study = save_draft(user, case_id, lessons, seen)
    with write_transaction() as session:
        study = session.get(CaseStudy, study.id, with_for_update=True)
        study.confirmed_by_id, study.released_at = user.id, utcnow()
    return study


def library(user, *, words: str = "", category: str | None = None) -> list[CaseStudy]:
    """The released studies of every municipality, newest first, found by words of the lessons
    (as typed, in other German forms, in any case, with or without diacritics: search.words_match).
    The library holds released studies only, some thousands in a mature programme, so it is read
    without a full-text index (docs/performance.md)."""
    permissions.require(user, "studies.read")
    searched = search.query_words(words)
    if words.strip() and not searched:
        return []  # only signs typed: no word matches them (as in the case list)
    query = (select(CaseStudy).options(joinedload(CaseStudy.municipality))
             .where(CaseStudy.released_at.is_not(None), *search.words_match(CaseStudy.search_words, searched))
             .order_by(CaseStudy.released_at.desc()).limit(200))
    if category:
        query = query.where(CaseStudy.category == category)
    return db.session.scalars(query).all()


def withdrawable(user):
    """SQL condition: the released studies ``user`` may take out of the library (a facilitator or
    coordinator of the study's municipality)."""
    if not permissions.can(user, "study.withdraw"):
        return false()
    return _released_in_scope(user)


def _released_in_scope(user):
    return CaseStudy.released_at.is_not(None) & permissions.municipality_scope(user, CaseStudy.municipality_id)


def may_withdraw(user, study: CaseStudy) -> bool:
    return db.session.scalar(select(CaseStudy.id).where(CaseStudy.id == study.id, withdrawable(user))) is not None


def withdraw(user, study_id: int, reason: str) -> CaseStudy:
    """Take a released study out of the library, with the reason, recorded on the study (who,
    when, why). It is a draft again: revised and released anew through :func:`release`, with
    its check of the names and the person's confirmation. Like every case question: a study of
    a municipality the user does not see is not found, a role without the right is refused."""
    with write_transaction() as session:
        study = session.scalars(
            select(CaseStudy).where(CaseStudy.id == study_id, _released_in_scope(user)).with_for_update()
        ).one_or_none() if permissions.is_id(study_id) else None
        if study is None:
            raise NotFound()
        permissions.require(user, "study.withdraw")
        if not reason.strip():
            raise ValidationError({"reason": _l("Please give the reason for the withdrawal.")})
        study.released_at, study.confirmed_by_id = None, None
        study.withdrawals = [*(study.withdrawals or []),
                             {"at": utcnow().isoformat(), "by": user.id, "reason": reason.strip()}]
    return study


def last_withdrawal(study: CaseStudy) -> dict | None:
    """The latest withdrawal of the study, with the name of who withdrew it (``by_name``)."""
    if not study.withdrawals:
        return None
    latest = dict(study.withdrawals[-1])
    latest["at"] = datetime.fromisoformat(latest["at"])
    latest["by_name"] = db.session.scalar(select(User.name).where(User.id == latest.get("by"))) or ""
    return latest


def released_study(user, study_id: int) -> CaseStudy:
    """A released study (anyone who reads the library), or a draft of the user's own municipality."""
    permissions.require(user, "studies.read")
    study = db.session.scalars(
        select(CaseStudy).options(joinedload(CaseStudy.municipality)).where(CaseStudy.id == study_id)
    ).one_or_none() if permissions.is_id(study_id) else None
    if study is None or (study.released_at is None and not db.session.scalar(
            select(Case.id).where(Case.id == study.case_id, permissions.case_scope(user)))):
        raise NotFound()
    return study
