"""What a partner is told about an event: the same facts for every channel, minimised."""
from .. import domain
from ..services.analysis_snapshot import Analysis


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
        actors = Analysis(case).actors
        body["case"].update(
            title=case.title, description=case.description,
            parties=", ".join(a.name for a in actors if not a.affected),
            affected_groups=", ".join(a.name for a in actors if a.affected),
        )
    return body
