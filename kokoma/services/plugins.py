"""The installed plugins as a coordinator sees them: what each does, on or off for the
municipality, and its settings there."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..database import db, write_transaction
from ..models import Case, PluginChoice
from ..plugin_choices import forget, hold
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


@dataclass
class StateInUse:
    state: str
    label: object  # the state's label (translatable)
    cases: int


def cases_in_its_states(user, name: str) -> list[StateInUse]:
    """The plugin's workflow states that cases of the user's municipality are in, with how many."""
    workflow = kokoma().workflow
    states = [state for state, defined in workflow.definition.states.items() if defined.plugin == name]
    if not states:
        return []
    counts = dict(db.session.execute(
        select(Case.state, func.count()).where(permissions.case_scope(user), Case.state.in_(states))
        .group_by(Case.state)
    ).all())
    return [StateInUse(state, workflow.state_label(state), counts[state]) for state in states if state in counts]


def switch(user, name: str, enabled: bool) -> PluginRow:
    """Switch a plugin on or off for the user's municipality (the defaults are always on). Off is
    refused while cases are in one of its states: its transitions, their only way on or back,
    would be gone (:func:`cases_in_its_states` says which)."""
    row = get_plugin(user, name)
    if row.plugin.is_default:
        raise ValidationError({"enabled": "default"})
    with write_transaction() as session:
        # counted after the hold: a case still on its way into one of the states (a change
        # firing the plugin's transition right now) is counted once it is there
        hold(session, user.municipality_id, to_switch=True)
        if not enabled and row.enabled and cases_in_its_states(user, name):
            raise ValidationError({"enabled": _l(
                "Cases of your municipality are in a state of this plugin, and without it they would have no way "
                "on or back. Move them out of that state first.")})
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
