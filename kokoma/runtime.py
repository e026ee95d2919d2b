"""What KoKoMa keeps per application: its plugin host and its workflow engine."""
from dataclasses import dataclass
from functools import partial

from flask import Flask, current_app

from .models import Case
from .notifications import BackgroundDispatcher, deliver_due
from .plugin_host import PluginHost
from .workflow import WorkflowDefinition, WorkflowEngine


@dataclass
class Kokoma:
    plugins: PluginHost
    workflow: WorkflowEngine
    dispatcher: "BackgroundDispatcher | None" = None


def build_runtime(app: Flask) -> Kokoma:
    plugins = PluginHost()
    plugins.load(plugins_dir=app.config.get("PLUGINS_DIR"), entrypoints=app.config["LOAD_ENTRYPOINT_PLUGINS"])
    definition = WorkflowDefinition()
    plugins.pm.hook.kokoma_workflow(workflow=definition)
    workflow = WorkflowEngine(definition, plugins, reserved_names=case_attribute_names())
    dispatcher = None
    if app.config["NOTIFY_BACKGROUND_WORKER"]:
        dispatcher = BackgroundDispatcher(app, interval=app.config["NOTIFY_POLL_SECONDS"],
                                          work=partial(deliver_due, plugins))
    return Kokoma(plugins=plugins, workflow=workflow, dispatcher=dispatcher)


def case_attribute_names() -> set[str]:
    """Names a state or trigger may not take: they would shadow or be shadowed by the Case model."""
    return {name for name in dir(Case) if not name.startswith("__")}


def kokoma() -> Kokoma:
    return current_app.extensions["kokoma"]
