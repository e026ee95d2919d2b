import math
import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from ..services import accounts
from ..services.login_limits import LoginLimited
from ..services.errors import ValidationError
from .admin_forms import LoginForm, SetPasswordForm

bp = Blueprint("auth", __name__)


def require_login(blueprint: Blueprint) -> Blueprint:
    """Every page of ``blueprint`` needs a logged-in user (the login page answers otherwise)."""

    @blueprint.before_request
    @login_required
    def _require_login():
        return None

    return blueprint


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    retry_after = None
    if form.validate_on_submit():
        try:
            user = accounts.log_in(form.email.data, form.password.data, request.remote_addr)
        except LoginLimited as limited:
            retry_after = limited.retry_after
            minutes = max(1, math.ceil(retry_after / 60))
            form.password.errors.append(ngettext(
                "Too many failed logins. Please try again in %(num)d minute.",
                "Too many failed logins. Please try again in %(num)d minutes.", minutes))
        else:
            if user is not None:
                locale = session.get("locale")
                session.clear()  # a fresh session at login: no fixation ...
                if locale:
                    session["locale"] = locale  # ... but the language chosen on the login page stays,
                    if locale != user.locale:  # and is the account's from now on
                        accounts.set_locale(user, locale)
                login_user(user)
                return redirect(_safe_next(request.args.get("next")) or url_for("index"))
            form.password.errors.append(_("E-mail address or password is wrong."))
    response = make_response(render_template("auth/login.html", form=form))
    if retry_after is not None:
        response.status_code = 429
        response.headers["Retry-After"] = str(retry_after)
    elif form.errors:
        response.status_code = 422
    return response


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    accounts.end_session(current_user._get_current_object())
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
