"""WTForms forms: they parse and check the shape of input; services check the rules."""
from datetime import date

from flask_babel import LazyString, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional
from wtforms.validators import ValidationError as WTFormsValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import translated
from ..domain import CATEGORIES, GLASL_STAGES, LEVELS, MEASURE_KINDS, PARTNER_KINDS, RECOMMENDATIONS
from ..plugin_host import PluginFailure
from ..runtime import kokoma
from ..services.accounts import CODE_PATTERN
from ..services.cases import CaseFilters, CaseInput

PLUGIN_FIELD_PREFIX = "extra_"


class OptionalSelectField(SelectField):
    """A select whose empty option stands for None on the object (a Glasl stage not assessed)."""

    def process_data(self, value):
        self.data = "" if value is None else str(value)


def glasl_label(stage: int) -> str:
    return f"{stage} – {GLASL_STAGES[stage]}"


def choices(pairs, *, empty=None) -> list[SelectChoice]:
    """Options of a select field from (value, label) pairs, with an optional empty first option."""
    options = [SelectChoice("", empty)] if empty is not None else []
    return options + [SelectChoice(str(value), label) for value, label in pairs]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Please enter your e-mail address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password."))])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please enter a password.")), Length(max=200)],
        description=_l("At least 12 characters and hard to guess: several unusual words in a row work well."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(_l("Please repeat the password.")), EqualTo("password", _l("The passwords differ."))],
    )


class CaseForm(FlaskForm):
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
    parties = TextAreaField(_l("Parties involved"), validators=[Length(max=5000)])
    affected_groups = TextAreaField(_l("Affected groups"), validators=[Length(max=5000)])
    glasl_stage = OptionalSelectField(
        _l("Glasl stage"),
        choices=choices(((n, LazyString(glasl_label, n)) for n in GLASL_STAGES), empty=_l("not assessed yet")),
        default="",
    )
    violence_reported = BooleanField(_l("Violence or threats reported"))
    # The service checks that the facilitator works in the case's municipality.
    facilitator_id = SelectField(_l("Responsible facilitator"), choices=[], validate_choice=False)

    def plugin_fields(self):
        return [field for field in self if field.name.startswith(PLUGIN_FIELD_PREFIX)]

    def to_input(self) -> CaseInput:
        extra = {f.name.removeprefix(PLUGIN_FIELD_PREFIX): _jsonable(f.data) for f in self.plugin_fields()}
        return CaseInput(
            title=self.title.data or "",
            category=self.category.data or "",
            description=self.description.data or "",
            location=self.location.data or "",
            observed_on=self.observed_on.data,
            parties=self.parties.data or "",
            affected_groups=self.affected_groups.data or "",
            glasl_stage=int(self.glasl_stage.data) if self.glasl_stage.data else None,
            violence_reported=bool(self.violence_reported.data),
            facilitator_id=int(self.facilitator_id.data) if self.facilitator_id.data else None,
            extra=extra,
        )


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


def case_form_class(municipality) -> tuple[type[CaseForm], list[PluginFailure]]:
    """The case form of a municipality: the core fields plus those its plugins add."""
    results, failures = kokoma().plugins.call_each("kokoma_case_form_fields", municipality=municipality)
    attrs = {}
    for plugin, fields in results:
        for name, unbound in (fields or {}).items():
            if not name.isidentifier() or not name.islower():
                failures.append(PluginFailure(plugin, "kokoma_case_form_fields", f"invalid field name {name!r}"))
                continue
            if PLUGIN_FIELD_PREFIX + name in attrs:
                failures.append(PluginFailure(plugin, "kokoma_case_form_fields", f"field {name!r} is taken"))
                continue
            attrs[PLUGIN_FIELD_PREFIX + name] = unbound
    return type("MunicipalCaseForm", (CaseForm,), attrs), failures


def attach_errors(form, exc) -> None:
    """Put a service's ValidationError messages at the fields they concern (or flash the rest)."""
    from flask import flash

    for name, message in exc.errors.items():
        field = getattr(form, name, None) or getattr(form, PLUGIN_FIELD_PREFIX + name, None)
        if field is None:
            flash(str(message), "error")
        else:
            field.errors = list(field.errors) + [str(message)]


def plugin_field_values(case) -> tuple[list[tuple[str, str]], list[PluginFailure]]:
    """(label, shown value) of each plugin field stored on a case, choices shown by their label."""
    form_class, failures = case_form_class(case.municipality)
    form = form_class(formdata=None, meta={"csrf": False})
    extra = dict(case.extra or {})
    shown = []
    for field in form.plugin_fields():
        value = extra.pop(field.name.removeprefix(PLUGIN_FIELD_PREFIX), None)
        labels = {str(c.value): str(c.label) for c in getattr(field, "choices", None) or ()}
        shown.append((str(field.label.text), labels.get(str(value), "" if value is None else str(value))))
    # values of plugins no longer loaded are still shown, by their key
    shown += [(key, "" if value is None else str(value)) for key, value in extra.items()]
    return shown, failures


class TransitionForm(FlaskForm):
    trigger = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[Optional()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])


class CommentForm(FlaskForm):
    text = TextAreaField(
        _l("Comment"), validators=[DataRequired(_l("Please write a comment.")), Length(max=10000)], id="comment-text"
    )


class MeasureForm(FlaskForm):
    # ids of their own: the case page holds this form beside the comment form
    kind = SelectField(_l("Kind of measure"), choices=choices(MEASURE_KINDS.items()), id="measure-kind")
    text = TextAreaField(
        _l("What was done, with whom?"),
        validators=[DataRequired(_l("Please describe the measure.")), Length(max=10000)],
        id="measure-text",
    )


class AssignForm(FlaskForm):
    version = IntegerField(validators=[Optional()])
    facilitator_id = SelectField(_l("Responsible facilitator"), choices=[], validate_choice=False)
    advisor_id = SelectField(_l("Responsible advisor"), choices=[], validate_choice=False)


class ReviewRequestForm(FlaskForm):
    question = TextAreaField(
        _l("What should the review look at?"),
        validators=[DataRequired(_l("Please say what the review should look at.")), Length(max=5000)],
    )


class ReviewForm(FlaskForm):
    recommendation = SelectField(
        _l("Recommendation"), choices=choices(RECOMMENDATIONS.items(), empty=_l("– please choose –")),
        validators=[InputRequired(_l("Please choose a recommendation."))],
    )
    text = TextAreaField(_l("Review"), validators=[DataRequired(_l("Please write your review.")), Length(max=20000)])


class InviteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Please enter a valid e-mail address.")), Length(max=254)])
    role = SelectField(_l("Role"), choices=[])
    municipality_id = SelectField(_l("Municipality"), choices=[], validate_choice=False)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])


class MunicipalityForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("The code has 2 to 8 capital letters, e.g. COE."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)])

    def validate_code(self, field):
        if not CODE_PATTERN.match((field.data or "").strip().upper()):
            raise WTFormsValidationError(_l("The code has 2 to 8 capital letters, e.g. COE."))


class AssignmentForm(FlaskForm):
    advisor_id = SelectField(_l("Advisor"), choices=[], validate_choice=False)
    municipality_id = SelectField(_l("Municipality"), choices=[], validate_choice=False)


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes in a fieldset; what is ticked is the list of values."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PartnerForm(FlaskForm):
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

    def to_input(self):
        from ..services.partners import PartnerInput

        return PartnerInput(
            name=self.name.data or "", kind=self.kind.data, contact=self.contact.data or "",
            email=(self.email.data or "").strip().lower(), webhook_url=(self.webhook_url.data or "").strip(),
            categories=list(self.categories.data or []), events=list(self.events.data or []),
            min_level=self.min_level.data, share_details=bool(self.share_details.data), active=bool(self.active.data),
        )


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: filters are bookmarkable

    # default "": an absent filter is the "all" option, not a choice to refuse
    state = SelectField(_l("State"), choices=[], default="", validators=[Optional()])
    category = SelectField(_l("Focus area"), choices=[], default="", validators=[Optional()])
    level = SelectField(_l("Escalation level"), choices=[], default="", validators=[Optional()])
    per_page = SelectField(_l("Per page"), choices=[], validators=[Optional()])
    mine = BooleanField(_l("Only my cases"))
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)],
                    render_kw={"type": "search", "placeholder": _l("Reference or words of the title")})

    def offer(self, state_labels: dict, page_sizes, default_page_size: int) -> None:
        """Fill the options: the workflow's states (labelled), the focus areas, levels and page
        sizes, translated through the request's catalogue (kokoma.i18n)."""
        catalogue = get_translations()
        everything = _("all")
        self.state.choices = choices(translated(state_labels, catalogue).items(), empty=everything)
        self.category.choices = choices(translated(CATEGORIES, catalogue).items(), empty=everything)
        self.level.choices = choices(translated(LEVELS, catalogue).items(), empty=everything)
        self.per_page.choices = choices((n, str(n)) for n in page_sizes)
        if not self.per_page.data:
            self.per_page.data = str(default_page_size)

    def _valid(self, field):
        return field.data if field.data and not field.errors else None

    def chosen_filters(self):
        """What the valid filters ask for (an invalid one filters nothing)."""
        return CaseFilters(self._valid(self.state), self._valid(self.category), self._valid(self.level),
                           bool(self.mine.data), self._valid(self.q) or "")

    def chosen_page_size(self, default: int) -> int:
        return int(self._valid(self.per_page) or default)
