"""Reading what the coordinators chose for the plugins of their municipality.

Read once per database transaction (the answer is kept in the session's ``info`` until the
transaction ends), so that a page calling many hooks asks once, and a change of the choice is
seen by the next transaction.
"""
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .database import db
from .models import PluginChoice

_KEY = "kokoma.plugin_choices"


def choices_of(municipality_id: int) -> dict[str, tuple[bool, dict]]:
    """{plugin name: (enabled, settings)} as the municipality's coordinators chose them."""
    kept = db.session.info.setdefault(_KEY, {})
    if municipality_id not in kept:
        # no autoflush: a hook may ask in the middle of a change (a case half-updated by rescore),
        # which must be written once, whole
        with db.session.no_autoflush:
            rows = db.session.execute(
                select(PluginChoice.plugin, PluginChoice.enabled, PluginChoice.settings)
                .where(PluginChoice.municipality_id == municipality_id)
            ).all()
        kept[municipality_id] = {plugin: (enabled, settings or {}) for plugin, enabled, settings in rows}
    return kept[municipality_id]


def forget(session) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session, transaction):
    if transaction.parent is None:
        forget(session)
