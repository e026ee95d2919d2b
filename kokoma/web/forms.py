"""WTForms forms: they parse and check the shape of input; services check the rules."""
import re
from datetime import date, timezone
from functools import cache
from zoneinfo import ZoneInfo

from flask import flash, g, request
from flask_babel import LazyString, get_timezone, get_translations
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    SelectChoice,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional
from wtforms.validators import ValidationError as WTFormsValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget
from werkzeug.datastructures import MultiDict

from ..i18n import Label as _l
from ..i18n import translate, translated
from ..domain import (CATEGORIES, GLASL_STAGES, LEVELS, MEASURE_EFFECTS, MEASURE_KINDS, MEASURE_STATUSES,
                      PARTNER_KINDS, RECOMMENDATIONS)
from ..plugin_host import PluginFailure, malformed
from ..runtime import kokoma
from ..services import submissions
from ..services.accounts import CODE_PATTERN
from ..services.cases import SORT_LABELS, CaseFilters, CaseInput
from ..services.follow_ups import FollowUpInput
from ..services.measures import MeasureInput, responsible_key
from ..services.permissions import is_id
from .input_guard import UNSAVABLE_MESSAGE, unsavable, without_unsavable

PLUGIN_FIELD_PREFIX = "extra_"
DIGITS = re.compile(r"[0-9]{1,10}")


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


class LoginForm(Form):
    page_without_database = "auth/login.html"

    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Please enter your e-mail address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password."))])


class SetPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please enter a password.")), Length(max=200)],
        description=_l("At least 12 characters and hard to guess: several unusual words in a row work well."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(_l("Please repeat the password.")), EqualTo("password", _l("The passwords differ."))],
    )


class PluginFieldsMixin:
    """The fields plugins add to a form (with_plugin_fields), named extra_<name>."""

    def plugin_fields(self):
        return [field for field in self if field.short_name.startswith(PLUGIN_FIELD_PREFIX)]

    def plugin_values(self) -> dict:
        return {f.short_name.removeprefix(PLUGIN_FIELD_PREFIX): _jsonable(f.data) for f in self.plugin_fields()}


class CaseForm(PluginFieldsMixin, OneSubmission, Form):
    version = HiddenField()
    title = StringField(_l("Title"), validators=[InputRequired(_l("Please enter a title.")), Length(max=200)])
    category = SelectField(
        _l("Focus area"),
        choices=choices(CATEGORIES.items(), empty=_l("– please choose –")),
        validators=[InputRequired(_l("Please choose one of the categories."))],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])
    location = StringField(_l("Location"), validators=[Length(max=200)])
    observed_on = DateField(
        _l("Date observed"), validators=[Optional()],
        render_kw={"placeholder": "JJJJ-MM-TT"},
    )
    violence_reported = BooleanField(_l("Violence or threats reported"))
    # The service checks that the facilitator works in the case's municipality.
    facilitator_id = IdSelectField(_l("Responsible facilitator"))

    def to_input(self) -> CaseInput:
        return CaseInput(
            title=self.title.data or "",
            category=self.category.data or "",
            description=self.description.data or "",
            location=self.location.data or "",
            observed_on=self.observed_on.data,
            violence_reported=bool(self.violence_reported.data),
            facilitator_id=self.facilitator_id.chosen_id,
            extra=self.plugin_values(),
        )


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


def case_form_class(municipality) -> tuple[type[CaseForm], list[PluginFailure]]:
    """The case form of a municipality: the core fields plus those its plugins add."""
    return with_plugin_fields(CaseForm, "kokoma_case_form_fields", municipality)


def with_plugin_fields(base: type, hook: str, municipality) -> tuple[type, list[PluginFailure]]:
    """``base`` with the fields the plugins return from ``hook`` (named ``extra_<name>``)."""
    attrs, failures = plugin_form_fields(hook, municipality=municipality)
    attrs.pop("field_owners")
    return type(f"Municipal{base.__name__}", (base,), attrs), failures


def partner_form_class(municipality) -> tuple[type, list[PluginFailure]]:
    """The partner form: the core fields plus those the channels switched on here need
    (``field_owners`` tells which channel plugin asked for each)."""
    attrs, failures = plugin_form_fields("kokoma_partner_fields", municipality=municipality)
    return type("PartnerForm", (PartnerForm,), attrs), failures  # its name makes the ids of its fields


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


def plugin_field_values(case) -> tuple[list[tuple[str, str]], list[PluginFailure]]:
    """(label, shown value) of each plugin field stored on a case, choices shown by their label."""
    form_class, failures = case_form_class(case.municipality)
    return shown_plugin_values(form_class, case.extra), failures


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


class TransitionForm(OneSubmission, Form):
    trigger = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[Optional()], widget=HiddenInput())
    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])
    # Entering prevention: the first monitoring (services.follow_ups.MONITORED_STATE).
    follow_up_on = DateField(_l("First monitoring on"), validators=[Optional()])
    follow_up_what = TextAreaField(_l("What the monitoring checks"), validators=[Length(max=5000)])

    def first_follow_up(self, assignee_id) -> FollowUpInput | None:
        if self.follow_up_on.data is None:
            return None
        what = (self.follow_up_what.data or "").strip() or _("Monitoring: is the conflict staying calm?")
        return FollowUpInput(self.follow_up_on.data, what, assignee_id)


class CommentForm(OneSubmission, Form):
    text = TextAreaField(
        _l("Comment"), validators=[DataRequired(_l("Please write a comment.")), Length(max=10000)], id="comment-text"
    )


class PseudonymLiftForm(OneSubmission, Form):
    reason = TextAreaField(_l("Why the names are shown (required)"), id="pseudonyms-reason", validators=[
        DataRequired(_l("Please give the reason why the names are shown.")), Length(max=2000)])


class PseudonymRestoreForm(OneSubmission, Form):
    """Revoking needs no reason: it only takes away."""


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes in a fieldset; what is ticked is the list of values."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
class StudyForm(Form):
    lessons = TextAreaField(_l("Lessons learned"), validators=[Length(max=10000)])
    confirmed = BooleanField(_l("I read the text: it names no person, no actor and no place finer than the municipality."))


class WithdrawStudyForm(Form):
    reason = TextAreaField(_l("Why it is withdrawn"), validators=[Length(max=2000)])


class StudySearchForm(Form):
    class Meta:
        csrf = False  # a GET form

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)], render_kw={"type": "search"})
    category = SelectField(_l("Focus area"), choices=[], default="", validators=[Optional()])


class AttachmentForm(OneSubmission, Form):
    file = FileField(_l("File"), id="attachment-file")


class MeasureFields(Form):
    """A measure as a person plans, changes and completes it (ids of their own: the case page
    holds it beside other forms). Times are typed in the reader's time zone and kept in UTC."""

    kind = SelectField(_l("Kind of measure"), choices=choices(MEASURE_KINDS.items()), id="measure-kind")
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please give the measure a title.")), Length(max=200)],
                        id="measure-title")
    planned_at = DateTimeLocalField(_l("Planned for (date and time)"), validators=[Optional()], id="measure-planned-at",
                                    format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = StringField(_l("Place"), validators=[Length(max=200)], id="measure-place")
    responsible = SelectField(_l("Responsible"), validate_choice=False, id="measure-responsible")
    participants = TextAreaField(_l("Participants"), validators=[Length(max=5000)], id="measure-participants")
    # Actors of the case's analysis taking part (checkboxes; the service checks they are the case's).
    participant_actors = MultiCheckboxField(_l("Actors of the analysis taking part"), coerce=int,
                                            validate_choice=False, id="measure-participant-actors")
    status = SelectField(_l("Status"), choices=choices(MEASURE_STATUSES.items()), id="measure-status")
    outcome = TextAreaField(_l("Outcome"), validators=[Length(max=10000)], id="measure-outcome")
    effect = SelectField(_l("Effect"), choices=choices(MEASURE_EFFECTS.items(), empty=_l("not judged yet")),
                         id="measure-effect", validate_choice=False)

    def offer(self, responsible: list[tuple[str, str, str]], actors=()) -> None:
        """The people and partners who can be responsible, grouped; the actors who can take part."""
        self.participant_actors.choices = [(actor_id, name) for actor_id, name in actors]
        people = [(key, name) for key, name, group in responsible if group == "people"]
        partners = [(key, name) for key, name, group in responsible if group == "partners"]
        grouped = {"": [("", _("nobody yet"))], _("People of the municipality"): people}
        if partners:
            grouped[_("Partners")] = partners
        self.responsible.choices = grouped

    def fill(self, measure) -> None:
        """Show a stored measure (times in the reader's zone)."""
        for name in ("kind", "title", "place", "participants", "status", "outcome"):
            getattr(self, name).data = getattr(measure, name)
        self.effect.data = measure.effect or ""
        self.participant_actors.data = list(measure.participant_actor_ids or [])
        self.responsible.data = responsible_key(measure)
        self.planned_at.data = measure.planned_at.astimezone(_reader_zone()).replace(tzinfo=None) \
            if measure.planned_at else None

    def to_input(self) -> MeasureInput:
        planned = self.planned_at.data
        return MeasureInput(
            kind=self.kind.data or "", title=self.title.data or "",
            planned_at=planned.replace(tzinfo=_reader_zone()).astimezone(timezone.utc) if planned else None,
            place=self.place.data or "", responsible=self.responsible.data or "",
            participants=self.participants.data or "", participant_actor_ids=list(self.participant_actors.data or []),
            status=self.status.data or "",
            outcome=self.outcome.data or "", effect=self.effect.data or None,
        )


def _reader_zone() -> ZoneInfo:
    return ZoneInfo(str(get_timezone()))


class MeasureForm(OneSubmission, MeasureFields):
    pass


class MeasureEditForm(MeasureFields):
    pass


class FollowUpForm(OneSubmission, Form):
    due_on = DateField(_l("Date"), validators=[InputRequired(_l("Please give the date of the follow-up."))],
                       id="follow-up-due-on")
    what = TextAreaField(_l("What is to be checked"),
                         validators=[DataRequired(_l("Please say what is to be checked.")), Length(max=5000)],
                         id="follow-up-what")
    assignee_id = IdSelectField(_l("Who"), id="follow-up-assignee")

    def to_input(self) -> FollowUpInput:
        return FollowUpInput(self.due_on.data, self.what.data or "", self.assignee_id.chosen_id)


class FollowUpDoneForm(Form):
    note = TextAreaField(_l("What the check found"),
                         validators=[DataRequired(_l("Please note what the check found.")), Length(max=5000)])
    next_due_on = DateField(_l("Next follow-up on (optional)"), validators=[Optional()])
    next_what = TextAreaField(_l("What is to be checked then"), validators=[Length(max=5000)])
    next_assignee_id = IdSelectField(_l("Who"))

    def following(self) -> FollowUpInput | None:
        if not self.next_due_on.data and not (self.next_what.data or "").strip():
            return None
        return FollowUpInput(self.next_due_on.data, self.next_what.data or "", self.next_assignee_id.chosen_id)


class TaskSettingsForm(Form):
    digest_enabled = BooleanField(_l("Send me a daily e-mail of what is due"))


class AssignForm(OneSubmission, Form):
    version = IntegerField(validators=[Optional()], widget=HiddenInput())
    facilitator_id = IdSelectField(_l("Responsible facilitator"))
    advisor_id = IdSelectField(_l("Responsible advisor"))


class ReviewRequestForm(OneSubmission, Form):
    question = TextAreaField(
        _l("What should the review look at?"),
        validators=[DataRequired(_l("Please say what the review should look at.")), Length(max=5000)],
    )


class ReviewForm(OneSubmission, Form):
    recommendation = SelectField(
        _l("Recommendation"), choices=choices(RECOMMENDATIONS.items(), empty=_l("– please choose –")),
        validators=[InputRequired(_l("Please choose a recommendation."))],
    )
    text = TextAreaField(_l("Review"), validators=[DataRequired(_l("Please write your review.")), Length(max=20000)])


class InviteForm(OneSubmission, Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Please enter a valid e-mail address.")), Length(max=254)])
    role = SelectField(_l("Role"), choices=[])
    municipality_id = IdSelectField(_l("Municipality"))


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=[])


class MunicipalityForm(OneSubmission, Form):
    code = StringField(_l("Code"), validators=[DataRequired(_l("The code has 2 to 8 capital letters, e.g. COE."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)])

    def validate_code(self, field):
        if not CODE_PATTERN.match((field.data or "").strip().upper()):
            raise WTFormsValidationError(_l("The code has 2 to 8 capital letters, e.g. COE."))


class AssignmentForm(OneSubmission, Form):
    advisor_id = IdSelectField(_l("Advisor"), validators=[InputRequired(_l("Please choose an advisor."))])
    municipality_id = IdSelectField(_l("Municipality"), validators=[InputRequired(_l("Please choose a municipality."))])


class PartnerForm(OneSubmission, Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)])
    kind = SelectField(_l("Kind of partner"), choices=choices(PARTNER_KINDS.items()))
    contact = StringField(_l("Contact person"), validators=[Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[Length(max=254)])
    webhook_url = StringField(_l("Webhook address"), validators=[Length(max=500)])
    categories = MultiCheckboxField(
        _l("Focus areas (none ticked: all)"), choices=choices(CATEGORIES.items()), validate_choice=False
    )
    events = MultiCheckboxField(_l("Events (none ticked: all)"), choices=[], validate_choice=False)
    min_level = SelectField(_l("From escalation level"), choices=choices(LEVELS.items()))
    share_details = BooleanField(_l("Share title, description, parties and affected groups"))
    active = BooleanField(_l("Active"), default=True)
    field_owners: dict = {}

    def plugin_fields(self):
        return [field for field in self if field.name.startswith(PLUGIN_FIELD_PREFIX)]

    def channel_fields(self) -> dict:
        """{channel plugin: its fields} for the form's fieldsets."""
        grouped = {}
        for field in self.plugin_fields():
            grouped.setdefault(self.field_owners.get(field.name.removeprefix(PLUGIN_FIELD_PREFIX), ""), []).append(field)
        return grouped

    def to_input(self):
        from ..services.partners import PartnerInput

        return PartnerInput(
            name=self.name.data or "", kind=self.kind.data, contact=self.contact.data or "",
            email=(self.email.data or "").strip().lower(), webhook_url=(self.webhook_url.data or "").strip(),
            categories=list(self.categories.data or []), events=list(self.events.data or []),
            min_level=self.min_level.data, share_details=bool(self.share_details.data), active=bool(self.active.data),
            extra={f.name.removeprefix(PLUGIN_FIELD_PREFIX): _jsonable(f.data) for f in self.plugin_fields()},
        )


_ALL, _AS_FITS = _l("all"), _l("as fits")  # the filter bar's "no choice" options


class CaseFilterForm(Form):
    class Meta:
        csrf = False  # a GET form: filters are bookmarkable

    # default "": an absent filter is the "all" option, not a choice to refuse
    state = SelectField(_l("State"), choices=[], default="", validators=[Optional()])
    category = SelectField(_l("Focus area"), choices=[], default="", validators=[Optional()])
    level = SelectField(_l("Escalation level"), choices=[], default="", validators=[Optional()])
    per_page = SelectField(_l("Per page"), choices=[], validators=[Optional()])
    mine = BooleanField(_l("Only my cases"))
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)],
                    render_kw={"type": "search", "placeholder": _l("Words, names, places or a reference")})
    municipality = SelectField(_l("Municipality"), choices=[], default="", validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=[], default="", validators=[Optional()])

    def offer(self, state_labels: dict, page_sizes, default_page_size: int, municipalities=()) -> None:
        """Fill the options: the workflow's states (labelled), the focus areas, levels and page
        sizes, translated through the request's catalogue (kokoma.i18n)."""
        catalogue = get_translations()
        everything = translate(_ALL, catalogue)
        self.state.choices = choices(translated(state_labels, catalogue).items(), empty=everything)
        self.category.choices = choices(translated(CATEGORIES, catalogue).items(), empty=everything)
        self.level.choices = choices(translated(LEVELS, catalogue).items(), empty=everything)
        self.per_page.choices = choices((n, str(n)) for n in page_sizes)
        self.municipality.choices = choices(((m.id, m.name) for m in municipalities), empty=everything)
        self.sort.choices = choices(translated(SORT_LABELS, catalogue).items(), empty=translate(_AS_FITS, catalogue))
        if not self.per_page.data:
            self.per_page.data = str(default_page_size)

    def _valid(self, field):
        """The field's value if it asks for something (not blank) and is valid, else None."""
        return field.data if field.data and field.data.strip() and not field.errors else None

    def chosen_filters(self):
        """What the valid filters ask for (an invalid one filters nothing)."""
        municipality = self._valid(self.municipality)
        return CaseFilters(self._valid(self.state), self._valid(self.category), self._valid(self.level),
                           bool(self.mine.data), self._valid(self.q) or "",
                           int(municipality) if municipality else None, self._valid(self.sort) or "")

    def chosen_page_size(self, default: int) -> int:
        value = self._valid(self.per_page)
        return int(value) if value and value.isdigit() else default
