"""Who may see and do what: the one place that scopes data by municipality and checks roles.

Every query for data a municipality owns goes through :func:`case_scope` (or a helper built on
it); every action is checked against :data:`PERMISSIONS`. Views and other services never filter
by municipality themselves.
"""
from sqlalchemy import false, select

from ..models import AdvisorAssignment, Case, User
from .errors import PermissionDenied

# Roles that work on the cases of their own municipality.
CASE_WORKERS = frozenset({"facilitator", "coordinator"})
FACILITATOR, ADVISOR, COORDINATOR, ADMIN = "facilitator", "advisor", "coordinator", "admin"

# action -> roles that may do it (within the user's scope). Least privilege where unsaid.
PERMISSIONS: dict[str, frozenset[str]] = {
    "case.view": frozenset({FACILITATOR, COORDINATOR, ADVISOR, ADMIN}),
    "case.create": CASE_WORKERS,
    "case.edit": CASE_WORKERS,
    "case.transition": CASE_WORKERS,
    "case.measure": CASE_WORKERS,
    "case.assign": CASE_WORKERS,
    "case.comment": frozenset({FACILITATOR, COORDINATOR, ADVISOR}),
    "review.request": CASE_WORKERS,
    "review.give": frozenset({ADVISOR}),
    "review.queue": frozenset({ADVISOR}),
    "access_log.view": frozenset({COORDINATOR}),
    "users.manage": frozenset({COORDINATOR, ADMIN}),
    "municipalities.manage": frozenset({ADMIN}),
    "assignments.manage": frozenset({ADMIN}),
    "partners.manage": frozenset({COORDINATOR}),
}


# What each kind of case scope lets through, given a municipality or advisor id.
SCOPE_CONDITIONS = {
    "own_municipality": lambda municipality_id: Case.municipality_id == municipality_id,
    "assigned_municipalities": lambda advisor_id: Case.municipality_id.in_(
        select(AdvisorAssignment.municipality_id).where(AdvisorAssignment.advisor_id == advisor_id)
    ),
    "nothing": lambda _value: false(),
}


def case_scope_rule(user) -> tuple[str, int | None]:
    """The cases ``user`` may see: the kind of scope (a key of SCOPE_CONDITIONS) and its value.

    Facilitators and coordinators see their municipality; advisors the municipalities assigned
    to them; an admin sees case content only where also assigned, like an advisor.
    """
    if not getattr(user, "is_authenticated", False) or not user.active:
        return "nothing", None
    if user.role in CASE_WORKERS and user.municipality_id is not None:
        return "own_municipality", user.municipality_id
    if user.role in (ADVISOR, ADMIN):
        return "assigned_municipalities", user.id
    return "nothing", None


def case_scope(user):
    """SQL condition for the cases ``user`` may see; every case query goes through it."""
    kind, value = case_scope_rule(user)
    return SCOPE_CONDITIONS[kind](value)


def municipality_scope(user, column):
    """SQL condition: ``column`` (a municipality id) is the user's own municipality."""
    if getattr(user, "role", None) in CASE_WORKERS and user.municipality_id is not None:
        return column == user.municipality_id
    return false()


def user_scope(manager):
    """SQL condition for the user accounts ``manager`` may see and change."""
    if manager.role == ADMIN:
        return User.id.is_not(None)
    if manager.role == COORDINATOR and manager.municipality_id is not None:
        return (User.municipality_id == manager.municipality_id) & User.role.in_(CASE_WORKERS)
    return false()


def roles_assignable_by(manager) -> tuple[str, ...]:
    if manager.role == ADMIN:
        return (FACILITATOR, COORDINATOR, ADVISOR, ADMIN)
    if manager.role == COORDINATOR:
        return (FACILITATOR, COORDINATOR)
    return ()


def can(user, action: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in PERMISSIONS[action]


def require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(action)
