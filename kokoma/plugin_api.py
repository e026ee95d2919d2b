"""What a plugin declares about itself: ``KOKOMA_PLUGIN = Plugin(...)`` with its :class:`Setting`\\s,
and :class:`Reason`, a sentence stored as its message id and translated when it is shown.

A declaration holds no state: whatever belongs to an application (its translation catalogues, the
values of the settings per municipality) is kept by that application's plugin host and found
through the current app.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from flask import g
from flask_babel import LazyString

KOKOMA_DOMAIN = "messages"  # the translation domain of KoKoMa's own strings


@dataclass(frozen=True)
class Setting:
    """One setting of a plugin. ``type`` is ``str``, ``int``, ``float`` or ``bool``; ``choices``
    (value → label) limits a ``str``; ``validate`` takes the parsed value and returns a message
    in words when it is not acceptable (or None)."""

    name: str
    type: type = str
    default: Any = None
    label: Any = None
    help: Any = ""
    choices: dict | None = None
    validate: Callable[[Any], Any] | None = None

    def parse(self, raw):
        """The value of ``raw`` (text from a form, or a value of the instance config) as this
        setting's type; raises ``ValueError`` with a message in words."""
        from flask_babel import gettext as _

        if self.type is bool:
            if isinstance(raw, bool):
                value = raw
            elif str(raw).strip().lower() in ("1", "true", "y", "yes", "on", "ja"):
                value = True
            elif str(raw).strip().lower() in ("", "0", "false", "n", "no", "off", "nein"):
                value = False
            else:
                raise ValueError(_("Please choose yes or no."))
        elif self.type is int:
            try:
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise ValueError
                value = int(str(raw).strip()) if not isinstance(raw, int) else raw
            except ValueError:
                raise ValueError(_("Please enter a whole number.")) from None
        elif self.type is float:
            try:
                value = float(str(raw).strip().replace(",", "."))
            except ValueError:
                raise ValueError(_("Please enter a number.")) from None
        else:
            value = "" if raw is None else str(raw).strip()
            if self.choices is not None and value not in self.choices:
                raise ValueError(_("Please choose one of the options."))
        if self.validate is not None:
            problem = self.validate(value)
            if problem:
                raise ValueError(str(problem))
        return value


@dataclass(frozen=True)
class Plugin:
    """A plugin's declaration, as ``KOKOMA_PLUGIN`` in its module.

    ``name`` is its stable key: municipalities switch it on and off, keep its settings and queue
    its channel's deliveries under it, so it stays the same whether the plugin is a file in
    ``plugins/`` or an installed package. ``channel`` names the channel of a plugin implementing
    ``kokoma_notify_partners`` (default: ``name``). ``translations`` is the folder of its
    catalogues (``<lang>/LC_MESSAGES/<name>.po``), ``migrations`` the folder of its Alembic
    revisions and ``metadata`` the SQLAlchemy ``MetaData`` of its own tables.
    """

    name: str
    description: Any = ""
    version: str | None = None
    channel: str | None = None
    settings: tuple[Setting, ...] = ()
    translations: str | Path | None = None
    migrations: str | Path | None = None
    metadata: Any = None
    default_enabled: bool = True
    extra: dict = field(default_factory=dict)

    def gettext(self, msgid: str, **params) -> str:
        """``msgid`` translated with this plugin's catalogue into the reader's language."""
        return translate_in(self.name, msgid, **params)

    def lazy_gettext(self, msgid: str, **params) -> LazyString:
        """Like :meth:`gettext`, translated when it becomes text (for labels defined at import)."""
        return LazyString(translate_in, self.name, msgid, **params)

    def reason(self, msgid: str, **params) -> "Reason":
        """A :class:`Reason` in this plugin's translation domain."""
        return Reason(msgid, domain=self.name, **params)

    def settings_for(self, where) -> dict:
        """This plugin's settings for a municipality (a Municipality, a case, or an id):
        the defaults, the instance config, then what the municipality's coordinator chose."""
        from .runtime import kokoma

        return kokoma().plugins.settings_for(self.name, municipality_id_of(where))


def translate_in(domain: str, msgid: str, **params) -> str:
    """``msgid`` translated with the catalogue of the plugin ``domain`` into the reader's language."""
    from .runtime import kokoma

    text = kokoma().plugins.translations(domain).gettext(msgid)
    text = text % params if params else text
    note_translation(text, msgid, params, domain)
    return text


def note_translation(text: str, msgid: str, params: dict, domain: str) -> None:
    """Note a translation while escalation factors are being collected
    (``services.escalation.noting_translations`` gives the list for the request)."""
    seen = g.get("kokoma_noted_translations") if g else None
    if seen is not None:
        seen.append((text, msgid, params, domain))


def lazy_gettext_for(domain: str):
    """A ``lazy_gettext`` of a plugin's catalogue, for what is declared before ``KOKOMA_PLUGIN``
    (the labels of its settings): ``_l = lazy_gettext_for("hotline")``."""
    return lambda msgid, **params: LazyString(translate_in, domain, msgid, **params)


class Reason:
    """A sentence a person reads later (an escalation reason), stored as its message id, the
    translation domain and the parameters, and translated into the reader's language when shown.

    ``Reason("Glasl stage %(stage)d", stage=4)``; a parameter may be a Reason itself or a label of
    :mod:`kokoma.domain`. Without ``domain`` the domain of the plugin that returned it is used.
    """

    def __init__(self, msgid: str, *, domain: str | None = None, **params):
        self.msgid, self.domain, self.params = msgid, domain, params

    def to_json(self, default_domain: str) -> dict:
        return {"msgid": self.msgid, "domain": self.domain or default_domain,
                "params": {k: _param_json(v, default_domain) for k, v in self.params.items()}}

    def __str__(self) -> str:
        return self.msgid % {k: str(v) for k, v in self.params.items()} if self.params else self.msgid


def _param_json(value, default_domain):
    """A parameter as stored: a Reason or a label as a message to translate when shown; other
    text as a message of the domain too (shown as it is when no catalogue has it)."""
    if isinstance(value, Reason):
        return value.to_json(default_domain)
    msgid = getattr(value, "msgid", None)  # a kokoma.i18n.Label
    if isinstance(msgid, str):
        return {"msgid": msgid, "domain": KOKOMA_DOMAIN, "params": {}}
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return {"msgid": str(value), "domain": default_domain, "params": {}}


def municipality_id_of(where) -> int | None:
    """The municipality a hook call is about: a Municipality, anything with a ``municipality_id``
    (a case, a partner, a user), or an id."""
    if where is None or isinstance(where, int):
        return where
    if hasattr(where, "municipality_id"):
        return where.municipality_id
    return getattr(where, "id", None)
