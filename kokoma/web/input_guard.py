"""What a request may bring: how large it may be, and which characters can be saved at all.

Forms check their own fields (:class:`kokoma.web.forms.Form` refuses unsavable characters at the
field, with a message); this module guards what reaches the code without a form: path segments
and any query or form parameter that no form field checks (answered with 400 and a readable
page). The sizes come from the settings MAX_CONTENT_LENGTH, MAX_FORM_MEMORY_SIZE and
MAX_FORM_PARTS (kokoma/config.py); werkzeug applies the limit on parts to multipart bodies only,
:class:`FormParser` to url-encoded ones as well.
"""
import re
from io import BytesIO

from flask import Flask, request
from flask import Request as FlaskRequest
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

# NUL (PostgreSQL's text columns cannot hold it) and lone surrogates (no UTF-8 encoding exists).
UNSAVABLE = re.compile("[\x00\ud800-\udfff]")
UNSAVABLE_MESSAGE = _l("This field contained characters that cannot be saved (such as a NUL character); "
                       "they were removed. Please check the text and send it again.")
# Parameters that no form field checks but that are safe as they are: where to go after a login
# or a change of language (kokoma.web.auth._safe_next refuses unsafe targets).
CHECKED_ELSEWHERE = frozenset({"next"})


class UnsavableParameter(BadRequest):
    """400: a parameter that no form checks holds characters that cannot be saved."""

    description = _l("The address or the form sent characters that cannot be processed (such as a NUL "
                     "character). Please go back, reload the page and try again.")


def unsavable(value) -> bool:
    return isinstance(value, str) and UNSAVABLE.search(value) is not None


def without_unsavable(value: str) -> str:
    return UNSAVABLE.sub("", value)


class FormParser(FormDataParser):
    """Werkzeug's form parser, with two limits applied to url-encoded bodies as to multipart ones:
    a streamed (chunked) body beyond MAX_CONTENT_LENGTH is refused, not cut off there, and
    MAX_FORM_PARTS holds too (a body of a megabyte can hold a hundred thousand short fields)."""

    def parse(self, stream, mimetype, content_length, options=None):
        if mimetype == "application/x-www-form-urlencoded":
            body = stream.read()  # the stream is limited to MAX_CONTENT_LENGTH, and stops there ...
            stream.read(1)  # ... silently: reading on raises RequestEntityTooLarge if more was sent
            if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
                raise RequestEntityTooLarge()
            stream = BytesIO(body)
        return super().parse(stream, mimetype, content_length, options)


UPLOAD_FORM_OVERHEAD = 64 * 1024  # the fields beside the file, and the multipart boundaries


def allows_larger_bodies(setting: str):
    """Mark a view that takes a body of up to ``app.config[setting]`` bytes (an upload) instead of
    MAX_CONTENT_LENGTH."""
    def mark(view):
        view.larger_bodies_setting = setting
        return view
    return mark


class Request(FlaskRequest):
    form_data_parser_class = FormParser


def init_app(app: Flask, checked_by_forms) -> None:
    """``checked_by_forms(name)``: whether a parameter is a form field (which its form checks)."""
    app.request_class = Request

    @app.before_request
    def refuse_unsavable_parameters():
        # A view that takes larger bodies (an upload) says so (allows_larger_bodies), before the
        # body is read below.
        setting = getattr(app.view_functions.get(request.endpoint), "larger_bodies_setting", None)
        if setting is not None:
            request.max_content_length = app.config[setting] + UPLOAD_FORM_OVERHEAD
        if any(unsavable(value) for value in (request.view_args or {}).values()):
            raise UnsavableParameter()
        for parameters in (request.args, request.form):
            for name, values in parameters.lists():
                if checked_by_forms(name) or name in CHECKED_ELSEWHERE:
                    continue
                if unsavable(name) or any(unsavable(value) for value in values):
                    raise UnsavableParameter()
