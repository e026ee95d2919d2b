"""The forms of accounts (signing in, passwords, invitations, roles), municipalities, advisors'
assignments and the partner registry."""
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length
from wtforms.validators import ValidationError as WTFormsValidationError

from ..database import jsonable
from ..domain import CATEGORIES, LEVELS, PARTNER_KINDS
from ..i18n import Label as _l
from ..plugin_host import PluginFailure
from ..services.accounts import CODE_PATTERN
from .forms import (PLUGIN_FIELD_PREFIX, Form, IdSelectField, MultiCheckboxField, OneSubmission, ShowsSavedState, choices,
                    plugin_form_fields)


class LoginForm(Form):
    page_without_database = "auth/login.html"

    # autocomplete: password managers fill them in, and the purpose of each is machine-readable (WCAG 1.3.5)
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Please enter your e-mail address.")), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password."))],
                             render_kw={"autocomplete": "current-password"})


class SetPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please enter a password.")), Length(max=200)],
        description=_l("At least 12 characters and hard to guess: several unusual words in a row work well."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(_l("Please repeat the password.")), EqualTo("password", _l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


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


class PartnerForm(ShowsSavedState, OneSubmission, Form):
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
            extra={f.name.removeprefix(PLUGIN_FIELD_PREFIX): jsonable(f.data) for f in self.plugin_fields()},
        )


def partner_form_class(municipality) -> tuple[type, list[PluginFailure]]:
    """The partner form: the core fields plus those the channels switched on here need
    (``field_owners`` tells which channel plugin asked for each)."""
    attrs, failures = plugin_form_fields("kokoma_partner_fields", municipality=municipality)
    return type("PartnerForm", (PartnerForm,), attrs), failures  # its name makes the ids of its fields
