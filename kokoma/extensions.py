"""Flask extensions, created unbound and attached in the application factory."""
from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from .database import db

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Storage from RATELIMIT_STORAGE_URI: memory by default, e.g. redis://127.0.0.1:6379 when shared.
limiter = Limiter(key_func=get_remote_address)
migrate = Migrate()

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate", "select_locale"]



def select_locale() -> str:
    """The language the person chose, else the browser's preferred one among ours, else German
    (also outside requests: command line, workers)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    from flask import session
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    chosen = getattr(current_user, "locale", None) or session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(
        current_app.config["LANGUAGES"], default=current_app.config["BABEL_DEFAULT_LOCALE"]
    )
