"""Reading what the coordinators chose for the plugins of their municipality.

Read once per database transaction (the answer is kept in the session's ``info`` until the
transaction ends), so that a page calling many hooks asks once, and a change of the choice is
seen by the next transaction.
"""
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .database import db
from .models import Municipality, PluginChoice

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


def hold(session, municipality_id: int, *, to_switch: bool = False) -> None:
    """Hold the municipality's plugin choices until the transaction ends, and read them anew.

    A change that fires a transition of a plugin that can be switched off holds them shared, a
    switch of a plugin alone (services.plugins.switch): so a plugin is not switched off while a
    case is being moved into one of its states, and a transition waits for a switch to end before
    it asks whether its plugin is on. The lock is the municipality's row (PostgreSQL: FOR SHARE against FOR NO KEY
    UPDATE, which lets new cases and their references through); SQLite writes one transaction
    at a time anyway."""
    statement = select(Municipality.id).where(Municipality.id == municipality_id)
    session.execute(statement.with_for_update(key_share=True) if to_switch else statement.with_for_update(read=True))
    forget(session)


def forget(session) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session, transaction):
    if transaction.parent is None:
        forget(session)
