"""WTForms forms: they parse and check the shape of input; services check the rules. This module
holds what every form shares (the base class, one-time submissions, ids, choices, the fields plugins
add, errors put at their fields); the forms themselves live by feature: ``case_forms``,
``measure_forms``, ``analysis_forms``, ``privacy_forms`` and ``admin_forms``."""
import re
from functools import cache

from flask import flash, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import ValidationError as WTFormsValidationError
from wtforms.widgets import CheckboxInput, ListWidget
from werkzeug.datastructures import MultiDict

from ..database import jsonable
from ..i18n import Label as _l
from ..plugin_host import PluginFailure, malformed
from ..runtime import kokoma
from ..services import changes, submissions
from ..services.errors import VersionUnknown
from ..services.permissions import is_id
from .input_guard import UNSAVABLE_MESSAGE, unsavable, without_unsavable

PLUGIN_FIELD_PREFIX = "extra_"
DIGITS = re.compile(r"[0-9]{1,10}")

# What a date field shows while empty: the format it takes (a browser without a date picker).
DATE_HINT = {"placeholder": _l("YYYY-MM-DD")}


class Form(FlaskForm):
    """Base of every form. Text that cannot be saved (a NUL character, a lone surrogate) is
    refused at its field, in every kind of field: the field keeps the rest of what was typed and
    says what was removed. Errors of hidden fields, which no one sees at the field, are told as
    a message above the page."""

    # A template that shows this form from the form alone, without the database: with the
    # database down, the error handler shows the form again there, as it was filled in.
    page_without_database: str | None = None

    class Meta:
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            form.unsavable_names = set()
            if formdata is None or not hasattr(formdata, "lists"):
                return formdata
            if formdata and request.method == "POST":
                g.kokoma_submitted_form = form  # for the error pages (kokoma.web.errors)
            cleaned = MultiDict()
            for name, values in formdata.lists():
                if any(unsavable(value) for value in values):
                    form.unsavable_names.add(name)
                    values = [without_unsavable(v) if isinstance(v, str) else v for v in values]
                cleaned.setlist(name, values)
            return cleaned if form.unsavable_names else formdata

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if field.name in self.unsavable_names:
                field.errors = [UNSAVABLE_MESSAGE, *field.errors]
                valid = False
        if any(field.errors for field in self if getattr(field.widget, "input_type", None) == "hidden"):
            flash(_("The form was changed on its way or is out of date. Please reload the page and send it again."),
                  "error")
        return valid


class OneSubmission:
    """Mixin of the forms that create something: a one-time token (a hidden field), so that the
    form sent twice (a double click, a resent POST) makes one record, and the second sending is
    answered with the first one's result (kokoma.services.submissions; kokoma.web.errors
    redirects there). A form sent without a token is taken as before, once each time."""

    submission = HiddenField(default=submissions.new_token)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.submission.id = f"{type(self).__name__.lower()}-submission"  # several forms on one page

    def once(self, address) -> submissions.Once | None:
        """The token as sent, for the service; ``address(result)`` names the page of the result."""
        token = self.submission.raw_data[0] if self.submission.raw_data else None
        if not submissions.is_token(token) or not getattr(current_user, "is_authenticated", False):
            return None
        return submissions.Once(token, current_user.id, address)

    def validate(self, extra_validators=None) -> bool:
        submissions.refuse_repeat(self.once(None))  # sent before: answered with its result instead
        return super().validate(extra_validators)


class ShowsSavedState:
    """Mixin of the forms that edit something others may edit meanwhile (a measure, an item of the
    analysis, a partner, a case study): a hidden field with its state as the form showed it
    (services.changes.seen_state), so that a save over someone else's is refused, not lost."""

    seen = HiddenField()

    def showing(self, row) -> None:
        """The form shows ``row`` as it is saved now (a new form, or one refused as a conflict)."""
        self.seen.data = changes.seen_state(row)

    def sent_seen(self) -> str:
        """The state the person's form showed; a form without one is refused (VersionUnknown)."""
        if not self.seen.raw_data or not self.seen.raw_data[0]:
            raise VersionUnknown()
        return self.seen.raw_data[0]


def refused_as_conflict(form: ShowsSavedState, row, conflict) -> None:
    """A save refused because ``row`` changed meanwhile (or the form did not say what it showed):
    the form keeps the person's entries, says so, and now shows ``row`` as saved, so that sending
    it again replaces that version knowingly."""
    form.showing(row)
    flash(str(conflict.message), "error")


def checked_by_forms(name: str) -> bool:
    """Whether a parameter of this name is a field of some form, which checks it itself
    (kokoma.web.input_guard guards the others)."""
    return name in _form_field_names() or name.startswith(PLUGIN_FIELD_PREFIX)


@cache
def _form_field_names() -> frozenset[str]:
    return frozenset({"csrf_token"}.union(*(field_names(form_class) for form_class in form_classes())))


def typed_text(formdata, form: Form | None = None) -> list[tuple[str, str]]:
    """(label, text) of what was typed into the text fields of a form that was sent, to show
    again when it could not be saved. ``form`` is the form the view built; when the request
    failed before its view built one, the form class that fits the sent fields best stands in."""
    if form is None:
        form_class = _form_class_of(formdata)
        if form_class is None:
            return []
        form = form_class(formdata=formdata, meta={"csrf": False})
    return [(str(field.label.text), field.data) for field in form if _typed(field) and field.data]


def _typed(field) -> bool:
    return isinstance(field, StringField) and not isinstance(field, (PasswordField, HiddenField))


def _form_class_of(formdata) -> type[Form] | None:
    sent = set(formdata.keys())
    best, best_fit = None, (0, 0)
    for form_class in form_classes():
        names = field_names(form_class)
        fit = (len(sent & names), -len(names - sent))  # most fields sent, fewest missing
        if fit[0] and fit > best_fit:
            best, best_fit = form_class, fit
    return best


def form_classes() -> list[type[Form]]:
    """Every form class: the subclasses of :class:`Form`, however deep."""
    found, waiting = [], [Form]
    while waiting:
        form_class = waiting.pop()
        subclasses = form_class.__subclasses__()
        waiting.extend(subclasses)
        found.extend(subclasses)
    return found


def field_names(form_class) -> set[str]:
    """The names of a form class's fields, read from the class (no form is built)."""
    return {name for name in dir(form_class) if isinstance(getattr(form_class, name, None), UnboundField)}


def filter_args(form, args) -> dict[str, list[str]]:
    """The query arguments of a filter ``form`` to keep when paging or exporting: only its own
    fields, each with all its values that are not empty (a field of checkboxes has several). Any
    other argument would reach ``url_for`` too, where ``endpoint`` or ``kind`` clash with its own
    and ``_anchor`` or ``_scheme`` change the link."""
    kept = {name: [value for value in values if value] for name, values in args.lists() if name in form}
    return {name: values for name, values in kept.items() if values}


def object_id(value) -> int | None:
    """A database id written in decimal digits (1 to 2^31 - 1), or None for anything else."""
    if not isinstance(value, str) or not DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if is_id(number) else None


class IdSelectField(SelectField):
    """A select of objects by id (people, municipalities): anything but the empty option or an id
    is refused at the field; the service checks that the object fits (a facilitator of this
    municipality, say). The data stays the string sent, so the select shows the choice again;
    ``chosen_id`` is the id, or None for the empty option."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("choices", [])
        super().__init__(label, validators, validate_choice=False, **kwargs)

    def pre_validate(self, form):
        if self.data and object_id(self.data) is None:
            raise WTFormsValidationError(_l("Please choose from the list."))

    @property
    def chosen_id(self) -> int | None:
        return object_id(self.data)


def choices(pairs, *, empty=None) -> list[SelectChoice]:
    """Options of a select field from (value, label) pairs, with an optional empty first option."""
    options = [SelectChoice("", empty)] if empty is not None else []
    return options + [SelectChoice(str(value), label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes in a fieldset; what is ticked is the list of values."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PluginFieldsMixin:
    """The fields plugins add to a form (with_plugin_fields), named extra_<name>."""

    def plugin_fields(self):
        return [field for field in self if field.short_name.startswith(PLUGIN_FIELD_PREFIX)]

    def plugin_values(self) -> dict:
        return {f.short_name.removeprefix(PLUGIN_FIELD_PREFIX): jsonable(f.data) for f in self.plugin_fields()}



def with_plugin_fields(base: type, hook: str, municipality) -> tuple[type, list[PluginFailure]]:
    """``base`` with the fields the plugins return from ``hook`` (named ``extra_<name>``)."""
    attrs, failures = plugin_form_fields(hook, municipality=municipality)
    attrs.pop("field_owners")
    return type(f"Municipal{base.__name__}", (base,), attrs), failures


FIELDS_EXPECTED = "a dict of field name (a lower-case identifier) to an unbound WTForms field, or None"


def plugin_form_fields(hook: str, **kwargs) -> tuple[dict, list[PluginFailure]]:
    """``extra_<name>`` → unbound field, from each plugin implementing ``hook``; what is not a
    field (or a name taken already, by another plugin) is a failure that names both."""
    results, failures = kokoma().plugins.call_each(hook, **kwargs)
    attrs, owners = {}, {}
    for plugin, fields in results:
        if fields is None:
            continue
        if not isinstance(fields, dict):
            failures.append(malformed(plugin, hook, fields, FIELDS_EXPECTED))
            continue
        for name, unbound in fields.items():
            if not isinstance(name, str) or not name.isidentifier() or not name.islower():
                failures.append(malformed(plugin, hook, name, "a field name that is a lower-case identifier"))
                continue
            if not isinstance(unbound, UnboundField):
                failures.append(malformed(plugin, hook, unbound, f"an unbound WTForms field for {name!r}"))
                continue
            if PLUGIN_FIELD_PREFIX + name in attrs:
                failures.append(PluginFailure(plugin, hook, f"field {name!r} is defined by {owners[name]} already"))
                continue
            attrs[PLUGIN_FIELD_PREFIX + name], owners[name] = unbound, plugin
    attrs["field_owners"] = owners
    return attrs, failures


def attach_errors(form, exc) -> None:
    """Put a service's ValidationError messages at the fields they concern (or flash the rest)."""
    for name, message in exc.errors.items():
        field = getattr(form, name, None) or getattr(form, PLUGIN_FIELD_PREFIX + name, None)
        if field is None:
            flash(str(message), "error")
        else:
            field.errors = list(field.errors) + [str(message)]


def focus_first_error(form) -> None:
    """The first field with an error gets the focus when the page comes back (``autofocus``: no
    JavaScript needed); the page also scrolls to the form by the fragment of its address."""
    for field in form:
        if field.errors and getattr(field.widget, "input_type", None) != "hidden":
            field.render_kw = {**(field.render_kw or {}), "autofocus": True}
            return


def shown_plugin_values(form_class, values) -> list[tuple[str, str]]:
    """(label, shown value) of each plugin field of ``form_class`` in ``values`` (stored by field
    name), choices by their label; values of plugins no longer loaded are shown by their key."""
    form = form_class(formdata=None, meta={"csrf": False})
    extra = dict(values or {})
    shown = []
    for field in form.plugin_fields():
        value = extra.pop(field.short_name.removeprefix(PLUGIN_FIELD_PREFIX), None)
        labels = {str(c.value): str(c.label) for c in getattr(field, "choices", None) or ()}
        shown.append((str(field.label.text), labels.get(str(value), shown_value(value))))
    shown += [(key, shown_value(value)) for key, value in extra.items()]
    return shown


def shown_value(value) -> str:
    """A stored value in words: yes/no for a boolean (in the reader's language), "" for none."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)
