"""The advisor's review: requested by the facilitator's side, given by an assigned advisor."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import joinedload

from ..database import db, utcnow
from ..domain import RECOMMENDATIONS
from ..models import Case, Review
from . import permissions
from .changes import CaseChange, changing_case
from .errors import PermissionDenied, ValidationError
from .submissions import Once


def request_review(user, case_id: int, question: str, once: Once | None = None) -> CaseChange:
    """Ask the advisors of the municipality for a review; an open request is superseded."""
    if not question.strip():
        raise ValidationError({"question": _l("Please say what the review should look at.")})
    with changing_case(user, case_id, "review.request", once=once) as change:
        change.session.execute(
            update(Review)
            .where(Review.case_id == case_id, Review.status == "requested")
            .values(status="superseded")
            .execution_options(synchronize_session=False)
        )
        review = Review(case_id=case_id, requested_by_id=user.id, advisor_id=_addressee(change.case),
                        question=question.strip())
        change.session.add(review)
        change.session.flush()
        change.record("review_requested", comment=review.question, payload={"review_id": review.id})
    return change


def _addressee(case: Case) -> int | None:
    """Whom a request is asked of: the case's advisor while they accompany its municipality,
    otherwise every advisor of the municipality (None)."""
    return case.advisor_id if permissions.accompanies(case.advisor_id, case.municipality_id) else None


def release_requests(session, advisor_id: int, municipality_id: int | None = None) -> None:
    """Open requests asked of an advisor who no longer accompanies a municipality (or, with
    ``municipality_id`` None, any: deactivated) go to every advisor of the case's
    municipality, instead of waiting for an answer nobody may give."""
    cases = select(Case.id)
    if municipality_id is not None:
        cases = cases.where(Case.municipality_id == municipality_id)
    session.execute(
        update(Review).where(Review.status == "requested", Review.advisor_id == advisor_id, Review.case_id.in_(cases))
        .values(advisor_id=None).execution_options(synchronize_session=False)
    )


def give_review(advisor, review_id: int, recommendation: str, text: str, once: Once | None = None) -> CaseChange:
    """Answer a review request: the advisor it was asked of, or any advisor of the municipality
    when it named nobody (permissions.may_answer)."""
    review = get_review(advisor, review_id, "review.give")
    errors = {}
    if recommendation not in RECOMMENDATIONS:
        errors["recommendation"] = _l("Please choose a recommendation.")
    if not text.strip():
        errors["text"] = _l("Please write your review.")
    if review.status != "requested":
        errors["text"] = _l("This review request was answered or replaced meanwhile.")
    elif not permissions.may_answer(advisor, review):
        raise PermissionDenied("review.give")
    if errors:
        raise ValidationError(errors)
    with changing_case(advisor, review.case_id, "review.give", once=once) as change:
        locked = change.session.get(Review, review_id, with_for_update=True, populate_existing=True)
        if locked.status != "requested":
            raise ValidationError({"text": _l("This review request was answered or replaced meanwhile.")})
        change.session.execute(
            update(Review)
            .where(Review.case_id == locked.case_id, Review.status == "given")
            .values(status="superseded")
            .execution_options(synchronize_session=False)
        )
        locked.status, locked.recommendation, locked.text = "given", recommendation, text.strip()
        locked.given_by_id, locked.given_at = advisor.id, utcnow()
        change.session.flush()
        change.record("review_given", comment=locked.text,
                      payload={"review_id": locked.id, "recommendation": recommendation})
    return change


def get_review(user, review_id: int, action: str = "case.view") -> Review:
    """A review of a case the user may see, for ``action``."""
    return permissions.get(user, action, Review, review_id)


def review_to_answer(advisor, review_id: int) -> Review:
    """A review request for the advisor's review form: refused (403) when it is still open but
    asked of a colleague (permissions.may_answer); an answered one shows, and saving says so."""
    review = get_review(advisor, review_id, "review.give")
    if review.status == "requested" and not permissions.may_answer(advisor, review):
        raise PermissionDenied("review.give")
    return review


def reviews_of(case) -> list[Review]:
    return db.session.scalars(
        select(Review).options(joinedload(Review.requested_by), joinedload(Review.given_by))
        .where(Review.case_id == case.id).order_by(Review.id)
    ).all()


def _waiting(user):
    """Review requests not yet answered among the cases ``user`` sees; for an advisor, only those
    they may answer."""
    if permissions.can(user, "review.give"):
        return permissions.reviews_to_answer(user) & permissions.case_scope(user)
    return (Review.status == "requested") & permissions.case_scope(user)


def queue(advisor) -> list[tuple[Review, Case, bool]]:
    """Open review requests across the advisor's municipalities, oldest first, each with whether
    it is asked of the advisor personally (else of any advisor of the municipality)."""
    permissions.require(advisor, "review.queue")
    return db.session.execute(
        select(Review, Case, permissions.asked_personally(advisor).label("personal"))
        .join(Case, Case.id == Review.case_id)
        .options(joinedload(Case.municipality))
        .where(_waiting(advisor))
        .order_by(Review.requested_at, Review.id)
    ).all()


def count_waiting(user) -> int:
    """How many review requests wait for an answer: what :func:`queue` lists for an advisor,
    the whole municipality's for its case workers."""
    permissions.require(user, "case.view")
    return db.session.scalar(
        select(func.count()).select_from(Review).join(Case, Case.id == Review.case_id).where(_waiting(user))
    )


def has_given_review(case_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Review.case_id == case_id, Review.given_at.is_not(None)))))
