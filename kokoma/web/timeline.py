"""What an event of the trail changed, in the reader's words: each edited field with its old and
new value, an assignment from whom to whom, a level from and to."""
from datetime import date, datetime

from flask_babel import format_date
from flask_babel import gettext as _

from .. import domain

SHORTENED = 160  # characters of a long text shown in a change


def changes_in_words(event, names: dict, datetime_format) -> list[tuple[str, str, str]]:
    """(what, old, new) for each change the event records; empty for events that change no field."""
    payload = event.payload or {}
    if event.kind == "edited":
        return [_change(domain.CASE_FIELDS, name, old, new, names, datetime_format)
                for name, (old, new) in (payload.get("changes") or {}).items()]
    if event.kind == "measure_changed":
        return [_change(domain.MEASURE_FIELDS, name, old, new, names, datetime_format)
                for name, (old, new) in (payload.get("changes") or {}).items() if name in domain.MEASURE_FIELDS]
    if event.kind == "assigned":
        before, after = payload.get("before") or {}, payload.get("after") or {}
        rows = []
        for key, label in (("facilitator_id", _("Responsible facilitator")), ("advisor_id", _("Responsible advisor"))):
            if before.get(key) != after.get(key):
                rows.append((label, _person(before.get(key), names), _person(after.get(key), names)))
        return rows
    if event.kind == "escalation_raised":
        return [(_("Escalation level"), str(domain.LEVELS.get(payload.get("from"), payload.get("from"))),
                 str(domain.LEVELS.get(payload.get("to"), payload.get("to"))))]
    return []


def _change(fields, name, old, new, names, datetime_format) -> tuple[str, str, str]:
    label = str(fields.get(name, name))
    return label, _value(name, old, names, datetime_format), _value(name, new, names, datetime_format)


def _value(name, value, names, datetime_format) -> str:
    if value in (None, "", [], {}):
        return "–"
    if name == "category":
        return str(domain.CATEGORIES.get(value, value))
    if name == "kind":
        return str(domain.MEASURE_KINDS.get(value, value))
    if name == "status":
        return str(domain.MEASURE_STATUSES.get(value, value))
    if name == "effect":
        return str(domain.MEASURE_EFFECTS.get(value, value))
    if name == "glasl_stage":
        return f"{value} – {domain.GLASL_STAGES.get(value, '')}"
    if name == "facilitator_id":
        return _person(value, names)
    if name == "responsible":
        kind, _sep, ident = str(value).partition(":")
        return names.get(("partner" if kind == "partner" else "user", int(ident)), "–") if ident.isdigit() else "–"
    if name == "planned_at":
        return datetime_format(datetime.fromisoformat(value))
    if name == "observed_on":
        return format_date(date.fromisoformat(value), "medium")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    text = str(value)
    # cut at a word's end: half a name is what a pseudonym cannot replace
    return text if len(text) <= SHORTENED else text[:SHORTENED - 1].rsplit(" ", 1)[0] + " …"


def _person(user_id, names) -> str:
    return names.get(("user", user_id), "–") if user_id else _("nobody")
