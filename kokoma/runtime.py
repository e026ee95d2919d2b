"""What KoKoMa keeps per application: one :class:`Kokoma`, in ``app.extensions["kokoma"]``, found
through :func:`kokoma`. It is built by :mod:`kokoma.assembly` in ``create_app``; this module imports
none of what it holds, so that every part of the app can ask for it without an import circle.

Nothing else KoKoMa keeps per application lives in module globals, and nothing is kept between
requests: the only module globals that take part are the Flask extension objects of
:mod:`kokoma.extensions`, attached to each app in ``create_app``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from .notifications.worker import BackgroundDispatcher
    from .plugin_host import PluginHost
    from .workflow import WorkflowEngine


@dataclass
class Kokoma:
    """The parts of one application, built by :func:`kokoma.assembly.build_runtime` in
    ``create_app`` and found through :func:`kokoma` in a request, a command or the background
    thread."""

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


def kokoma() -> Kokoma:
    return current_app.extensions["kokoma"]
