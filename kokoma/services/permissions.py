"""Who may see and do what: the one checkpoint for scope and permission.

Every query for data a municipality owns is limited by :func:`visible` (cases, reviews,
partners, deliveries, the access trail, retention settings and runs, user accounts); every action is checked against
:data:`PERMISSIONS`. One object is fetched through :func:`get`, which answers the same way
everywhere: out of the user's scope it does not exist (:class:`NotFound`, 404, whatever the
action), in scope but without the right the action is refused (:class:`PermissionDenied`, 403).
Views and other services neither filter by municipality nor test roles themselves.
"""
from sqlalchemy import false, select, true

from ..database import db
from ..models import (
    ActorRelation, AdvisorAssignment, AnalysisActor, AnalysisResource, Case, CaseAccess, CaseCount, Delivery,
    DisputeIssue, FollowUp, GroupHearing, HistoryEntry, Measure, Municipality, Partner, PersonRequest, Referral,
    PseudonymSetting, RetentionRun, RetentionSetting, Review, User,
)
from .errors import NotFound, PermissionDenied

FACILITATOR, ADVISOR, COORDINATOR, ADMIN = "facilitator", "advisor", "coordinator", "admin"
# Roles that work on the cases of their own municipality.
CASE_WORKERS = frozenset({FACILITATOR, COORDINATOR})
# Roles that accompany municipalities assigned to them and see those municipalities' cases.
ACCOMPANYING = frozenset({ADVISOR, ADMIN})
# Roles that read the persons of a case as pseudonyms where its municipality says so (partners too).
PSEUDONYM_READERS = ACCOMPANYING

# action -> roles that may do it (within the user's scope). Least privilege where unsaid.
PERMISSIONS: dict[str, frozenset[str]] = {
    "case.view": frozenset({FACILITATOR, COORDINATOR, ADVISOR, ADMIN}),
    "case.create": CASE_WORKERS,
    "case.edit": CASE_WORKERS,
    "case.transition": CASE_WORKERS,
    "case.measure": CASE_WORKERS,
    "case.follow_up": CASE_WORKERS,
    "tasks.view": frozenset({FACILITATOR, COORDINATOR, ADVISOR}),  # "Meine Aufgaben", digest, calendar
    "case.assign": CASE_WORKERS,
    "case.comment": frozenset({FACILITATOR, COORDINATOR, ADVISOR}),
    "case.deliveries": CASE_WORKERS,  # see the partner notifications of a case
    "analysis.edit": CASE_WORKERS,  # actors, relations, issues, history, hearings, resources
    "analysis.assess": frozenset({FACILITATOR, COORDINATOR, ADVISOR}),  # a Glasl assessment, each side its own
    "referral.propose": CASE_WORKERS,
    "referral.decide": frozenset({ADVISOR}),  # the second pair of eyes
    "case.attach": CASE_WORKERS,  # add and remove attachments (all who see a case may open them)
    "study.prepare": CASE_WORKERS,  # prepare and release the anonymised study of a closed case
    "study.withdraw": CASE_WORKERS,  # take a released study of their municipality out of the library
    # Read the library of released studies of every municipality (by design, the one view across).
    "studies.read": frozenset({FACILITATOR, COORDINATOR, ADVISOR}),
    "case.export": frozenset({FACILITATOR, COORDINATOR, ADVISOR}),  # the filtered list as CSV/XLSX
    "review.request": CASE_WORKERS,
    "review.give": frozenset({ADVISOR}),
    "review.queue": frozenset({ADVISOR}),
    "access_log.view": frozenset({COORDINATOR}),
    "retention.manage": frozenset({COORDINATOR}),  # the municipality's retention periods and dry run
    "pseudonyms.manage": frozenset({COORDINATOR}),  # whether advisors and partners read persons as pseudonyms
    "case.pseudonyms": CASE_WORKERS,  # lift the pseudonyms for one case (with a reason), or restore them
    "person_request.manage": frozenset({COORDINATOR}),  # find, export, erase a person (Art. 15, 17)
    "users.manage": frozenset({COORDINATOR, ADMIN}),
    "users.any_municipality": frozenset({ADMIN}),  # invite into any municipality, not only one's own
    "municipalities.manage": frozenset({ADMIN}),
    "assignments.manage": frozenset({ADMIN}),
    "partners.manage": frozenset({COORDINATOR}),
    "plugins.manage": frozenset({COORDINATOR}),  # switch plugins on or off for the municipality, set them
}

# Roles each managing role may give.
ASSIGNABLE_ROLES = {
    ADMIN: (FACILITATOR, COORDINATOR, ADVISOR, ADMIN),
    COORDINATOR: (FACILITATOR, COORDINATOR),
}


def can(user, action: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.active and user.role in PERMISSIONS[action]


def allowed_actions(user) -> frozenset[str]:
    """The actions ``user`` may do, by the same rule as :func:`can` (for a page that asks about
    many: the user is looked at once)."""
    if not (getattr(user, "is_authenticated", False) and user.active):
        return frozenset()
    role = user.role
    return frozenset(action for action, roles in PERMISSIONS.items() if role in roles)


def require(user, action: str) -> None:
    """Refuse (403) unless ``user``'s role may do ``action``."""
    if not can(user, action):
        raise PermissionDenied(action)


def get(user, action: str, model, object_id, *, options=(), lock: bool = False):
    """The object of ``model`` with ``object_id`` that ``user`` may do ``action`` with.

    Not found (404) when it does not exist or lies outside the user's scope, refused (403) when
    the user sees it but their role may not do ``action``. ``lock`` takes a row lock for a change
    and reads the row as it stands under the lock (an object read earlier in the request keeps no
    older values).
    """
    if not is_id(object_id):
        raise NotFound()
    query = select(model).options(*options).where(model.id == object_id, visible(user, model))
    if lock:
        query = query.with_for_update(of=model).execution_options(populate_existing=True)
    found = db.session.scalars(query).one_or_none()
    if found is None:
        raise NotFound()
    require(user, action)
    return found


def visible(user, model):
    """SQL condition for the rows of ``model`` that ``user`` may see at all."""
    return _SCOPES[model](user)


def case_scope(user):
    """SQL condition for the cases ``user`` may see: case workers their municipality's, advisors
    (and admins, where assigned like an advisor) those of the municipalities assigned to them."""
    return municipality_scope(user, Case.municipality_id)


def municipality_scope(user, column):
    """SQL condition: ``column`` (a municipality id) is one whose cases ``user`` sees."""
    if not getattr(user, "is_authenticated", False) or not user.active:
        return false()
    if (own := sole_municipality_id(user)) is not None:
        return column == own
    if user.role in ACCOMPANYING:
        return column.in_(select(AdvisorAssignment.municipality_id).where(AdvisorAssignment.advisor_id == user.id))
    return false()


def sole_municipality_id(user) -> int | None:
    """The one municipality whose cases ``user`` sees when it is their own (case workers), known
    without asking the database; None for everybody else (see :func:`municipality_scope`)."""
    if getattr(user, "is_authenticated", False) and user.active and user.role in CASE_WORKERS:
        return user.municipality_id
    return None


def visible_municipalities(user):
    """SQL condition for the municipalities whose cases ``user`` sees (see :func:`case_scope`)."""
    return municipality_scope(user, Municipality.id)


def own_municipality(user, column):
    """SQL condition: ``column`` (a municipality id) is the user's own municipality."""
    if getattr(user, "is_authenticated", False) and user.role in CASE_WORKERS and user.municipality_id is not None:
        return column == user.municipality_id
    return false()


def user_scope(manager):
    """SQL condition for the accounts ``manager`` may see and change: an admin's all, a
    coordinator's the case workers of their municipality."""
    if not can(manager, "users.manage"):
        return false()
    if can(manager, "users.any_municipality"):
        return true()
    return own_municipality(manager, User.municipality_id) & User.role.in_(CASE_WORKERS)


def case_workers_of(municipality_id: int):
    """SQL condition for the people who can be made responsible for a case of a municipality."""
    return (User.municipality_id == municipality_id) & User.role.in_(CASE_WORKERS) & User.active.is_(True)


def is_case_worker_of(user_id, municipality_id: int) -> bool:
    """Whether ``user_id`` names a person who can be made responsible for a case there."""
    return is_id(user_id) and bool(db.session.scalar(
        select(User.id).where(User.id == user_id, case_workers_of(municipality_id))
    ))


def accompanies(user_id, municipality_id: int) -> bool:
    """Whether ``user_id`` names an active advisor who accompanies the municipality."""
    return is_id(user_id) and bool(db.session.scalar(
        select(AdvisorAssignment.id).join(User, User.id == AdvisorAssignment.advisor_id)
        .where(AdvisorAssignment.advisor_id == user_id, AdvisorAssignment.municipality_id == municipality_id,
               User.active.is_(True))
    ))


def reviews_to_answer(user):
    """SQL condition for the review requests ``user`` may answer: those asked of them, and those
    asked of any advisor of the municipality (nobody named)."""
    if not can(user, "review.give"):
        return false()
    return (Review.status == "requested") & (Review.advisor_id.is_(None) | (Review.advisor_id == user.id))


def asked_personally(user):
    """SQL condition: a review request names ``user`` (else it is asked of any advisor of the
    municipality, or of someone else)."""
    return Review.advisor_id.is_not(None) & (Review.advisor_id == user.id)  # never NULL: true or false


def may_answer(user, review) -> bool:
    return can(user, "review.give") and review.status == "requested" and review.advisor_id in (None, user.id)


def may_accompany(user) -> bool:
    """Whether ``user`` can be assigned to accompany a municipality (advisors, admins)."""
    return user.role in ACCOMPANYING


def roles_assignable_by(manager) -> tuple[str, ...]:
    return ASSIGNABLE_ROLES.get(manager.role, ()) if can(manager, "users.manage") else ()


def municipality_of_new_user(manager, requested_id):
    """Where a person that ``manager`` invites belongs: anywhere for an admin, else the
    manager's own municipality whatever was asked."""
    return requested_id if can(manager, "users.any_municipality") else manager.municipality_id


def reads_pseudonyms(user) -> bool:
    """Whether ``user``'s role reads persons as pseudonyms where a municipality asks for it (the
    rest: services.pseudonyms)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in PSEUDONYM_READERS


def tandem_side(user) -> str:
    """The side of the tandem ``user`` judges from: the external advisor's, or the process
    facilitation's (facilitators and coordinators of the municipality)."""
    return "advisor" if user.role == ADVISOR else "facilitator"


def referrals_to_decide(user):
    """SQL condition for the referral proposals ``user`` may confirm or decline."""
    if not can(user, "referral.decide"):
        return false()
    return (Referral.status == "proposed") & Referral.case_id.in_(select(Case.id).where(case_scope(user)))


def is_id(value) -> bool:
    """Whether ``value`` is an id the database can hold: an int from 1 to 2^31 - 1 (PostgreSQL's
    integer); forms and paging parse ids by this rule too."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _of_visible_cases(model):
    return lambda user: model.case_id.in_(select(Case.id).where(case_scope(user)))


_SCOPES = {
    Case: case_scope,
    **{model: _of_visible_cases(model) for model in (
        AnalysisActor, ActorRelation, DisputeIssue, HistoryEntry, GroupHearing, AnalysisResource, Referral,
    )},
    CaseCount: lambda user: municipality_scope(user, CaseCount.municipality_id),
    Review: lambda user: Review.case_id.in_(select(Case.id).where(case_scope(user))),
    CaseAccess: lambda user: own_municipality(user, CaseAccess.municipality_id),
    Measure: lambda user: municipality_scope(user, Measure.municipality_id),
    FollowUp: lambda user: municipality_scope(user, FollowUp.municipality_id),
    Partner: lambda user: own_municipality(user, Partner.municipality_id),
    Delivery: lambda user: own_municipality(user, Delivery.municipality_id),
    RetentionSetting: lambda user: own_municipality(user, RetentionSetting.municipality_id),
    PseudonymSetting: lambda user: own_municipality(user, PseudonymSetting.municipality_id),
    RetentionRun: lambda user: own_municipality(user, RetentionRun.municipality_id),
    PersonRequest: lambda user: own_municipality(user, PersonRequest.municipality_id),
    User: user_scope,
    AdvisorAssignment: lambda user: true() if can(user, "assignments.manage") else false(),
}
