import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from ..extensions import limiter
from ..services import accounts
from ..services.errors import ValidationError
from .forms import LoginForm, SetPasswordForm

bp = Blueprint("auth", __name__)


def require_login(blueprint: Blueprint) -> Blueprint:
    """Every page of ``blueprint`` needs a logged-in user (the login page answers otherwise)."""

    @blueprint.before_request
    @login_required
    def _require_login():
        return None

    return blueprint


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _only_failed_logins(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_only_failed_logins)
@limiter.limit(
    _login_limit, methods=["POST"], deduct_when=_only_failed_logins,
    key_func=lambda: "login-email:" + request.form.get("email", "").strip().lower(),
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            locale = session.get("locale")
            session.clear()  # a fresh session at login: no fixation ...
            if locale:
                session["locale"] = locale  # ... but the language chosen on the login page stays
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("index"))
        form.password.errors.append(_("E-mail address or password is wrong."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    user = accounts.invited_user(token)
    if user is None:
        abort(404)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.accept_invitation(token, form.password.data)
        except ValidationError as exc:
            form.password.errors = list(form.password.errors) + [str(m) for m in exc.errors.values()]
        else:
            flash(_("Your password is set. Please log in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/invitation.html", form=form, user=user), 422 if form.errors else 200


def _safe_next(target: str | None) -> str | None:
    """Only paths on this site: a login link must not send people elsewhere. Refused too: control
    and other invisible characters (CR/LF would split the Location header), backslashes (browsers
    read ``/\\host`` as ``//host``) and ``//`` in the path."""
    if not target or not target.startswith("/") or "\\" in target:
        return None
    if any(unicodedata.category(character).startswith("C") for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "//" in parts.path:
        return None
    return target


@bp.post("/language")
def choose_language():
    """Remember the language: on the account when logged in, else in the session."""
    from flask_login import current_user

    from ..services import accounts

    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        accounts.set_locale(current_user, locale)
    return redirect(_safe_next(request.form.get("next")) or url_for("index"))
