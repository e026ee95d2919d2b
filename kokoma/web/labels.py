"""What every template gets: the method's vocabularies, the workflow's state labels, the
languages to switch to, and the ``|datetime`` filter."""
from babel import Locale
from flask_babel import format_datetime, get_locale

from .. import domain

# name in templates -> {key: translatable label}; rendered in the reader's language.
VOCABULARIES = {
    name: getattr(domain, name)
    for name in (
        "CATEGORIES", "DELIVERY_STATUSES", "GLASL_STAGES", "LEVELS", "MEASURE_KINDS",
        "PARTNER_KINDS", "RECOMMENDATIONS", "REVIEW_STATUSES", "ROLES",
    )
}


def template_words(workflow, languages) -> dict:
    locale = str(get_locale())
    return {
        **VOCABULARIES,
        "STATES": workflow.state_labels(),
        "event_label": lambda event: domain.event_label(event, workflow.state_label),
        "request_locale": locale,
        "other_languages": [(code, language_name(code)) for code in languages if code != locale],
    }


def language_name(code: str) -> str:
    """A language named in itself ("Deutsch", "English"), as a language switch shows it."""
    return Locale.parse(code).get_display_name(code).capitalize()


def datetime_filter(value, width: str = "short") -> str:
    """The ``|datetime`` filter: in the reader's language and time zone."""
    return format_datetime(value, width) if value else ""
