"""`flask --app kokoma serve`: KoKoMa behind gunicorn with several worker processes.

Each worker builds its own application (no preloading), so database connections, the plugin
manager and the notification thread belong to one process and are never shared across a fork.
"""
import multiprocessing

from gunicorn.app.base import BaseApplication


class KokomaServer(BaseApplication):
    def __init__(self, options: dict, config_overrides: dict | None = None):
        self.options = options
        self.config_overrides = config_overrides
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app

        return create_app(self.config_overrides)


def default_workers() -> int:
    return multiprocessing.cpu_count() * 2 + 1
