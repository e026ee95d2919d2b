"""Configuration: defaults, then ``instance/config.py``, then ``KOKOMA_*`` environment variables."""
import os
import secrets
from pathlib import Path

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


class Defaults:
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")
    CASES_PER_PAGE = 25
    CASES_PER_PAGE_CHOICES = (10, 25, 50, 100)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Cookies only over HTTPS; `flask --app kokoma demo` (plain HTTP on loopback) turns this off.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "kokoma_session"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    # A login session (a row in login_sessions) ends at logout, after this many seconds without
    # a request, and this many seconds after the login in any case.
    LOGIN_SESSION_IDLE_TIMEOUT = 8 * 3600
    LOGIN_SESSION_MAX_AGE = 24 * 3600
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    # Failed logins allowed, counted in the database (kokoma/services/login_limits.py): per client
    # address and account, per client address (any accounts), per account (all addresses); each
    # over a sliding window.
    LOGIN_RATE_LIMIT = "10 per minute; 50 per hour"
    LOGIN_ADDRESS_RATE_LIMIT = "30 per minute; 300 per hour"
    LOGIN_ACCOUNT_RATE_LIMIT = "100 per hour"
    # Only for limits on every page (RATELIMIT_DEFAULT, off unless set): where Flask-Limiter counts
    # them. memory:// is per process; with several workers use redis://…, or `serve` refuses.
    RATELIMIT_STORAGE_URI = "memory://"
    # With Redis down, count in this process's memory until it is back (limits still hold).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Reverse proxies in front of KoKoMa whose X-Forwarded-For/-Proto/-Host headers are trusted.
    TRUSTED_PROXIES = 0
    RATELIMIT_HEADERS_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # How much a request may send (larger ones are answered 413 before they are read): the
    # largest form, a case with a long description, is under 400 KB even in emoji.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # One field of a multipart form, and the number of fields of any form.
    MAX_FORM_MEMORY_SIZE = 256 * 1024
    MAX_FORM_PARTS = 200
    # Attachments of cases: where their files live (outside the web root; default
    # instance_path/attachments, set in load_config), how large one may be, which types (sniffed
    # from the content, never from the name) are taken.
    ATTACHMENTS_PATH = None
    # The keys the files are encrypted with (Fernet keys, comma-separated or a list; the first
    # encrypts, all decrypt). None: instance_path/attachment_keys, made at the first upload.
    ATTACHMENT_KEYS = None
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    # How long `attachments rotate-key` waits after dropping the old key for uploads begun before
    ATTACHMENT_ROTATION_GRACE_SECONDS = 2
    ATTACHMENT_TYPES = (
        "application/pdf", "image/png", "image/jpeg", "image/webp", "image/gif",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Where local plugins live; None switches folder plugins off.
    PLUGINS_DIR = str(PROJECT_DIR / "plugins")
    # Load plugins from installed packages (entry point group "kokoma").
    LOAD_ENTRYPOINT_PLUGINS = True
    # Plugins by module (or module name) besides those above, e.g. the one under test.
    EXTRA_PLUGINS = []
    # Settings of plugins for every municipality: {"plugin name": {"setting": value}}; a
    # coordinator may choose other values for their municipality on the plugin's page.
    PLUGIN_SETTINGS = {}
    # Whether a plugin is on where no coordinator chose: {"plugin name": false}; otherwise as
    # the plugin declares (Plugin.default_enabled, true unless it says otherwise).
    PLUGINS_ENABLED = {}
    # Partner notifications: a background thread per process delivers them (False: only
    # `flask --app kokoma worker` does); a failed delivery is retried after NOTIFY_RETRY_BASE_SECONDS,
    # doubling each time, and given up after NOTIFY_MAX_ATTEMPTS.
    NOTIFY_BACKGROUND_WORKER = True
    NOTIFY_POLL_SECONDS = 15.0
    NOTIFY_RETRY_BASE_SECONDS = 60
    NOTIFY_MAX_ATTEMPTS = 8
    # How long a worker holds a delivery before another may take it over (a worker that died).
    NOTIFY_LEASE_SECONDS = 300
    # The address people reach KoKoMa at; links in notifications start with it.
    # The daily digest of what is due, sent by the worker rounds from this hour (local time) on;
    # each person can switch it off in their settings.
    DIGEST_ENABLED = True
    DIGEST_HOUR = 6
    BASE_URL = "http://127.0.0.1:5000"
    # E-mail: no server configured means e-mail deliveries are skipped (and say so).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_SECURITY = "starttls"  # starttls, ssl or none
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "kokoma@localhost"
    MAIL_TIMEOUT = 20
    MAIL_CA_FILE: str | None = None  # CA certificates (PEM) to check the mail server by, if not the system's
    WEBHOOK_TIMEOUT = 10
    # Webhooks go only to public addresses (no loopback, private or link-local networks) and
    # follow no redirects; allow internal ones for a partner system inside your own network.
    WEBHOOK_ALLOW_INTERNAL = False
    # How long the access trail keeps an entry (who opened which case, who read the trail);
    # the daily job (kokoma/privacy/daily.py) removes older ones.
    ACCESS_TRAIL_RETENTION_DAYS = 365
    # Argon2id parameters (argon2-cffi defaults follow RFC 9106's low-memory profile).
    PASSWORD_HASH_PARAMS: dict = {}


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="KOKOMA")
    if "DATABASE_URL" in app.config:
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", "sqlite:///" + os.path.join(app.instance_path, "kokoma.sqlite")
    )
    if not app.config.get("ATTACHMENTS_PATH"):
        app.config["ATTACHMENTS_PATH"] = os.path.join(app.instance_path, "attachments")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app)


def _instance_secret_key(app: Flask) -> str:
    """A random key kept in the instance folder, so no secret ever lives in the repository."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def resource_dir(name: str) -> str:
    """Find a top-level folder (templates, migrations) in a checkout or inside an installed wheel."""
    packaged = PACKAGE_DIR / name
    return str(packaged if packaged.is_dir() else PROJECT_DIR / name)
