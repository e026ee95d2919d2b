"""Forms of the data-protection pages: the access trail's filters, the retention settings."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as WTFormsValidationError

from ..services.access_trail import TrailFilters
from ..services.person_requests import MODES
from .forms import DATE_HINT, Form, IdSelectField, choices

MAX_RETENTION_DAYS = 36500  # a hundred years: more is a typing error


class TrailFilterForm(Form):
    """The trail's filters (a GET form: a question to the trail can be bookmarked). An invalid
    filter filters nothing and says why at its field."""

    class Meta:
        csrf = False

    person = IdSelectField(_l("Person"))
    case = StringField(_l("Case reference"), validators=[Optional(), Length(max=32)])
    since = DateField(_l("From"), validators=[Optional()], render_kw=DATE_HINT)
    until = DateField(_l("Until"), validators=[Optional()], render_kw=DATE_HINT)

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise WTFormsValidationError(_l("The end of the period lies before its start."))

    def chosen_filters(self, case_of_reference) -> TrailFilters:
        """The valid filters; ``case_of_reference(text)`` finds a case's id (None: not one of yours)."""
        case_id = None
        if self.case.data and self.case.data.strip() and not self.case.errors:
            case_id = case_of_reference(self.case.data)
            if case_id is None:
                self.case.errors = [*self.case.errors, _l("No case of your municipality has this reference.")]
                case_id = 0  # asked for a case that is not there: nothing matches
        return TrailFilters(
            user_id=None if self.person.errors else self.person.chosen_id,
            case_id=case_id,
            since=None if self.since.errors else self.since.data,
            until=None if self.until.errors else self.until.data,
        )


def _days(label):
    return IntegerField(label, validators=[Optional(), NumberRange(
        min=1, max=MAX_RETENTION_DAYS, message=_l("Please enter a number of days from 1 to 36500."))],
        render_kw={"inputmode": "numeric"})


class RetentionForm(Form):
    """The municipality's retention periods, in days after a case was closed; empty: not by age."""

    anonymise_after_days = _days(_l("Anonymise closed cases after (days)"))
    delete_after_days = _days(_l("Delete closed cases after (days)"))


class PseudonymSettingForm(Form):
    enabled = BooleanField(_l("Advisors and partners read persons as pseudonyms"))


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class PersonSearchForm(Form):
    """The name a person's request is about; sent by POST, so that it stays out of addresses
    and server logs. Its length is counted without the spaces around it, as the search does."""

    name = StringField(_l("Name of the person"), filters=[_stripped], validators=[
        InputRequired(_l("Please enter at least three letters of the name.")),
        Length(min=3, max=200, message=_l("Please enter at least three letters of the name."))])


class PersonErasureForm(PersonSearchForm):
    mode = RadioField(_l("What to do"), choices=choices(MODES.items()),
                      validators=[InputRequired(_l("Please choose to erase or to pseudonymise."))])
    reason = TextAreaField(_l("Reason"), validators=[
        InputRequired(_l("Please give the reason (the person's request, its date).")), Length(max=2000)])
