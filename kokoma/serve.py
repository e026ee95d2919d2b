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


def per_process_limit_problem(config, workers: int) -> str | None:
    """Why several workers would each keep their own count of a limit, or None. Login limits are
    counted in the database; only limits on every page (``RATELIMIT_DEFAULT``,
    ``RATELIMIT_APPLICATION``) live where ``RATELIMIT_STORAGE_URI`` says, and ``memory://`` is
    one count per process: with five workers a limit would let five times as much through."""
    page_limits = config.get("RATELIMIT_DEFAULT") or config.get("RATELIMIT_APPLICATION")
    if workers > 1 and page_limits and str(config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        return (
            f"RATELIMIT_DEFAULT/RATELIMIT_APPLICATION ({page_limits}) would be counted in each of the {workers} "
            "worker processes on its own (RATELIMIT_STORAGE_URI is memory://): set "
            "KOKOMA_RATELIMIT_STORAGE_URI=redis://… for a shared count, or serve with --workers 1"
        )
    return None


def default_workers() -> int:
    return multiprocessing.cpu_count() * 2 + 1
