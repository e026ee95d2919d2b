"""The vocabulary of the method: focus areas, Glasl stages, escalation levels, roles."""
from .i18n import Label as _l

CATEGORIES = {
    "anti_democratic": _l("Anti-democratic attitudes"),
    "public_space": _l("Use of public space that excludes groups"),
    "protest_movement": _l("Protest movements that may radicalise"),
    "identity_belonging": _l("Identity and belonging"),
    "integration_migration": _l("Integration, migration, flight and religion"),
    "polarisation": _l("Polarising public conflicts"),
    "other": _l("Other"),
}

GLASL_STAGES = {
    1: _l("Hardening"),
    2: _l("Debate, polemics"),
    3: _l("Actions, not words"),
    4: _l("Images and coalitions"),
    5: _l("Loss of face"),
    6: _l("Strategies of threat"),
    7: _l("Limited destructive blows"),
    8: _l("Fragmentation of the enemy"),
    9: _l("Together into the abyss"),
}

# Lower bound of each escalation level, highest first.
LEVEL_THRESHOLDS = (("critical", 80), ("high", 60), ("elevated", 30), ("low", 0))
LEVELS = {
    "low": _l("low"),
    "elevated": _l("elevated"),
    "high": _l("high"),
    "critical": _l("critical"),
}

ROLES = {
    "facilitator": _l("Process facilitator"),
    "advisor": _l("External advisor (SPI)"),
    "coordinator": _l("Municipal coordinator"),
    "admin": _l("Administrator"),
}

MEASURE_KINDS = {
    "dialogue": _l("Dialogue format"),
    "mediation": _l("Mediation"),
    "round_table": _l("Round table"),
    "referral": _l("Referral"),
    "other": _l("Other measure"),
}


def level_for(score: int) -> str:
    for level, lower_bound in LEVEL_THRESHOLDS:
        if score >= lower_bound:
            return level
    return "low"

EVENT_KINDS = {
    "created": _l("Case logged"),
    "edited": _l("Case edited"),
    "transition": _l("State changed"),
    "comment": _l("Comment"),
    "measure": _l("Measure recorded"),
    "plugin_error": _l("Plugin error"),
    "review_requested": _l("Review requested"),
    "review_given": _l("Review given"),
    "assigned": _l("Assignment changed"),
    "escalation_raised": _l("Escalation level rose"),
    "attachment_added": _l("Attachment added"),
    "attachment_removed": _l("Attachment removed"),
}

RECOMMENDATIONS = {
    "continue": _l("Continue as planned"),
    "adjust": _l("Adjust the measures"),
    "refer": _l("Refer (no mediation: openly anti-democratic stance)"),
    "close": _l("Ready to close"),
}

REVIEW_STATUSES = {
    "requested": _l("requested"),
    "given": _l("given"),
    "superseded": _l("superseded"),
}

PARTNER_KINDS = {
    "youth_welfare": _l("Youth welfare"),
    "police_prevention": _l("Police prevention"),
    "civil_society": _l("Civil society"),
    "spi_advisory": _l("SPI advisory"),
    "other": _l("Other partner"),
}

# Events a partner can subscribe to (labelled by EVENT_KINDS); "transition" covers every change of state.
SUBSCRIBABLE_EVENTS = ("created", "transition", "review_given", "escalation_raised")


def event_label(event, state_label) -> str:
    """What happened, in words: the kind of event, and for a change of state from where to where
    (``state_label`` names a state)."""
    label = str(EVENT_KINDS.get(event.kind, event.kind))
    if event.kind == "transition":
        return f"{label}: {state_label(event.from_state)} → {state_label(event.to_state)}"
    return label


def level_rank(level: str) -> int:
    return [name for name, _bound in reversed(LEVEL_THRESHOLDS)].index(level)

DELIVERY_STATUSES = {
    "pending": _l("waiting"),
    "sent": _l("delivered"),
    "skipped": _l("skipped"),
    "failed": _l("failed"),
}

# What an entry of the access trail records (CaseAccess.action).
ACCESS_ACTIONS = {
    "view": _l("opened"),
    "export_csv": _l("exported (CSV)"),
    "export_xlsx": _l("exported (XLSX)"),
    "attachment": _l("opened an attachment"),
    "report_pdf": _l("printed the report (PDF)"),
}
