"""Security headers for every response, with a strict Content-Security-Policy (no inline script),
and the CSRF token that pages put into their forms."""
import time

from flask import Flask, g, session
from flask_wtf.csrf import generate_csrf

from .fragments import LRU

# How long a signed CSRF token is handed out again to the same session (see csrf_token below).
CSRF_TOKEN_REUSE_SECONDS = 60

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    _reuse_csrf_tokens(app)

    @app.after_request
    def set_security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")  # personal data stays out of caches
        return response


def _reuse_csrf_tokens(app: Flask) -> None:
    """``csrf_token()`` in templates: Flask-WTF's token, signed anew at most once a minute per session.

    Flask-WTF signs the session's CSRF secret with the current time on every request that shows
    a form; every logged-in page does (logout, language). For up to a minute, the same session
    gets the token it was given last. That token is valid, bound to the same session secret
    and checked by Flask-WTF as before; it only expires up to a minute earlier than a fresh one
    (of WTF_CSRF_TIME_LIMIT, 8 hours, or a 20th of a shorter limit). Kept in this process only.
    """
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    time_limit = app.config.get("WTF_CSRF_TIME_LIMIT")
    reuse = min(CSRF_TOKEN_REUSE_SECONDS, time_limit / 20) if time_limit else CSRF_TOKEN_REUSE_SECONDS
    signed = app.extensions["kokoma_csrf_tokens"] = LRU(app.config["FRAGMENT_CACHE_SIZE"])

    def csrf_token() -> str:
        if field in g:  # this request has one already
            return g.get(field)
        secret = session.get(field)
        kept = signed.get(secret) if secret is not None else None
        if kept is not None and time.monotonic() - kept[1] < reuse:
            setattr(g, field, kept[0])  # where Flask-WTF looks first, for forms of this request
            return kept[0]
        token = generate_csrf()
        signed.set(session[field], (token, time.monotonic()))
        return token

    # In place of Flask-WTF's, which it offers both ways.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
