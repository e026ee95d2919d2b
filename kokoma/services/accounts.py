"""Municipalities, users, passwords, invitations and advisors' assignments."""
import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash

from ..database import db, utcnow, write_transaction
from ..domain import ROLES
from ..models import AdvisorAssignment, Municipality, User
from . import permissions, submissions
from .errors import NotFound, ValidationError

CODE_PATTERN = re.compile(r"^[A-Z]{2,8}$")
MIN_PASSWORD_LENGTH = 12
INVITATION_VALIDITY = timedelta(days=7)
# Hashes written by Werkzeug (scrypt, pbkdf2) before KoKoMa used argon2id; upgraded at login.
LEGACY_HASH_PREFIXES = ("scrypt:", "pbkdf2:")
COMMON_PASSWORDS = frozenset({
    "passwort1234", "password1234", "123456789012", "qwertzuiopü", "qwertyuiop12", "hallo1234567",
    "kokoma123456", "sommer202626", "winter2026!!", "willkommen12", "passwort123!", "administrator",
})


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["PASSWORD_HASH_PARAMS"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_problems(password: str, *, email: str = "", name: str = "") -> list:
    """What is wrong with a new password, in words; empty when it is fine."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if len(set(password)) < 5:
        problems.append(_l("The password needs at least 5 different characters."))
    if password.lower() in COMMON_PASSWORDS:
        problems.append(_l("This password is too common."))
    local_part = email.split("@")[0].lower()
    if (local_part and len(local_part) >= 4 and local_part in password.lower()) or (
        name and len(name) >= 4 and name.lower() in password.lower()
    ):
        problems.append(_l("The password must not contain your name or e-mail address."))
    return problems


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


def user_for_session(session_id: str) -> User | None:
    """The user behind a Flask-Login session id ``"<id>:<token>"``, if still valid."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


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


def _check_new_user(email: str, name: str, role: str, municipality: Municipality | None) -> dict:
    errors = {}
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email) or len(email) > 254:
        errors["email"] = _l("Please enter a valid e-mail address.")
    elif db.session.scalar(select(User.id).where(User.email == email)):
        errors["email"] = _l("A user with this e-mail address exists already.")
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
    errors = _check_new_user(email, name, role, municipality)
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
    with write_transaction():
        user.password_hash = hash_password(password)
        user.invitation_hash = None
        user.invitation_expires_at = None
        user.session_token = secrets.token_hex(16)
        db.session.add(user)
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
    with write_transaction():
        user.active = active
        user.session_token = secrets.token_hex(16)
        db.session.add(user)
    return user


def change_role(manager: User, user_id: int, role: str) -> User:
    user = get_managed_user(manager, user_id)
    if role not in permissions.roles_assignable_by(manager):
        raise ValidationError({"role": _l("You cannot give this role.")})
    if user.id == manager.id:
        raise ValidationError({"role": _l("You cannot change your own role.")})
    if role in permissions.CASE_WORKERS and user.municipality_id is None:
        raise ValidationError({"role": _l("Facilitators and coordinators belong to a municipality.")})
    with write_transaction():
        user.role = role
        user.session_token = secrets.token_hex(16)  # new rights take effect with a new login
        db.session.add(user)
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
        session.delete(permissions.get(admin, "assignments.manage", AdvisorAssignment, assignment_id, lock=True))


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
