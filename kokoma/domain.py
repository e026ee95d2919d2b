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
    "public_event": _l("Public event"),
    "training": _l("Training"),
    "counselling": _l("Counselling"),
    "referral": _l("Referral"),
    "other": _l("Other measure"),
}

MEASURE_STATUSES = {
    "planned": _l("planned"),
    "done": _l("done"),
    "cancelled": _l("cancelled"),
}

MEASURE_EFFECTS = {
    "helped": _l("helped"),
    "no_change": _l("no change"),
    "worse": _l("made it worse"),
}

# The fields of a measure, as a change event names them.
MEASURE_FIELDS = {
    "kind": _l("Kind of measure"),
    "title": _l("Title"),
    "planned_at": _l("Planned for"),
    "place": _l("Place"),
    "responsible": _l("Responsible"),
    "participants": _l("Participants"),
    "status": _l("Status"),
    "outcome": _l("Outcome"),
    "effect": _l("Effect"),
}

# The fields of a case, as an "edited" event names them.
CASE_FIELDS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "category": _l("Focus area"),
    "location": _l("Location"),
    "observed_on": _l("Date observed"),
    "parties": _l("Parties involved"),
    "affected_groups": _l("Affected groups"),
    "glasl_stage": _l("Glasl stage"),
    "violence_reported": _l("Violence or threats reported"),
    "facilitator_id": _l("Responsible facilitator"),
    "extra": _l("Further fields"),
}


# --- the conflict analysis (issue 15; docs in ../shared/ANALYSIS.md) ---------------------------

# Glasl's three levels, and each stage's description as the analysis shows it beside the choice.
GLASL_LEVELS = {
    "win_win": _l("win–win"),
    "win_lose": _l("win–lose"),
    "lose_lose": _l("lose–lose"),
}
GLASL_LEVEL_OF_STAGE = {stage: ("win_win", "win_lose", "lose_lose")[(stage - 1) // 3] for stage in range(1, 10)}
GLASL_DESCRIPTIONS = {
    1: _l("Positions harden and clash now and then; the parties still believe the tension can be solved by talking."),
    2: _l("Debate and polemics: thinking, feeling and wanting polarise; each side tries to win the argument."),
    3: _l("Talking no longer helps: each side acts and presents the other with accomplished facts; empathy is lost."),
    4: _l("Images and coalitions: stereotypes of the other side spread; each side looks for supporters."),
    5: _l("Loss of face: public and direct attacks aim to unmask the opponent as immoral."),
    6: _l("Strategies of threat: threats and counter-threats; ultimatums speed the conflict up."),
    7: _l("Limited destructive blows: the other side is no longer seen as human; limited harm is taken as gain."),
    8: _l("Fragmentation: the aim is to destroy the other side's power base and cohesion."),
    9: _l("Together into the abyss: total confrontation; one's own ruin is accepted to destroy the other."),
}
CONFLICT_TEMPERATURES = {
    "hot": _l("hot (open, loud, eager to act)"),
    "cold": _l("cold (withdrawn, blocked, avoiding contact)"),
}
ACTOR_KINDS = {
    "person": _l("Person"),
    "group": _l("Group"),
    "organisation": _l("Organisation"),
    "institution": _l("Institution"),
}
ACTOR_ROLES = {
    "primary": _l("Primary party"),
    "secondary": _l("Secondary party"),
    "third": _l("Third party"),
}
INFLUENCE = {
    "low": _l("low"),
    "medium": _l("medium"),
    "high": _l("high"),
}
RELATION_KINDS = {
    "alliance": _l("Alliance"),
    "close": _l("Close"),
    "weak": _l("Weak or informal"),
    "tension": _l("Tension"),
    "conflict": _l("Conflict"),
    "broken": _l("Broken off"),
    "influence": _l("Influence (directed)"),
}
ISSUE_KINDS = {
    "facts": _l("Facts"),
    "interests": _l("Interests"),
    "values": _l("Values"),
    "relationship": _l("Relationship"),
    "structural": _l("Structural"),
}
HEARING_FORMATS = {
    "one_to_one": _l("One-to-one talk"),
    "group_talk": _l("Group talk"),
    "survey": _l("Survey"),
    "other": _l("Other format"),
}
THREAT_LEVELS = {
    "none": _l("no threat"),
    "low": _l("low"),
    "elevated": _l("elevated"),
    "high": _l("high"),
}
RESOURCE_KINDS = {
    "resource": _l("Local capacity"),
    "ally": _l("Ally"),
    "settlement": _l("Existing way of settling disputes"),
}
# The parts of the analysis, as the trail names them.
ANALYSIS_PARTS = {
    "actor": _l("Actor"),
    "relation": _l("Relation"),
    "issue": _l("Issue in dispute"),
    "history": _l("History entry"),
    "hearing": _l("Affected group heard"),
    "resource": _l("Resource or ally"),
    "glasl": _l("Glasl assessment"),
    "fields": _l("Local analysis fields"),
}
ANALYSIS_ACTIONS = {
    "added": _l("added"),
    "changed": _l("changed"),
    "removed": _l("removed"),
}
TANDEM_SIDES = {
    "facilitator": _l("Process facilitation"),
    "advisor": _l("External advisor"),
}
REFERRAL_STATUSES = {
    "proposed": _l("proposed, waiting for the advisor"),
    "confirmed": _l("confirmed by the advisor"),
    "declined": _l("declined by the advisor"),
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
    "measure_added": _l("Measure added"),
    "measure_changed": _l("Measure changed"),
    "follow_up_set": _l("Follow-up set"),
    "follow_up_done": _l("Follow-up done"),
    "plugin_error": _l("Plugin error"),
    "review_requested": _l("Review requested"),
    "review_given": _l("Review given"),
    "assigned": _l("Assignment changed"),
    "escalation_raised": _l("Escalation level rose"),
    "analysis_changed": _l("Analysis changed"),
    "referral_proposed": _l("Referral proposed"),
    "referral_declined": _l("Referral declined by the advisor"),
    "attachment_added": _l("Attachment added"),
    "attachment_removed": _l("Attachment removed"),
    "pseudonyms_lifted": _l("Names shown to advisors and partners"),
    "pseudonyms_restored": _l("Pseudonyms restored for advisors and partners"),
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
    "sending": _l("being sent"),
    "sent": _l("delivered"),
    "skipped": _l("skipped"),
    "failed": _l("failed"),
}

# What an entry of the access trail records (CaseAccess.action).
ACCESS_ACTIONS = {
    "view": _l("opened the case"),
    "trail_read": _l("read the access trail"),
    "trail_export": _l("exported the access trail"),
    "case_trail": _l("looked at who saw the case"),
    "person_search": _l("searched the cases for a person"),
    "person_export": _l("exported what the cases hold about a person"),
    "export_csv": _l("exported (CSV)"),
    "export_xlsx": _l("exported (XLSX)"),
    "attachment": _l("opened an attachment"),
    "report_pdf": _l("printed the report (PDF)"),
}
