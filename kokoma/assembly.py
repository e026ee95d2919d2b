"""How one application's :class:`~kokoma.runtime.Kokoma` is put together (``create_app`` calls
:func:`build_runtime`): the plugin host with its plugins, the workflow they define, the background
dispatcher, and the round of work the worker loop does."""
from functools import partial

from flask import Flask

from .models import Case
from .notifications.worker import BackgroundDispatcher
from .plugin_choices import choices_of
from .plugin_host import PluginHost
from .privacy import daily
from .runtime import Kokoma
from .services import digest
from .workflow import WorkflowDefinition, WorkflowEngine


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
    try:
        return digest.worker_round(plugins)
    finally:
        daily.run_due()  # retention and the access trail's old entries: kokoma/privacy/daily.py


def case_attribute_names() -> set[str]:
    """Names a state or trigger may not take: they would shadow or be shadowed by the Case model."""
    return {name for name in dir(Case) if not name.startswith("__")}
