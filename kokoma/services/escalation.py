"""The escalation score: the sum of the factors that plugins give, clamped to 0-100.

A factor's reason is stored so that each reader sees it in their own language: as its message id,
the translation domain it belongs to and its parameters (``msgid``, ``domain``, ``params``), with
the text in the default language beside it (``reason``) for anything that cannot translate. A
plugin returns a :class:`kokoma.Reason`, or, in the older style, a string made with ``gettext``
(Flask-Babel's or its ``Plugin.gettext``): while the plugins are called, each translation is noted
(:class:`NotingDomain`), so the string returned is known by its message id and parameters; a
string no translation made is kept as it is, and taken as a message id of the plugin's domain.
"""
from flask import current_app, g
from flask_babel import Domain, LazyString, force_locale, get_domain

from ..database import db
from ..domain import level_for
from ..plugin_api import KOKOMA_DOMAIN, Reason
from ..plugin_host import PluginFailure, malformed
from ..runtime import kokoma
from .analysis_snapshot import Analysis

HOOK = "kokoma_escalation_factors"
EXPECTED = "an iterable of (key, points, reason) tuples: key a short identifier, points an integer, reason a sentence"


def rescore(case) -> list[PluginFailure]:
    """Recompute and store the score, level and factors of ``case``; returns plugin failures
    (a plugin that raised, or returned what a factor cannot be)."""
    plugins = kokoma().plugins
    factors = []
    # No autoflush while plugins read the analysis: the case's own pending change is written
    # once, with its new score, not once before and once after (one version per change).
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]), noting_translations() as seen, \
            db.session.no_autoflush:
        results, failures = plugins.call_each(HOOK, case=case, analysis=Analysis(case))
        for plugin, returned in results:
            if returned is None:
                continue
            if isinstance(returned, (str, bytes, dict)) or not hasattr(returned, "__iter__"):
                failures.append(malformed(plugin, HOOK, returned, EXPECTED))
                continue
            for item in returned:
                factor = _factor(plugin, item, seen)
                if factor is None:
                    failures.append(malformed(plugin, HOOK, item, EXPECTED))
                else:
                    factors.append(factor)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        for factor in factors:
            factor["reason"] = reason_text(factor)
    score = max(0, min(100, sum(f["points"] for f in factors)))
    case.escalation_score = score
    case.escalation_level = level_for(score)
    case.escalation_factors = factors
    case.peak_escalation_score = max(case.peak_escalation_score or 0, score)
    return failures


class NotingDomain:
    """KoKoMa's translation domain, noting each (text, message id, parameters) it gives."""

    def __init__(self, inner, seen: list):
        self.inner, self.seen = inner, seen

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def gettext(self, string, **variables):
        text = self.inner.gettext(string, **variables)
        self.seen.append((text, string, variables, KOKOMA_DOMAIN))
        return text


class noting_translations:
    """While the block runs, translations (Flask-Babel's and plugins' ``Plugin.gettext``, through
    ``plugin_api.note_translation``) are noted in the list it gives; for this request only."""

    def __enter__(self) -> list:
        self.seen, self.previous = [], get_domain()
        Domain.as_default(NotingDomain(self.previous, self.seen))  # this request's default domain
        g.kokoma_noted_translations = self.seen
        return self.seen

    def __exit__(self, *exc):
        Domain.as_default(self.previous)
        g.pop("kokoma_noted_translations", None)


def _factor(plugin: str, item, seen) -> dict | None:
    if not isinstance(item, (tuple, list)) or len(item) != 3:
        return None
    key, points, reason = item
    if not isinstance(key, str) or not key or isinstance(points, bool) or not isinstance(points, int):
        return None
    if isinstance(reason, LazyString):
        reason = str(reason)
    if isinstance(reason, Reason):
        stored = _resolved(reason, _domain_of(plugin), seen).to_json(_domain_of(plugin))
    elif isinstance(reason, str) and reason.strip():
        stored = _resolved(reason, _domain_of(plugin), seen)
        stored = stored.to_json(stored.domain) if isinstance(stored, Reason) else {
            "msgid": reason, "domain": _domain_of(plugin), "params": {}}
    else:
        return None
    return {"key": key, "points": points, **stored, "plugin": plugin}


def _resolved(value, domain: str, seen):
    """``value`` as a Reason when a noted translation gave it (its parameters likewise)."""
    if isinstance(value, Reason):
        return Reason(value.msgid, domain=value.domain or domain,
                      **{k: _resolved(v, domain, seen) for k, v in value.params.items()})
    if isinstance(value, LazyString):
        value = str(value)
    if not isinstance(value, str):
        return value
    noted = next((n for n in reversed(seen) if n[0] == value), None)
    if noted is None:
        return value
    _text, msgid, params, noted_domain = noted
    noted_domain = domain if noted_domain == KOKOMA_DOMAIN else noted_domain
    return Reason(msgid, domain=noted_domain, **{k: _resolved(v, noted_domain, seen) for k, v in params.items()})


def _domain_of(plugin: str) -> str:
    return plugin if kokoma().plugins.has_domain(plugin) else KOKOMA_DOMAIN


def reason_text(factor: dict) -> str:
    """A factor's reason in the current locale (factors stored before reasons were translatable
    keep the text they were stored with)."""
    if "msgid" not in factor:
        return str(factor.get("reason", ""))
    return _translate(factor)


def _translate(message: dict) -> str:
    plugins = kokoma().plugins
    msgid, domain = message["msgid"], message.get("domain") or KOKOMA_DOMAIN
    text = plugins.translations(domain).gettext(msgid)
    if text == msgid and domain != KOKOMA_DOMAIN:  # a plugin's string of KoKoMa's catalogue
        text = plugins.translations(KOKOMA_DOMAIN).gettext(msgid)
    params = {k: _translate(v) if isinstance(v, dict) and "msgid" in v else v
              for k, v in (message.get("params") or {}).items()}
    try:
        return text % params if params else text
    except (KeyError, ValueError, TypeError):
        return text
