"""The outbox: inside the transaction of an event, one :class:`Delivery` per subscribed partner
and channel, so that the change and its notifications are saved together, or neither is."""
import uuid

from sqlalchemy import select

from ..domain import level_rank
from ..models import Case, CaseEvent, Delivery, Partner


def subscription_key(event: CaseEvent) -> str | None:
    if event.kind == "transition":
        return f"transition:{event.trigger}"
    if event.kind in ("created", "review_given", "escalation_raised"):
        return event.kind
    return None  # comments, measures, edits and the like stay inside the tandem


def subscribed(partner: Partner, case: Case, event: CaseEvent) -> bool:
    key = subscription_key(event)
    if key is None or not partner.active:
        return False
    if partner.events and key not in partner.events and not (
        key.startswith("transition:") and "transition" in partner.events
    ):
        return False
    if partner.categories and case.category not in partner.categories:
        return False
    return level_rank(case.escalation_level) >= level_rank(partner.min_level)


def queue_for_event(session, case: Case, event: CaseEvent, plugins) -> int:
    """Write the deliveries of an event, one per subscribed partner and channel of the plugin
    host ``plugins`` (each plugin implementing ``kokoma_notify_partners``); returns how many."""
    if subscription_key(event) is None:
        return 0
    channels = [plugins.plugins[impl.plugin_name].channel
                for impl in plugins.implementations_for("kokoma_notify_partners", case=case)]
    if not channels:
        return 0
    partners = session.scalars(
        select(Partner).where(Partner.municipality_id == case.municipality_id, Partner.active.is_(True))
    ).all()
    count = 0
    for partner in partners:
        if subscribed(partner, case, event):
            for channel in channels:
                session.add(Delivery(
                    event_id=event.id, case_id=case.id, municipality_id=case.municipality_id,
                    partner_id=partner.id, channel=channel, idempotency_key=uuid.uuid4().hex,
                ))
                count += 1
    return count
