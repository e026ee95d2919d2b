"""The partner registry of a municipality, managed by its coordinators."""
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import notifications
from ..database import db, write_transaction
from ..domain import CATEGORIES, EVENT_KINDS, LEVELS, PARTNER_KINDS, SUBSCRIBABLE_EVENTS
from ..models import Case, Delivery, Partner
from ..runtime import kokoma
from . import permissions, submissions
from .changes import require_unchanged
from .errors import ConflictError, NotFound, ValidationError


@dataclass
class PartnerInput:
    name: str
    kind: str = "other"
    contact: str = ""
    email: str = ""
    webhook_url: str = ""
    categories: list = field(default_factory=list)
    events: list = field(default_factory=list)
    min_level: str = "low"
    share_details: bool = False
    active: bool = True
    extra: dict = field(default_factory=dict)  # values of the channels' partner fields


def subscribable_events(workflow) -> dict:
    """Keys a partner may subscribe to: logged, any change of state, each trigger, reviews, alerts."""
    events = {key: EVENT_KINDS[key] for key in SUBSCRIBABLE_EVENTS}
    for transition in workflow.definition.transitions:
        events.setdefault(f"transition:{transition.trigger}", transition.label)
    return events


def _validate(data: PartnerInput, workflow) -> None:
    errors = {}
    if not data.name.strip():
        errors["name"] = _l("Please enter a name.")
    if data.kind not in PARTNER_KINDS:
        errors["kind"] = _l("Please choose a kind of partner.")
    if data.email and ("@" not in data.email or len(data.email) > 254):
        errors["email"] = _l("Please enter a valid e-mail address.")
    if data.webhook_url:
        url = urlsplit(data.webhook_url)
        if url.scheme not in ("https", "http") or not url.hostname:
            errors["webhook_url"] = _l("The webhook address starts with https:// (or http:// inside your network).")
        else:
            try:
                notifications.check_webhook_address(data.webhook_url, current_app.config["WEBHOOK_ALLOW_INTERNAL"])
            except notifications.InternalAddress:
                errors["webhook_url"] = _l("This address leads into the network KoKoMa runs in; webhooks may only "
                                           "go to public addresses unless your administrator allows internal ones.")
            except (OSError, ValueError):
                errors["webhook_url"] = _l("The host of this address cannot be found. Please check the address.")
    if not data.email and not data.webhook_url and not any(v not in (None, "", False) for v in data.extra.values()):
        errors["email"] = _l("Give an e-mail address or a webhook address, or both.")
    if any(c not in CATEGORIES for c in data.categories):
        errors["categories"] = _l("Unknown focus area.")
    if any(e not in subscribable_events(workflow) for e in data.events):
        errors["events"] = _l("Unknown event.")
    if data.min_level not in LEVELS:
        errors["min_level"] = _l("Please choose an escalation level.")
    if errors:
        raise ValidationError(errors)


def partners_of(user) -> list[Partner]:
    permissions.require(user, "partners.manage")
    return db.session.scalars(select(Partner).where(permissions.visible(user, Partner)).order_by(Partner.name)).all()


def get_partner(user, partner_id: int) -> Partner:
    return permissions.get(user, "partners.manage", Partner, partner_id)


def save_partner(user, partner_id: int | None, data: PartnerInput, workflow,
                 once: submissions.Once | None = None, seen: str | None = None) -> Partner:
    """Add a partner, or change one; ``seen``: its state the person's form showed
    (services.changes.require_unchanged)."""
    permissions.require(user, "partners.manage")
    _validate(data, workflow)
    with write_transaction() as session:
        submission = submissions.claim(session, once)
        if partner_id is None:
            partner = Partner(municipality_id=user.municipality_id)
            session.add(partner)
        else:
            partner = permissions.get(user, "partners.manage", Partner, partner_id, lock=True)
            require_unchanged(partner, seen)
        for name, value in vars(data).items():
            if name == "extra":
                value = {**(partner.extra or {}), **value}
            setattr(partner, name, value.strip() if isinstance(value, str) else value)
        session.flush()
        submissions.answer(submission, once, partner)
    return partner


def deliveries_of(user, *, per_page: int = 50, before: int | None = None):
    """Deliveries of the user's municipality that did not (yet) arrive (failed, waiting, skipped),
    newest first, paged by id: (rows of (Delivery, reference, Partner), the id to continue before)."""
    permissions.require(user, "partners.manage")
    query = (
        select(Delivery, Case.reference, Partner)
        .join(Case, Case.id == Delivery.case_id)
        .join(Partner, Partner.id == Delivery.partner_id)
        .options(joinedload(Delivery.event))
        .where(permissions.visible(user, Delivery), Delivery.status != "sent")
        .order_by(Delivery.id.desc())
        .limit(per_page + 1)
    )
    if before is not None:
        query = query.where(Delivery.id < before)
    rows = db.session.execute(query).all()
    return rows[:per_page], (rows[per_page - 1].Delivery.id if len(rows) > per_page else None)


def count_failed_deliveries(user) -> int:
    """Deliveries of the user's municipality that were given up on (status "failed")."""
    permissions.require(user, "partners.manage")
    return db.session.scalar(
        select(func.count()).select_from(Delivery).where(permissions.visible(user, Delivery), Delivery.status == "failed")
    )


class DeliveryBeingSent(ConflictError):
    message = _l("This message is being sent right now; its outcome shows here in a moment.")


def retry_delivery(user, delivery_id: int) -> Delivery:
    """Send a failed (or waiting) delivery on its way again now; not one a worker is sending."""
    with write_transaction():
        delivery = permissions.get(user, "partners.manage", Delivery, delivery_id, lock=True)
        if delivery.status == "sending":
            raise DeliveryBeingSent()
        if not notifications.retry(delivery):
            raise NotFound()  # delivered or skipped already: nothing to send again
    notifications.wake(kokoma().dispatcher)
    return delivery


def delivery_summary_of_case(user, case) -> list[tuple[str, dict[str, int]]]:
    """Per partner, how many notifications of one case are in which state ("Jugendamt: 3
    delivered, 1 waiting"), for the case workers of its municipality; one query."""
    permissions.require(user, "case.deliveries")
    summary: dict[str, dict[str, int]] = {}
    for name, status, count in db.session.execute(
        select(Partner.name, Delivery.status, func.count())
        .join(Partner, Partner.id == Delivery.partner_id)
        .where(Delivery.case_id == case.id, permissions.visible(user, Delivery))
        .group_by(Partner.name, Delivery.status)
        .order_by(Partner.name, Delivery.status)
    ):
        summary.setdefault(name, {})[status] = count
    return list(summary.items())
