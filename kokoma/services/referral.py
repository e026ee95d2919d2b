"""The referral path (Verweisung): the process facilitation proposes, the advisor confirms or
declines from the review queue (four eyes); a confirmed referral moves the case to ``referral``."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..database import db, utcnow
from ..models import Case, Partner, Referral
from . import permissions
from .analysis_snapshot import Analysis
from .cases import fire_in
from .changes import CaseChange, changing_case
from .errors import ValidationError
from .referral_rules import REFERRAL_STATE
from .submissions import Once

REFER = "refer"  # the trigger the default plugin adds


def partners_to_refer_to(user, case) -> list[Partner]:
    """The active partners of the case's municipality in the registry."""
    return db.session.scalars(
        select(Partner).where(permissions.visible(user, Partner), Partner.municipality_id == case.municipality_id,
                              Partner.active.is_(True))
        .order_by(Partner.name)
    ).all()


def propose(user, case_id: int, reason: str, partner_id, referred_on: date | None,
            once: Once | None = None) -> CaseChange:
    with changing_case(user, case_id, "referral.propose", once=once) as change:
        case = change.case
        errors = {}
        if not (reason or "").strip():
            errors["reason"] = _l("Please give the reason for the referral.")
        if partner_id not in {p.id for p in partners_to_refer_to(user, case)}:
            errors["partner_id"] = _l("Please choose a partner of the registry.")
        if referred_on is None:
            errors["referred_on"] = _l("Please enter the date (YYYY-MM-DD).")
        if not Analysis(case).flagged_actors:
            errors["reason"] = _l("A referral is for an actor openly anti-democratic and unwilling to talk: flag the actor in the analysis first.")
        elif open_proposal(case.id) is not None:
            errors["reason"] = _l("A referral proposal is waiting for the advisor already.")
        if case.state == REFERRAL_STATE:
            errors["reason"] = _l("The case is referred already.")
        if errors:
            raise ValidationError(errors)
        referral = Referral(case_id=case.id, reason=reason.strip(), partner_id=partner_id, referred_on=referred_on,
                            proposed_by_id=user.id)
        change.session.add(referral)
        change.session.flush()
        change.record("referral_proposed", comment=referral.reason, payload={"referral_id": referral.id})
    return change


def decide(advisor, referral_id: int, confirm: bool, note: str, once: Once | None = None) -> CaseChange:
    """Confirm (the case moves to referral, the workflow's guards permitting) or decline."""
    referral = permissions.get(advisor, "referral.decide", Referral, referral_id)
    if not confirm and not (note or "").strip():
        raise ValidationError({"note": _l("Please say why you decline the referral.")})
    with changing_case(advisor, referral.case_id, "referral.decide", once=once) as change:
        locked = change.session.get(Referral, referral.id, with_for_update=True, populate_existing=True)
        if locked.status != "proposed":
            raise ValidationError({"note": _l("This referral was decided meanwhile.")})
        locked.status = "confirmed" if confirm else "declined"
        locked.decided_by_id, locked.decided_at, locked.decision_note = advisor.id, utcnow(), (note or "").strip()
        change.session.flush()
        if confirm:
            fire_in(change, REFER, locked.reason, referral_id=locked.id)
        else:
            change.record("referral_declined", comment=locked.decision_note, payload={"referral_id": locked.id})
    return change


def open_proposal(case_id: int) -> Referral | None:
    return db.session.scalars(
        select(Referral).where(Referral.case_id == case_id, Referral.status == "proposed")
    ).first()


def referrals_of(case) -> list[Referral]:
    return db.session.scalars(
        select(Referral).options(joinedload(Referral.partner), joinedload(Referral.proposed_by),
                                 joinedload(Referral.decided_by))
        .where(Referral.case_id == case.id).order_by(Referral.id)
    ).all()


def is_agreed(case_id: int) -> bool:
    """Whether the advisor confirmed a referral of the case that has not ended."""
    return db.session.scalar(select(Referral.id).where(
        Referral.case_id == case_id, Referral.status == "confirmed", Referral.ended_at.is_(None)
    ).limit(1)) is not None


def end_referrals(session, case_id: int) -> None:
    """The case left the state referral: its confirmed referral has ended."""
    for referral in session.scalars(select(Referral).where(
            Referral.case_id == case_id, Referral.status == "confirmed", Referral.ended_at.is_(None))):
        referral.ended_at = utcnow()


def queue(advisor) -> list[tuple[Referral, Case]]:
    """Referral proposals waiting for ``advisor``, oldest first."""
    permissions.require(advisor, "referral.decide")
    return db.session.execute(
        select(Referral, Case).join(Case, Case.id == Referral.case_id)
        .options(joinedload(Referral.partner), joinedload(Referral.proposed_by), joinedload(Case.municipality))
        .where(permissions.referrals_to_decide(advisor))
        .order_by(Referral.proposed_at, Referral.id)
    ).all()


def get_referral(user, referral_id: int, action: str = "case.view") -> Referral:
    return permissions.get(user, action, Referral, referral_id, options=(
        joinedload(Referral.partner), joinedload(Referral.proposed_by), joinedload(Referral.decided_by)))
