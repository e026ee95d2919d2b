"""What KoKoMa keeps per application: one :class:`Kokoma`, in ``app.extensions["kokoma"]``.

Nothing else KoKoMa keeps per application lives in module globals: its per-process memories
(kept users, case-list filters, CSRF tokens, page fragments) hang on the app as well
(``app.extensions``, its Jinja environment). The only module globals that take part are the
Flask extension objects of :mod:`kokoma.extensions`, attached to each app in ``create_app``.
"""
from dataclasses import dataclass
from functools import partial

from flask import Flask, current_app

from .models import Case
from .notifications import BackgroundDispatcher
from .plugin_choices import choices_of
from .plugin_host import PluginHost
from .workflow import WorkflowDefinition, WorkflowEngine


@dataclass
class Kokoma:
    """The parts of one application, built by :func:`build_runtime` in ``create_app`` and found
    through :func:`kokoma` in a request, a command or the background thread."""

    # The plugin host: one pluggy PluginManager with the default plugins, the entry-point plugins
    # and those of the plugins folder; every hook is called through it.
    plugins: PluginHost
    # The workflow engine: the states and transitions the plugins defined, as one `transitions`
    # Machine for the whole app, holding no cases.
    workflow: WorkflowEngine
    # The background dispatcher: this process's notification thread (started by the first request,
    # woken after a commit that queued deliveries), or None with NOTIFY_BACKGROUND_WORKER off,
    # when only `flask --app kokoma worker` delivers.
    dispatcher: BackgroundDispatcher | None = None


def build_runtime(app: Flask) -> Kokoma:
    config = app.config
    plugins = PluginHost(choices=choices_of, instance_settings=config["PLUGIN_SETTINGS"],
                         enabled_by_default=config["PLUGINS_ENABLED"])
    plugins.load(plugins_dir=config.get("PLUGINS_DIR"), entrypoints=config["LOAD_ENTRYPOINT_PLUGINS"],
                 modules=config["EXTRA_PLUGINS"])
    definition = WorkflowDefinition()
    for impl in plugins.implementations("kokoma_workflow"):
        # Each plugin on its own, so that what it adds is known to be its own (its transitions
        # are offered only where it is on; a clash names both plugins).
        with definition.defined_by(impl.plugin_name):
            impl.function(workflow=definition)
    workflow = WorkflowEngine(definition, plugins, reserved_names=case_attribute_names())
    dispatcher = None
    if app.config["NOTIFY_BACKGROUND_WORKER"]:
        dispatcher = BackgroundDispatcher(app, interval=app.config["NOTIFY_POLL_SECONDS"],
                                          work=partial(worker_round, plugins))
    return Kokoma(plugins=plugins, workflow=workflow, dispatcher=dispatcher)


def worker_round(plugins: PluginHost) -> int:
    """One round of the worker loop: partner deliveries and the daily digests, then the daily
    data-protection jobs if not run today (the number of delivery attempts)."""
    # (imported here: the services and the privacy jobs use this module)
    from .privacy import daily
    from .services import digest

    try:
        return digest.worker_round(plugins)
    finally:
        daily.run_due()  # retention and the access trail's old entries: kokoma/privacy/daily.py


def case_attribute_names() -> set[str]:
    """Names a state or trigger may not take: they would shadow or be shadowed by the Case model."""
    return {name for name in dir(Case) if not name.startswith("__")}


def kokoma() -> Kokoma:
    return current_app.extensions["kokoma"]
