"""Error pages a person can read: in the app's layout and the reader's language (templates/error.html).

400 (also a form whose CSRF token expired), 403, 404, 405, 413, 429, 500, and 503 when the
database cannot be reached. Where a form was sent, the page says its input was not saved and
shows what was typed into its text fields, so nothing is lost; a form whose page needs nothing
from the database (the login) is shown again as it was filled in.
"""
from flask import Flask, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, RequestEntityTooLarge

from ..database import db
from ..services import submissions
from ..services.errors import NotFound, PermissionDenied
from .forms import typed_text
from .input_guard import UnsavableParameter

# What a database that cannot be reached (or stopped answering) raises.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
# code -> (heading, what it means for the reader)
PAGES = {
    400: (_l("The request could not be processed"),
          _l("Something in what your browser sent was not understood. Please go back, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your role does not allow this.")),
    404: (_l("Not found"), _l("This page does not exist, or you have no access to it.")),
    405: (_l("Not possible this way"),
          _l("This address does not take this kind of request. Please use the links and buttons on the pages.")),
    413: (_l("Too much at once"),
          _l("What was sent is larger than KoKoMa accepts, so nothing was saved. Please shorten long texts and "
             "send the form again.")),
    429: (_l("Too many attempts"),
          _l("There were too many failed log-in attempts. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"),
          _l("An error occurred on our side, so your last input was not saved. Please try again; if it happens "
             "again, tell your administrator.")),
    503: (_l("Service unavailable"),
          _l("KoKoMa cannot reach its database at the moment, so your last input was not saved. Please try again "
             "in a few minutes.")),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(NotFound, lambda _e: error_page(404))
    app.register_error_handler(PermissionDenied, lambda _e: error_page(403))
    for code in PAGES:
        if code != 503:
            app.register_error_handler(code, _http_error)
    for exception in DATABASE_UNAVAILABLE:
        app.register_error_handler(exception, _database_unavailable)
    app.register_error_handler(submissions.AlreadySubmitted, _sent_before)


def _sent_before(exc: submissions.AlreadySubmitted):
    """The same form a second time (a double click, a resent POST): its first result."""
    _forget_failed_transaction()
    flash(_("This form had been sent already; it was saved once."), "info")
    return redirect(submissions.address_of(exc.once) or url_for("index"))


def database_down() -> bool:
    """Whether this request found the database unreachable (then nothing more is asked of it)."""
    return bool(g.get("kokoma_database_down"))


def _http_error(exc: HTTPException):
    if isinstance(exc, InternalServerError):
        _forget_failed_transaction()
    message = None
    if isinstance(exc, CSRFError):
        message = _("The form has expired or did not come from this site, so nothing was saved. "
                    "Please reload the form and send it again.")
    elif isinstance(exc, UnsavableParameter):
        message = str(exc.description)
    response = error_page(exc.code, message=message)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _database_unavailable(_exc):
    g.kokoma_database_down = True
    _forget_failed_transaction()
    form = g.get("kokoma_submitted_form")
    if form is not None and form.page_without_database:
        flash(_("KoKoMa cannot reach its database at the moment, so this was not done. "
                "Please try again in a few minutes."), "error")
        return make_response(render_template(form.page_without_database, form=form), 503)
    return error_page(503)


def error_page(code: int, *, message: str | None = None):
    heading, text = PAGES.get(code, PAGES[400])
    page = render_template("error.html", code=code, heading=heading, text=message or text, typed=_typed_input(code))
    return make_response(page, code)


def _typed_input(code: int) -> list[tuple[str, str]]:
    """What was typed into the form this request sent, if it was not saved; not what another
    site's page sent (a forged form would have its text shown in KoKoMa's layout)."""
    if request.method != "POST" or code == 413 or request.headers.get("Origin", _this_site()) != _this_site():
        return []
    try:
        formdata = request.form
    except RequestEntityTooLarge:
        return []
    return typed_text(formdata, g.get("kokoma_submitted_form"))


def _this_site() -> str:
    return request.host_url.rstrip("/")


def _forget_failed_transaction() -> None:
    try:
        db.session.rollback()
    except DATABASE_UNAVAILABLE:
        pass
