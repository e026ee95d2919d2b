"""The forms of measures, follow-ups (Wiedervorlage) and the day's work settings."""
from datetime import timezone
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import gettext as _
from wtforms import BooleanField, DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..domain import MEASURE_EFFECTS, MEASURE_KINDS, MEASURE_STATUSES
from ..i18n import Label as _l
from ..services.follow_ups import FollowUpInput
from ..services.measures import MeasureInput, responsible_key
from .forms import Form, IdSelectField, MultiCheckboxField, OneSubmission, ShowsSavedState, choices


FIRST_PLANNED_YEAR, LAST_PLANNED_YEAR = 1900, 2999


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

    def validate_planned_at(self, field) -> None:
        """A time a calendar can hold in every zone: Python's datetimes end at the years 1 and 9999."""
        if field.data is not None and not FIRST_PLANNED_YEAR <= field.data.year <= LAST_PLANNED_YEAR:
            raise ValidationError(_("Please enter a date between the years %(first)s and %(last)s.",
                                    first=FIRST_PLANNED_YEAR, last=LAST_PLANNED_YEAR))

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


class MeasureEditForm(ShowsSavedState, MeasureFields):
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
