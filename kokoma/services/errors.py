from flask_babel import lazy_gettext as _l


class ServiceError(Exception):
    """Base of the errors a view turns into a message for the person."""


class NotFound(ServiceError):
    """The object does not exist or lies outside what the user may see (both answer 404)."""


class PermissionDenied(ServiceError):
    pass


class ConflictError(ServiceError):
    """Someone else changed the case between reading and writing."""

    message = _l("This case was changed meanwhile by someone else. Please check the current state and try again.")


class ChangedMeanwhile(ConflictError):
    """Someone else saved a change to the measure, item, partner or study a form edits after the
    form showed it (services.changes.require_unchanged)."""

    message = _l("Someone else saved a change to this meanwhile. Please check the current version and save again.")


class VersionUnknown(ConflictError):
    """A change came without the version of the case (or the state of the measure, item, partner or
    study) it was made from: an old page, a hand-made request. Whether someone changed it since
    cannot be told."""

    message = _l("This form did not say which state it was made from. Please check what is saved now and send "
                 "again; what you entered is kept.")


class ValidationError(ServiceError):
    """Input breaks a rule; ``errors`` maps a field name to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
