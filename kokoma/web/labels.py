"""The vocabulary in the request's language, translated once per language instead of once per
row: a page of 50 cases would otherwise call gettext hundreds of times, and format every date
through Babel's full machinery."""
from functools import lru_cache

from babel import Locale, dates
from flask_babel import force_locale, get_locale, get_timezone, get_translations
from jinja2 import pass_context
# The wrappers Jinja's i18n extension itself puts around gettext & co. ("newstyle": autoescape,
# %-formatting with keyword arguments); not exported, but unchanged since Jinja 2.9.
from jinja2.ext import _make_new_gettext, _make_new_ngettext, _make_new_npgettext, _make_new_pgettext

from .. import domain

VOCABULARIES = (
    "CATEGORIES", "DELIVERY_STATUSES", "EVENT_KINDS", "GLASL_STAGES", "LEVELS", "MEASURE_KINDS",
    "PARTNER_KINDS", "RECOMMENDATIONS", "REVIEW_STATUSES", "ROLES",
)


@lru_cache(maxsize=8)
def vocabulary(locale: str) -> dict[str, dict]:
    with force_locale(locale):
        return {name: {key: str(label) for key, label in getattr(domain, name).items()} for name in VOCABULARIES}


@lru_cache(maxsize=16)
def page_words(locale: str, translations, workflow, languages: tuple[str, ...]) -> dict:
    """What every template of one language gets, put together once per language (and catalogue,
    workflow, list of languages) instead of on every rendering: the vocabularies, the state
    names, the other languages to switch to, and ``gettext`` & co. bound to the catalogue.
    Flask-Babel's own callables look the catalogue up again for every string, through several
    context lookups: a page with a few dozen strings paid for that a few dozen times."""
    return {
        **vocabulary(locale),
        **{name: wrap(getattr(translations, method)) for name, (wrap, method) in _GETTEXT_WRAPPERS.items()},
        "request_locale": locale,
        "STATES": state_labels(workflow, locale),
        "other_languages": [(code, name) for code, name in language_names(languages).items() if code != locale],
    }


_GETTEXT_WRAPPERS = {
    "gettext": (_make_new_gettext, "ugettext"),
    "ngettext": (_make_new_ngettext, "ungettext"),
    "pgettext": (_make_new_pgettext, "upgettext"),
    "npgettext": (_make_new_npgettext, "unpgettext"),
}


class StateLabels(dict):
    """State name → label; a state no longer defined shows its name."""

    def __missing__(self, name):
        return name


def state_labels(workflow, locale: str) -> StateLabels:
    cache = workflow.__dict__.setdefault("_labels_by_locale", {})
    if locale not in cache:
        with force_locale(locale):
            cache[locale] = StateLabels({name: str(state.label) for name, state in workflow.definition.states.items()})
    return cache[locale]


@lru_cache(maxsize=16)
def _patterns(locale: str, width: str):
    babel_locale = Locale.parse(locale)
    return (
        str(babel_locale.datetime_formats[width]).replace("'", ""),
        dates.parse_pattern(babel_locale.date_formats[width]),
        dates.parse_pattern(babel_locale.time_formats[width]),
        babel_locale,
    )


@pass_context
def datetime_filter(context, value, width: str = "short") -> str:
    """The ``|datetime`` filter: like flask_babel.format_datetime (the user's time zone and
    language), in the request's locale and zone that the context processor looked up once."""
    if not value:
        return ""
    locale = context.get("request_locale") or str(get_locale())
    zone = context.get("request_zone") or str(get_timezone())
    return format_datetime(value, locale, zone, width)


@lru_cache(maxsize=4096)
def format_datetime(value, locale: str, zone: str, width: str = "short") -> str:
    """A point in time as the people of ``locale`` in ``zone`` write it. Cached: a list shows the
    same cases' times to everyone who opens it."""
    joined, date_pattern, time_pattern, babel_locale = _patterns(locale, width)
    local = value.astimezone(_zone(zone))
    return joined.replace("{0}", time_pattern.apply(local, babel_locale)).replace(
        "{1}", date_pattern.apply(local, babel_locale)
    )


@lru_cache(maxsize=16)
def _zone(name: str):
    return dates.get_timezone(name)


@lru_cache(maxsize=8)
def language_names(languages: tuple[str, ...]) -> dict[str, str]:
    """Each language named in itself ("Deutsch", "English"), as a language switch shows them."""
    return {code: Locale.parse(code).get_display_name(code).capitalize() for code in languages}
