"""The installed plugins as a coordinator sees them: what each does, on or off for the
municipality, and its settings there."""
from dataclasses import dataclass

from sqlalchemy import select

from ..database import write_transaction
from ..models import PluginChoice
from ..plugin_choices import forget
from ..plugin_host import LoadedPlugin
from ..runtime import kokoma
from . import permissions
from .errors import NotFound, ValidationError


@dataclass
class PluginRow:
    plugin: LoadedPlugin
    hooks: list[str]
    enabled: bool
    settings: dict  # the values in force for the municipality

    @property
    def name(self) -> str:
        return self.plugin.name


def installed(user) -> list[PluginRow]:
    """Every loaded plugin, the defaults first, with whether it is on for the user's municipality."""
    permissions.require(user, "plugins.manage")
    host = kokoma().plugins
    on = host.enabled(user.municipality_id)
    plugins = sorted(host.plugins.values(), key=lambda p: (not p.is_default, p.name))
    return [PluginRow(p, host.hooks_of(p.name), p.name in on, host.settings_for(p.name, user.municipality_id))
            for p in plugins]


def get_plugin(user, name: str) -> PluginRow:
    for row in installed(user):
        if row.name == name:
            return row
    raise NotFound()


def switch(user, name: str, enabled: bool) -> PluginRow:
    """Switch a plugin on or off for the user's municipality (the defaults are always on)."""
    row = get_plugin(user, name)
    if row.plugin.is_default:
        raise ValidationError({"enabled": "default"})
    with write_transaction() as session:
        _choice(session, user.municipality_id, name).enabled = enabled
    forget(session)
    return get_plugin(user, name)


def save_settings(user, name: str, raw: dict) -> PluginRow:
    """Check and keep the municipality's values of a plugin's settings; a value that is not
    acceptable raises ValidationError with its message at the setting's name."""
    row = get_plugin(user, name)
    values, errors = {}, {}
    for setting in row.plugin.settings:
        try:
            values[setting.name] = setting.parse(raw.get(setting.name))
        except ValueError as exc:
            errors[setting.name] = str(exc)
    if errors:
        raise ValidationError(errors)
    with write_transaction() as session:
        choice = _choice(session, user.municipality_id, name)
        choice.settings = values
    forget(session)
    return get_plugin(user, name)


def _choice(session, municipality_id: int, name: str) -> PluginChoice:
    choice = session.scalars(
        select(PluginChoice).where(PluginChoice.municipality_id == municipality_id, PluginChoice.plugin == name)
        .with_for_update()
    ).one_or_none()
    if choice is None:
        plugin = kokoma().plugins.plugins[name]
        choice = PluginChoice(municipality_id=municipality_id, plugin=name, settings={},
                              enabled=kokoma().plugins.is_enabled(plugin.name, municipality_id))
        session.add(choice)
    return choice
