"""What every template gets, in the reader's language: ``gettext`` bound to the page's catalogue,
the method's vocabularies, the workflow's state labels, the languages to switch to, and the
``|datetime`` filter. Each rendering looks the catalogue, locale and time zone up once
(:mod:`kokoma.i18n` says why)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import parse_pattern, tokenize_pattern
from flask_babel import format_datetime, get_locale, get_timezone, get_translations
from jinja2 import pass_context
from markupsafe import escape

from .. import domain
from ..i18n import ShownAsKey, Vocabulary, bound_gettext, translate, translated

# name in templates -> {key: label}
VOCABULARIES = {
    name: getattr(domain, name)
    for name in (
        "ACCESS_ACTIONS", "CATEGORIES", "DELIVERY_STATUSES", "GLASL_STAGES", "LEVELS", "MEASURE_EFFECTS",
        "MEASURE_KINDS", "MEASURE_STATUSES", "PARTNER_KINDS", "RECOMMENDATIONS", "REVIEW_STATUSES", "ROLES",
        # the conflict analysis
        "ACTOR_KINDS", "ACTOR_ROLES", "ANALYSIS_ACTIONS", "ANALYSIS_PARTS", "CONFLICT_TEMPERATURES",
        "GLASL_DESCRIPTIONS", "GLASL_LEVELS", "HEARING_FORMATS", "INFLUENCE", "ISSUE_KINDS", "REFERRAL_STATUSES",
        "RELATION_KINDS", "RESOURCE_KINDS", "TANDEM_SIDES", "THREAT_LEVELS",
    )
}


def template_words(workflow, languages: list[tuple[str, str]]) -> dict:
    """The words of a page; ``languages`` are (code, name in itself) of the configured languages
    (:func:`language_names`)."""
    locale = get_locale()
    catalogue = get_translations()
    states = ShownAsKey(translated(workflow.state_labels(), catalogue))
    return {
        **bound_gettext(catalogue),
        "translate": lambda label: translate(label, catalogue),  # a Label (form labels) as text
        **{name: Vocabulary(labels, catalogue) for name, labels in VOCABULARIES.items()},
        "STATES": states,
        "final_states": workflow.definition.final_states,
        "event_label": lambda event: domain.event_label(event, states.__getitem__),
        "request_locale": str(locale),
        "other_languages": [(code, name) for code, name in languages if code != str(locale)],
        "datetime_format": DateTimeFormat(locale, ZoneInfo(str(get_timezone()))),
    }


class EscapedLabels(dict):
    """Labels by key as HTML, escaped once per page; a key without a label shows as itself."""

    def __missing__(self, key):
        return escape(key)


def html_labels(labels) -> EscapedLabels:
    """A vocabulary's labels escaped for HTML, for a table that writes them in every row."""
    return EscapedLabels({key: escape(label) for key, label in labels.items()})


def language_names(codes) -> list[tuple[str, str]]:
    """(code, name in itself) of each language, for the language switch (named once per app: a
    name never changes, and Babel looks up the locale's data for it)."""
    return [(code, language_name(code)) for code in codes]


def language_name(code: str) -> str:
    """A language named in itself ("Deutsch", "English"), as a language switch shows it."""
    return Locale.parse(code).get_display_name(code).capitalize()


class DateTimeFormat:
    """Points in time as the reader writes them, in their time zone: what Babel's
    ``format_datetime`` does, with the locale's patterns looked up once per page and joined into
    one (the locale's glue, such as ``{1}, {0}``, with its date and time patterns put in).

    A pattern of numbers only (day, month, year, hours, minutes, seconds and the locale's am/pm,
    as the short width of most locales) becomes one ``str.format`` template, so that a value is
    written in one call instead of Babel's object and call per field (some 40,000 instructions a
    value, 50 a page); any other pattern is applied by Babel."""

    def __init__(self, locale: Locale, zone, width: str = "short"):
        self.locale, self.zone = locale, zone
        glue = str(locale.datetime_formats[width])
        self.pattern = parse_pattern(
            glue.replace("{0}", locale.time_formats[width].pattern).replace("{1}", locale.date_formats[width].pattern)
        )
        self.template = _format_template(self.pattern.pattern)
        self.periods = ("", "")
        if self.template is not None and "{3}" in self.template:  # the am/pm names as Babel writes them
            self.periods = tuple(parse_pattern("a").apply(datetime(2000, 1, 1, hour, tzinfo=timezone.utc), locale)
                                 for hour in (0, 12))

    def __call__(self, value) -> str:
        local = value.astimezone(self.zone)
        if self.template is None:
            return self.pattern.apply(local, self.locale)
        return self.template.format(local, local.year % 100, local.hour % 12 or 12, self.periods[local.hour >= 12])


# Babel's numeric fields (character, length) as str.format fields of the arguments of
# DateTimeFormat.__call__: 0 the local time, 1 its year's last two digits, 2 its hour on a
# 12-hour clock, 3 its am/pm name. Babel pads a number to the field's length.
_NUMERIC_FIELDS = {"d": "0.day", "M": "0.month", "y": "0.year", "H": "0.hour", "h": "2", "m": "0.minute",
                   "s": "0.second"}


def _format_template(pattern: str) -> str | None:
    """``pattern`` (Babel's syntax) as a ``str.format`` template, or None if it has other fields."""
    parts = []
    for kind, token in tokenize_pattern(pattern):
        if kind == "chars":
            parts.append(token.replace("{", "{{").replace("}", "}}"))
            continue
        char, length = token
        if char == "y" and length == 2:
            parts.append("{1:02d}")
        elif char == "a" and length <= 3:
            parts.append("{3}")
        elif char in _NUMERIC_FIELDS and (char != "M" or length <= 2):
            parts.append(f"{{{_NUMERIC_FIELDS[char]}:0{length}d}}")
        else:
            return None
    return "".join(parts)


@pass_context
def datetime_filter(context, value, width: str = "short") -> str:
    """The ``|datetime`` filter: in the reader's language and time zone."""
    if not value:
        return ""
    page_format = context.get("datetime_format")
    if width == "short" and page_format is not None:
        return page_format(value)
    return format_datetime(value, width)
