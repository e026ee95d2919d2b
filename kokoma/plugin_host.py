"""One pluggy PluginManager per application, and the one way KoKoMa calls hooks."""
import importlib.util
import logging
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any, NamedTuple

import pluggy

from . import hookspecs

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


class PluginFailure(NamedTuple):
    plugin: str
    hook: str
    error: str


class PluginLoadError(RuntimeError):
    pass


class PluginHost:
    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("kokoma")
        self.pm.add_hookspecs(hookspecs)

    def load(self, *, plugins_dir: str | None, entrypoints: bool) -> None:
        for module_name in DEFAULT_PLUGINS:
            self.pm.register(importlib.import_module(module_name), name=module_name)
        if entrypoints:
            self.pm.load_setuptools_entrypoints(ENTRYPOINT_GROUP)
        if plugins_dir:
            self._load_folder(Path(plugins_dir))
        # A misspelt hook name (e.g. kokoma_escalation_factor) fails here, loudly.
        self.pm.check_pending()

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
            self.pm.register(_import_file(location, name), name=f"plugins/{name}")

    def call_each(
        self, hook_name: str, *, around=None, skip: tuple[str, ...] = (), **kwargs: Any
    ) -> tuple[list[tuple[str, Any]], list[PluginFailure]]:
        """Call every implementation of a hook on its own, in pluggy's order.

        Returns ``(results, failures)``: ``(plugin name, return value)`` pairs and a
        :class:`PluginFailure` for each implementation that raised. An exception in one plugin
        never stops the others. ``around`` makes a context manager for each call (a database
        savepoint, say); ``skip`` names plugins not to call.
        """
        results, failures = [], []
        for impl in self.implementations(hook_name):
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

    def listing(self) -> list[tuple[str, list[str]]]:
        """(plugin name, hooks it implements) for every loaded plugin."""
        rows = []
        for name, plugin in self.pm.list_name_plugin():
            hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ())
            rows.append((name, hooks))
        return rows


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
