"""The background worker of one process: delivers partner notifications without a second
process to start by hand. Started lazily in each process (so it survives a fork of gunicorn
workers), woken after each commit that queued deliveries, and polling now and then for retries.
``flask --app kokoma worker`` runs the same loop in the foreground for larger setups."""
import logging
import os
import threading
from collections.abc import Callable

from flask import Flask

from ..database import db

log = logging.getLogger(__name__)


class BackgroundDispatcher:
    """A daemon thread that calls ``work`` (one round of delivering, e.g. ``deliver_due`` with the
    app's plugin host) in an app context, when woken and at least every ``interval`` seconds."""

    def __init__(self, app: Flask, interval: float, work: Callable[[], object]):
        self.app = app
        self.interval = interval
        self.work = work
        self._wake = threading.Event()
        self._pid = None
        self._lock = threading.Lock()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def ensure_started(self) -> None:
        if self._pid == os.getpid() or self._stopped:
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._wake = threading.Event()
                self._thread = threading.Thread(target=self._run, name="kokoma-dispatcher", daemon=True)
                self._thread.start()

    def wake(self) -> None:
        self.ensure_started()
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        """End the loop and wait for its current round to finish (used when an app is torn down,
        e.g. in tests, so that nothing still writes while its tables are emptied)."""
        self._stopped = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(timeout=self.interval)
            self._wake.clear()
            if self._stopped:
                return
            with self.app.app_context():
                try:
                    self.work()
                except Exception:  # noqa: BLE001 - the loop must outlive a bad round
                    log.exception("delivering notifications failed; trying again later")
                finally:
                    db.session.remove()


def wake(dispatcher: BackgroundDispatcher | None) -> None:
    """Tell this process's background worker that there is work (if it runs: None when not)."""
    if dispatcher is not None:
        dispatcher.wake()
