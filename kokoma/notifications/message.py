"""What a partner is told about an event: the same facts for every channel, minimised."""
from .. import domain
from ..services import pseudonyms
from ..services.analysis_snapshot import Analysis


def partner_names(case) -> pseudonyms.Pseudonyms:
    """How partners read the case's persons: pseudonyms where its municipality says so and the
    case is not lifted. A channel that writes text of the case passes it through ``.text``; a
    channel's templates get it by themselves (deliveries render inside ``pseudonyms.shown_with``)."""
    return pseudonyms.for_cases(None, [case.id])


def event_label(event, workflow) -> str:
    return domain.event_label(event, workflow.state_label)


def case_link(case, delivery) -> str:
    return f"{delivery.base_url.rstrip('/')}/cases/{case.id}"


def payload(case, event, partner, delivery) -> dict:
    """The JSON body of a webhook call (schema "kokoma.notification/1", see docs/notifications.md)."""
    body = {
        "schema": "kokoma.notification/1",
        "idempotency_key": delivery.idempotency_key,
        "attempt": delivery.attempt,
        "event": {
            "id": event.id,
            "kind": event.kind,
            "trigger": event.trigger,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "at": event.created_at.isoformat(),
        },
        "case": {
            "reference": case.reference,
            "category": case.category,
            "state": case.state,
            "escalation_level": case.escalation_level,
            "url": case_link(case, delivery),
        },
        "municipality": {"code": case.municipality.code, "name": case.municipality.name},
        "partner": {"id": partner.id, "name": partner.name},
    }
    if event.kind == "escalation_raised":
        body["event"]["levels"] = {"from": event.payload.get("from"), "to": event.payload.get("to")}
    if partner.share_details:
        body["case"].update(details(case))
    return body


def details(case) -> dict:
    """What a partner allowed to know more is told (``share_details``): title, description, the
    parties and the affected groups, the persons as partners read them."""
    actors = Analysis(case).actors
    names = partner_names(case)
    return {
        "title": names.text(case.title), "description": names.text(case.description),
        "parties": ", ".join(names.name(a) for a in actors if not a.affected),
        "affected_groups": ", ".join(names.name(a) for a in actors if a.affected),
    }
