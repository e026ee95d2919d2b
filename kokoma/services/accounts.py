"""Municipalities, users, passwords, invitations and advisors' assignments."""
import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash

from ..database import db, utcnow, write_transaction, writing
from ..domain import ROLES
from ..models import AdvisorAssignment, LoginSession, Municipality, User
from . import login_limits, password_strength, permissions, reviews, submissions
from .errors import NotFound, ValidationError

CODE_PATTERN = re.compile(r"^[A-Z]{2,8}$")
INVITATION_VALIDITY = timedelta(days=7)
# How often a login session's last_seen_at is written: not on every request.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
# Hashes written by Werkzeug (scrypt, pbkdf2) before KoKoMa used argon2id; upgraded at login.
LEGACY_HASH_PREFIXES = ("scrypt:", "pbkdf2:")


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["PASSWORD_HASH_PARAMS"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_problems(password: str, *, email: str = "", name: str = "") -> list:
    """What is wrong with a new password, in words; empty when it is fine. The strength is
    zxcvbn's estimate with a German word list (:mod:`.password_strength`); the person's name,
    e-mail address and "kokoma" are words a guesser would try first."""
    local_part, _, domain = email.strip().lower().partition("@")
    user_inputs = [name, *re.split(r"[\s.,_+-]+", name), email, local_part, *re.split(r"[._+-]+", local_part),
                   *domain.split(".")[:-1], "kokoma"]
    return password_strength.problems(password, [word for word in user_inputs if len(word) >= 3])


def _verify(user: User, password: str) -> bool:
    if user.password_hash.startswith(LEGACY_HASH_PREFIXES):
        return check_password_hash(user.password_hash, password)
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (the same answer for every failure).

    A hash from an older scheme, or with weaker parameters than configured, is replaced by a
    current argon2id hash while the password is at hand.
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.password_hash == "":
        _hasher().hash(password)  # spend the same time as for a known address
        return None
    if not _verify(user, password) or not user.active:
        return None
    if user.password_hash.startswith(LEGACY_HASH_PREFIXES) or _hasher().check_needs_rehash(user.password_hash):
        with write_transaction():
            user.password_hash = hash_password(password)
            db.session.add(user)
    return user


def log_in(email: str, password: str, address: str | None) -> User | None:
    """Check a login from the client ``address`` within the limits of failed logins
    (:mod:`.login_limits`; raises :class:`~.login_limits.LoginLimited`) and open a login session;
    None when the address or password is wrong (counted against the limits)."""
    place = login_limits.take_place(address, email)
    user = authenticate(email, password)
    if user is None:
        return None
    login_limits.give_back(place)
    return start_session(user)


# --- login sessions ------------------------------------------------------------------------


def start_session(user: User) -> User:
    """Open a login session for ``user`` (after :func:`authenticate`): a row in
    ``login_sessions`` whose random token the session cookie carries (``user.get_id()``).
    Sessions that ran out, anyone's, are cleared away at the same time."""
    token = secrets.token_urlsafe(32)
    with write_transaction() as session:
        session.execute(delete(LoginSession).where(_expired()).execution_options(synchronize_session=False))
        session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id))
    user.login_token = token
    return user


def user_for_session(token: str) -> User | None:
    """The active user of the login session with this token, if it has not ended or run out
    (``LOGIN_SESSION_IDLE_TIMEOUT`` without a request, ``LOGIN_SESSION_MAX_AGE`` in all)."""
    if not token or len(token) > 100:
        return None
    # The user as an object (the request's current_user), of the login session only the two
    # columns needed here: one object fewer to build on every request.
    row = db.session.execute(
        select(User, LoginSession.id, LoginSession.last_seen_at).join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _token_hash(token), ~_expired())
    ).one_or_none()
    if row is None or not row[0].active:
        return None
    user, login_id, last_seen_at = row
    # Not from inside another change's transaction (a user first loaded there): next time, then.
    if last_seen_at < utcnow() - SESSION_TOUCH_INTERVAL and not writing():
        with write_transaction() as session:
            session.execute(update(LoginSession).where(LoginSession.id == login_id).values(last_seen_at=utcnow()))
    user.login_token = token
    return user


def end_session(user: User) -> None:
    """Log out: the login session ``user`` was loaded for ends, on every worker at once; the
    person's other sessions (another browser, another device) go on."""
    if user.login_token:
        with write_transaction() as session:
            session.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(user.login_token)))
        user.login_token = None


def _end_all_sessions(session, user: User) -> None:
    """Within the caller's write transaction: every login session of ``user`` ends."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def _expired():
    config = current_app.config
    now = utcnow()
    return (LoginSession.last_seen_at < now - timedelta(seconds=config["LOGIN_SESSION_IDLE_TIMEOUT"])) | (
        LoginSession.created_at < now - timedelta(seconds=config["LOGIN_SESSION_MAX_AGE"])
    )


# --- municipalities ------------------------------------------------------------------------


def create_municipality(code: str, name: str, once: submissions.Once | None = None) -> Municipality:
    code = code.strip().upper()
    errors = {}
    if not CODE_PATTERN.match(code):
        errors["code"] = _l("The code has 2 to 8 capital letters, e.g. COE.")
    elif db.session.scalar(select(Municipality.id).where(Municipality.code == code)):
        errors["code"] = _l("This code is taken.")
    if not name.strip():
        errors["name"] = _l("Please enter a name.")
    if errors:
        raise ValidationError(errors)
    with write_transaction() as session:
        submission = submissions.claim(session, once)
        municipality = Municipality(code=code, name=name.strip())
        session.add(municipality)
        submissions.answer(submission, once, municipality)
    return municipality


def municipality_by_code(code: str) -> Municipality | None:
    return db.session.scalar(select(Municipality).where(Municipality.code == code.strip().upper()))


def municipalities() -> list[Municipality]:
    return db.session.scalars(select(Municipality).order_by(Municipality.name)).all()


# --- users ---------------------------------------------------------------------------------


def _check_new_user(email: str, name: str, role: str, municipality: Municipality | None, manager: User | None = None) -> dict:
    """What is wrong with a new account. For a ``manager`` inviting someone, an address in use
    by an account they cannot see (another municipality's, an advisor's) gets a neutral answer
    that says nothing of the account: which municipality, which role, not even that it is one."""
    errors = {}
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email) or len(email) > 254:
        errors["email"] = _l("Please enter a valid e-mail address.")
    elif existing := db.session.scalar(select(User.id).where(User.email == email)):
        if manager is None or db.session.scalar(
            select(User.id).where(User.id == existing, permissions.visible(manager, User))
        ):
            errors["email"] = _l("A user with this e-mail address exists already.")
        else:
            errors["email"] = _l("This e-mail address cannot be invited here. Please check it, or ask an admin.")
    if not name.strip():
        errors["name"] = _l("Please enter a name.")
    if role not in ROLES:
        errors["role"] = _l("Unknown role.")
    elif role in permissions.CASE_WORKERS and municipality is None:
        errors["municipality"] = _l("Facilitators and coordinators belong to a municipality.")
    return errors


def create_user(*, email: str, name: str, password: str, role: str, municipality: Municipality | None) -> User:
    """Create an account with a password (command line, demo data)."""
    email = email.strip().lower()
    errors = _check_new_user(email, name, role, municipality)
    problems = password_problems(password, email=email, name=name)
    if problems:
        errors["password"] = " ".join(str(p) for p in problems)
    if errors:
        raise ValidationError(errors)
    with write_transaction() as session:
        user = User(
            email=email, name=name.strip(), password_hash=hash_password(password), role=role,
            municipality_id=municipality.id if municipality and role in permissions.CASE_WORKERS else None,
        )
        session.add(user)
    return user


def invite_user(manager: User, *, email: str, name: str, role: str, municipality_id: int | None,
                once: submissions.Once | None = None) -> tuple[User, str]:
    """Create an account without a password and return it with the token of its invitation link.

    A coordinator invites facilitators and coordinators of their own municipality; an admin
    anyone. The person sets their password through the link within seven days.
    """
    permissions.require(manager, "users.manage")
    if role not in permissions.roles_assignable_by(manager):
        raise ValidationError({"role": _l("You cannot give this role.")})
    municipality_id = permissions.municipality_of_new_user(manager, municipality_id)
    municipality = db.session.get(Municipality, municipality_id) if municipality_id else None
    email = email.strip().lower()
    errors = _check_new_user(email, name, role, municipality, manager)
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(32)
    with write_transaction() as session:
        submission = submissions.claim(session, once)
        user = User(
            email=email, name=name.strip(), password_hash="", role=role,
            municipality_id=municipality.id if municipality and role in permissions.CASE_WORKERS else None,
            invitation_hash=_token_hash(token), invitation_expires_at=utcnow() + INVITATION_VALIDITY,
        )
        session.add(user)
        submissions.answer(submission, once, user)
    return user, token


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invited_user(token: str) -> User | None:
    user = db.session.scalar(select(User).where(User.invitation_hash == _token_hash(token)))
    if user is None or user.invitation_expires_at is None or user.invitation_expires_at < utcnow():
        return None
    return user


def accept_invitation(token: str, password: str) -> User:
    user = invited_user(token)
    if user is None:
        raise NotFound()
    problems = password_problems(password, email=user.email, name=user.name)
    if problems:
        raise ValidationError({"password": " ".join(str(p) for p in problems)})
    with write_transaction() as session:
        user.password_hash = hash_password(password)
        user.invitation_hash = None
        user.invitation_expires_at = None
        session.add(user)
        _end_all_sessions(session, user)
    return user


def managed_users(manager: User) -> list[User]:
    permissions.require(manager, "users.manage")
    return db.session.scalars(select(User).where(permissions.user_scope(manager)).order_by(User.name)).all()


def get_managed_user(manager: User, user_id: int) -> User:
    return permissions.get(manager, "users.manage", User, user_id)


def set_active(manager: User, user_id: int, active: bool) -> User:
    """(De)activate an account; deactivating ends all its sessions at once."""
    user = get_managed_user(manager, user_id)
    if user.id == manager.id:
        raise ValidationError({"user": _l("You cannot deactivate your own account.")})
    with write_transaction() as session:
        user.active = active
        session.add(user)
        _end_all_sessions(session, user)
        if not active:
            reviews.release_requests(session, user.id)
    return user


def change_role(manager: User, user_id: int, role: str) -> User:
    user = get_managed_user(manager, user_id)
    if role not in permissions.roles_assignable_by(manager):
        raise ValidationError({"role": _l("You cannot give this role.")})
    if user.id == manager.id:
        raise ValidationError({"role": _l("You cannot change your own role.")})
    if role in permissions.CASE_WORKERS and user.municipality_id is None:
        raise ValidationError({"role": _l("Facilitators and coordinators belong to a municipality.")})
    with write_transaction() as session:
        user.role = role
        session.add(user)
        _end_all_sessions(session, user)  # new rights take effect with a new login
    return user


# --- advisors' assignments -----------------------------------------------------------------


def assignments() -> list[tuple[AdvisorAssignment, User, Municipality]]:
    return db.session.execute(
        select(AdvisorAssignment, User, Municipality)
        .join(User, User.id == AdvisorAssignment.advisor_id)
        .join(Municipality, Municipality.id == AdvisorAssignment.municipality_id)
        .order_by(Municipality.name, User.name)
    ).all()


def assign_advisor(admin: User, advisor_id: int, municipality_id: int,
                   once: submissions.Once | None = None) -> AdvisorAssignment:
    permissions.require(admin, "assignments.manage")
    advisor = db.session.get(User, advisor_id)
    errors = {}
    if advisor is None or not permissions.may_accompany(advisor):
        errors["advisor_id"] = _l("Please choose an advisor.")
    if db.session.get(Municipality, municipality_id) is None:
        errors["municipality_id"] = _l("Please choose a municipality.")
    elif db.session.scalar(select(AdvisorAssignment.id).where(
        AdvisorAssignment.advisor_id == advisor_id, AdvisorAssignment.municipality_id == municipality_id
    )):
        errors["municipality_id"] = _l("This advisor accompanies this municipality already.")
    if errors:
        raise ValidationError(errors)
    with write_transaction() as session:
        submission = submissions.claim(session, once)
        assignment = AdvisorAssignment(advisor_id=advisor_id, municipality_id=municipality_id)
        session.add(assignment)
        submissions.answer(submission, once, assignment)
    return assignment


def unassign_advisor(admin: User, assignment_id: int) -> None:
    with write_transaction() as session:
        assignment = permissions.get(admin, "assignments.manage", AdvisorAssignment, assignment_id, lock=True)
        reviews.release_requests(session, assignment.advisor_id, assignment.municipality_id)
        session.delete(assignment)


def advisors_of(municipality_id: int) -> list[User]:
    return db.session.scalars(
        select(User)
        .join(AdvisorAssignment, AdvisorAssignment.advisor_id == User.id)
        .where(AdvisorAssignment.municipality_id == municipality_id, User.active.is_(True))
        .order_by(User.name)
    ).all()


def all_advisors() -> list[User]:
    return db.session.scalars(
        select(User).where(User.role.in_(permissions.ACCOMPANYING), User.active.is_(True)).order_by(User.name)
    ).all()



def set_locale(user: User, locale: str) -> None:
    with write_transaction():
        user.locale = locale
        db.session.add(user)
