"""KoKoMa: a case tracker for municipal conflict management."""
import logging
import os

from flask import Flask

from .plugin_api import Plugin, Reason, Setting, lazy_gettext_for
from .plugin_host import hookimpl

__all__ = ["Plugin", "Reason", "Setting", "create_app", "hookimpl", "lazy_gettext_for"]

log = logging.getLogger(__name__)


def create_app(test_config: dict | None = None) -> Flask:
    from . import catalogs, cli, web
    from .config import PACKAGE_DIR, load_config, resource_dir
    from .database import configure_engine
    from .extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale
    from .assembly import build_runtime

    app = Flask(
        __name__,
        instance_relative_config=True,
        # Where config.py, the secret key and the SQLite file live; Flask's default otherwise.
        instance_path=(test_config or {}).get("INSTANCE_PATH") or os.environ.get("KOKOMA_INSTANCE_PATH"),
        template_folder=resource_dir("templates"),
        static_folder=str(PACKAGE_DIR / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    load_config(app, test_config)

    try:
        catalogs.compile_catalogs()  # no-op unless a .po changed since the last build
    except OSError as exc:  # a read-only installation keeps the catalogues it was built with
        log.warning("translation catalogues not recompiled: %s", exc)

    db.init_app(app)
    with app.app_context():
        configure_engine(app, db.engine)
    migrate.init_app(app, db, directory=resource_dir("migrations"), render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    # Flask-Limiter only counts limits on every page (logins are counted in the database): with
    # none set it is not attached, and no request pays for checking limits that are not there.
    app.config.setdefault("RATELIMIT_ENABLED", bool(app.config.get("RATELIMIT_DEFAULT")
                                                    or app.config.get("RATELIMIT_APPLICATION")))
    limiter.init_app(app)

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.extensions["kokoma"] = build_runtime(app)
    web.init_app(app)
    cli.init_app(app)
    _encrypt_plain_attachments(app)
    return app


def _encrypt_plain_attachments(app: Flask) -> None:
    """Attachments stored before they were encrypted are encrypted at the first start after."""
    from .services import attachment_crypto

    try:
        done = attachment_crypto.encrypt_plain_files(app)
    except attachment_crypto.KeyProblem as exc:
        log.error("attachments not encrypted: %s", exc.detail)
    else:
        if done:
            log.warning("%d attachment file(s) from before the encryption were encrypted", done)
