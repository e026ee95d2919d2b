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
from .notifications import BackgroundDispatcher, deliver_due
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
    plugins = PluginHost()
    plugins.load(plugins_dir=app.config.get("PLUGINS_DIR"), entrypoints=app.config["LOAD_ENTRYPOINT_PLUGINS"])
    definition = WorkflowDefinition()
    plugins.pm.hook.kokoma_workflow(workflow=definition)
    workflow = WorkflowEngine(definition, plugins, reserved_names=case_attribute_names())
    dispatcher = None
    if app.config["NOTIFY_BACKGROUND_WORKER"]:
        dispatcher = BackgroundDispatcher(app, interval=app.config["NOTIFY_POLL_SECONDS"],
                                          work=partial(worker_round, plugins))
    return Kokoma(plugins=plugins, workflow=workflow, dispatcher=dispatcher)


def worker_round(plugins: PluginHost) -> None:
    """One round of the worker loop: partner notifications, then the daily jobs if not run today."""
    try:
        deliver_due(plugins)
    finally:
        # Daily data-protection jobs (retention, access trail): kokoma/privacy/daily.py.
        from .privacy import daily

        daily.run_due()


def case_attribute_names() -> set[str]:
    """Names a state or trigger may not take: they would shadow or be shadowed by the Case model."""
    return {name for name in dir(Case) if not name.startswith("__")}


def kokoma() -> Kokoma:
    return current_app.extensions["kokoma"]
