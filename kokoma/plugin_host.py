"""One pluggy PluginManager per application, and the one way KoKoMa calls hooks.

Every hook call about a case or a municipality reaches only the plugins switched on for that
municipality (the default plugins always): :meth:`PluginHost.call_each` finds the municipality in
its keyword arguments, ``case=``, ``municipality=``, ``partner=`` or ``user=`` (an object with a
``municipality_id``, a Municipality, or an id), in that order. A call without any of them (at
start-up, say) reaches every plugin.
"""
import importlib
import importlib.metadata
import importlib.util
import logging
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

import pluggy

from . import hookspecs
from .plugin_api import KOKOMA_DOMAIN, Plugin, Setting, municipality_id_of

log = logging.getLogger(__name__)

hookimpl = pluggy.HookimplMarker("kokoma")

DEFAULT_PLUGINS = (
    "kokoma.defaults.workflow",
    "kokoma.defaults.escalation",
    "kokoma.defaults.review_guard",
    "kokoma.defaults.referral",
    "kokoma.defaults.email",
    "kokoma.defaults.webhook",
)
ENTRYPOINT_GROUP = "kokoma"
# Keyword arguments of a hook call that tell the municipality it is about, in this order.
SCOPE_ARGUMENTS = ("case", "municipality", "partner", "user")


class PluginFailure(NamedTuple):
    plugin: str
    hook: str
    error: str


class PluginLoadError(RuntimeError):
    pass


@dataclass
class LoadedPlugin:
    """A plugin as the host knows it: its stable name, where it came from, what it declares."""

    name: str
    module: Any
    origin: str  # the file, the entry point or the module it was loaded from
    source: str  # "default", "package" or "folder"
    declaration: Plugin | None
    version: str

    @property
    def is_default(self) -> bool:
        return self.source == "default"

    @property
    def description(self) -> str:
        if self.declaration and self.declaration.description:
            return str(self.declaration.description)
        doc = (getattr(self.module, "__doc__", None) or "").strip()
        return doc.splitlines()[0] if doc else ""

    @property
    def channel(self) -> str:
        return (self.declaration.channel if self.declaration else None) or getattr(
            self.module, "KOKOMA_CHANNEL", None) or self.name

    @property
    def settings(self) -> tuple[Setting, ...]:
        return tuple(self.declaration.settings) if self.declaration else ()

    @property
    def default_enabled(self) -> bool:
        return self.declaration.default_enabled if self.declaration else True


class PluginHost:
    def __init__(self, *, choices: Callable[[int], dict] | None = None, instance_settings: dict | None = None,
                 enabled_by_default: dict | None = None) -> None:
        self.pm = pluggy.PluginManager("kokoma")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        # municipality id -> {plugin name: (enabled, settings)} as the coordinators chose
        self._choices = choices or (lambda municipality_id: {})
        self._instance_settings = instance_settings or {}
        self._enabled_by_default = enabled_by_default or {}
        self._domains: dict[str, Any] = {}

    # --- loading ------------------------------------------------------------------------

    def load(self, *, plugins_dir: str | None, entrypoints: bool, modules=()) -> None:
        for module_name in DEFAULT_PLUGINS:
            self._register(importlib.import_module(module_name), module_name, module_name, "default")
        if entrypoints:
            for entry in importlib.metadata.entry_points(group=ENTRYPOINT_GROUP):
                version = entry.dist.version if entry.dist else ""
                self._register(entry.load(), entry.name, f"entry point {entry.name} = {entry.value}", "package", version)
        for module in modules:  # EXTRA_PLUGINS: modules (or their names) given by the config, e.g. in tests
            if isinstance(module, str):
                module = importlib.import_module(module)
            self._register(module, module.__name__, f"module {module.__name__}", "package")
        if plugins_dir:
            self._load_folder(Path(plugins_dir))
        # A misspelt hook name (e.g. kokoma_escalation_factor) fails here, loudly.
        self.pm.check_pending()
        self._check_channels()
        self._check_instance_settings()

    def _load_folder(self, folder: Path) -> None:
        if not folder.is_dir():
            return
        for path in sorted(folder.iterdir()):
            if path.name.startswith(("_", ".")):
                continue
            if path.suffix == ".py":
                location, name = path, path.stem
            elif (path / "__init__.py").is_file():
                location, name = path / "__init__.py", path.name
            else:
                continue
            self._register(_import_file(location, name), f"plugins/{name}", str(path), "folder")

    def _register(self, module, default_name: str, origin: str, source: str, version: str = "") -> None:
        declaration = getattr(module, "KOKOMA_PLUGIN", None)
        if declaration is not None and not isinstance(declaration, Plugin):
            raise PluginLoadError(f"{origin}: KOKOMA_PLUGIN must be a kokoma.Plugin, not {type(declaration).__name__}")
        name = declaration.name if declaration else default_name
        if name in self.plugins:
            raise PluginLoadError(
                f"two plugins are named {name!r}: {self.plugins[name].origin} and {origin}. "
                "Is the same plugin both installed and in the plugins folder? Keep one of them."
            )
        self.pm.register(module, name=name)
        wrappers = [impl for caller in self.pm.get_hookcallers(module) or () for impl in caller.get_hookimpls()
                    if impl.plugin is module and (impl.hookwrapper or impl.wrapper)]
        if wrappers:
            self.pm.unregister(module)
            hooks = ", ".join(sorted({impl.function.__name__ for impl in wrappers}))
            raise PluginLoadError(
                f"plugin {name!r} ({origin}) marks {hooks} as wrapper/hookwrapper. KoKoMa calls each "
                "plugin's implementation on its own (so one failing plugin never stops the others), so "
                "wrappers are not supported: write a plain @hookimpl, with tryfirst/trylast for the order."
            )
        version = version or (declaration.version if declaration and declaration.version else "")
        if not version and source == "default":
            version = importlib.metadata.version("kokoma")
        self.plugins[name] = LoadedPlugin(name, module, origin, source, declaration, version)
        if declaration and declaration.translations:
            self._add_domain(name, Path(declaration.translations))

    def _add_domain(self, name: str, folder: Path) -> None:
        from flask_babel import Domain

        from .catalogs import compile_catalogs

        try:
            compile_catalogs(folder)
        except OSError as exc:  # a read-only installation keeps the catalogues it was built with
            log.warning("catalogues of plugin %s not recompiled: %s", name, exc)
        self._domains[name] = Domain(translation_directories=[str(folder)], domain=name)

    def _check_channels(self) -> None:
        seen: dict[str, str] = {}
        for impl in self.implementations("kokoma_notify_partners"):
            channel = self.plugins[impl.plugin_name].channel
            if channel in seen:
                raise PluginLoadError(f"the channel name {channel!r} is declared by both {seen[channel]!r} "
                                      f"and {impl.plugin_name!r}; channel names must be unique")
            seen[channel] = impl.plugin_name

    def _check_instance_settings(self) -> None:
        for plugin, values in self._instance_settings.items():
            if plugin not in self.plugins:
                log.warning("PLUGIN_SETTINGS names %r, which is not loaded", plugin)
                continue
            declared = {s.name: s for s in self.plugins[plugin].settings}
            for key, raw in values.items():
                if key not in declared:
                    raise PluginLoadError(f"PLUGIN_SETTINGS[{plugin!r}] has {key!r}, which the plugin does not declare")
                try:
                    declared[key].parse(raw)
                except ValueError as exc:
                    raise PluginLoadError(f"PLUGIN_SETTINGS[{plugin!r}][{key!r}] = {raw!r}: {exc}") from None

    # --- per municipality -------------------------------------------------------------------

    def enabled(self, municipality_id: int | None) -> set[str]:
        """Names of the plugins switched on for a municipality (all of them for None)."""
        if municipality_id is None:
            return set(self.plugins)
        choices = self._choices(municipality_id) if self.has_optional_plugins else {}
        return {
            name for name, plugin in self.plugins.items()
            if plugin.is_default or choices.get(name, (self._enabled_by_default.get(name, plugin.default_enabled),))[0]
        }

    @property
    def has_optional_plugins(self) -> bool:
        return any(not p.is_default for p in self.plugins.values())

    def is_enabled(self, plugin_name: str, municipality_id: int | None) -> bool:
        return plugin_name not in self.plugins or plugin_name in self.enabled(municipality_id)

    def settings_for(self, plugin_name: str, municipality_id: int | None) -> dict:
        """The plugin's declared defaults, then the instance config, then the municipality's choice."""
        plugin = self.plugins[plugin_name]
        values = {s.name: s.default for s in plugin.settings}
        instance = self._instance_settings.get(plugin_name, {})
        values.update({s.name: s.parse(instance[s.name]) for s in plugin.settings if s.name in instance})
        if municipality_id is not None and plugin.settings:
            chosen = self._choices(municipality_id).get(plugin_name, (True, {}))[1] or {}
            for setting in plugin.settings:
                if setting.name in chosen:
                    try:
                        values[setting.name] = setting.parse(chosen[setting.name])
                    except ValueError:
                        log.warning("stored setting %s of %s is no longer valid; the default is used",
                                    setting.name, plugin_name)
        return values

    def translations(self, plugin_name: str):
        """The reader's catalogue of a plugin's translation domain (KoKoMa's own for ``messages``
        or a plugin without a catalogue)."""
        from flask_babel import get_translations

        domain = self._domains.get(plugin_name)
        return domain.get_translations() if domain is not None else get_translations()

    def has_domain(self, plugin_name: str) -> bool:
        return plugin_name in self._domains or plugin_name == KOKOMA_DOMAIN

    # --- calling ----------------------------------------------------------------------------

    def call_each(
        self, hook_name: str, *, around=None, skip: tuple[str, ...] = (), **kwargs: Any
    ) -> tuple[list[tuple[str, Any]], list[PluginFailure]]:
        """Call every implementation of a hook on its own, in pluggy's order, that is switched on
        for the municipality the call is about (see the module's docstring).

        Returns ``(results, failures)``: ``(plugin name, return value)`` pairs and a
        :class:`PluginFailure` for each implementation that raised. An exception in one plugin
        never stops the others. ``around`` makes a context manager for each call (a database
        savepoint, say); ``skip`` names plugins not to call. Keyword arguments the hook does not
        take are not passed on.
        """
        results, failures = [], []
        for impl in self.implementations_for(hook_name, **kwargs):
            if impl.plugin_name in skip:
                continue
            try:
                with around() if around else nullcontext():
                    results.append((impl.plugin_name, impl.function(**_args_for(impl, kwargs))))
            except Exception as exc:  # noqa: BLE001 - a plugin may fail in any way
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
                failures.append(PluginFailure(impl.plugin_name, hook_name, f"{type(exc).__name__}: {exc}"))
        return results, failures

    def call_one(self, hook_name: str, plugin_name: str, **kwargs: Any) -> Any:
        """Call one named plugin's implementation of a hook; its exceptions propagate."""
        for impl in self.implementations(hook_name):
            if impl.plugin_name == plugin_name:
                return impl.function(**_args_for(impl, kwargs))
        raise LookupError(f"no plugin {plugin_name!r} implements {hook_name} (is it still installed?)")

    def implementations(self, hook_name: str) -> list:
        # get_hookimpls() lists in registration order; pluggy calls the last registered first.
        return list(reversed(getattr(self.pm.hook, hook_name).get_hookimpls()))

    def implementations_for(self, hook_name: str, **kwargs) -> list:
        """The implementations a call with these arguments reaches (see the module's docstring)."""
        impls = self.implementations(hook_name)
        if all(self.plugins[impl.plugin_name].is_default for impl in impls):
            return impls
        municipality_id = scope_of(kwargs)
        if municipality_id is None:
            return impls
        on = self.enabled(municipality_id)
        return [impl for impl in impls if impl.plugin_name in on]

    def channel_plugin(self, channel: str) -> str:
        """The plugin delivering on a channel (by its stable name, or an old module-path name)."""
        for impl in self.implementations("kokoma_notify_partners"):
            if self.plugins[impl.plugin_name].channel == channel or impl.plugin_name == channel:
                return impl.plugin_name
        raise LookupError(f"no plugin delivers on the channel {channel!r} (is it still installed?)")

    def listing(self) -> list[tuple[str, list[str]]]:
        """(plugin name, hooks it implements) for every loaded plugin."""
        return [(name, self.hooks_of(name)) for name in self.plugins]

    def hooks_of(self, plugin_name: str) -> list[str]:
        plugin = self.pm.get_plugin(plugin_name)
        return sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ())


def scope_of(kwargs: dict) -> int | None:
    """The municipality id a hook call is about, from its keyword arguments (or None)."""
    for name in SCOPE_ARGUMENTS:
        value = kwargs.get(name)
        if value is not None:
            return municipality_id_of(value)
    return None


def _args_for(impl, kwargs: dict) -> dict:
    # pluggy lets an implementation take a subset of the spec's arguments.
    return {name: kwargs[name] for name in impl.argnames}


def _import_file(location: Path, name: str):
    module_name = f"kokoma_local_plugins.{name}"
    spec = importlib.util.spec_from_file_location(
        module_name, location, submodule_search_locations=[str(location.parent)] if location.name == "__init__.py" else None
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise PluginLoadError(f"the plugin {location} cannot be loaded: {exc}") from exc
    return module


def malformed(plugin: str, hook: str, returned, expected: str) -> PluginFailure:
    """A return value a hook cannot use: logged, and given back as a failure to record."""
    log.warning("plugin %s returned %r from %s; expected %s", plugin, returned, hook, expected)
    return PluginFailure(plugin, hook, f"returned {returned!r}; expected {expected}")
