"""Partner notification, in one place: a transactional outbox, a worker, channel plugins.

1. **Outbox** (:mod:`.outbox`). Inside the transaction that writes a case event,
   :func:`queue_for_event` writes one :class:`~kokoma.models.Delivery` per subscribed partner
   (:func:`subscribed`: events, focus areas, minimum level) and channel. The change and its
   deliveries are saved together, or neither is.
2. **Worker** (:mod:`.worker`). After the commit the service layer wakes this process's
   :class:`BackgroundDispatcher` (:func:`wake`), a thread that also polls for retries;
   ``flask --app kokoma worker`` runs the same rounds as a process of its own. A round is
   :func:`deliver_due` (:mod:`.delivery`): claim one due delivery at a time with a lease,
   renewed while it is being delivered, until none is left.
3. **Channel plugins**. Each plugin implementing ``kokoma_notify_partners`` is a channel (by
   default e-mail and webhooks, ``kokoma/defaults/email.py`` and ``webhook.py``). It is called
   outside any transaction with one partner and a :class:`DeliveryInfo` (idempotency key,
   attempt, base URL). The default channels say what :mod:`.message` puts together, the same
   minimised facts on every channel, and a webhook goes only where :mod:`.addresses` allows.
4. **Outcome** (:mod:`.delivery`). Written back in a transaction of its own: *sent*, *skipped*
   (the channel returned ``False``: no address on it), or, when the channel raised, due again
   after a doubling delay and *failed* after ``NOTIFY_MAX_ATTEMPTS``; :func:`retry` makes a
   delivery due again.

At least once, never twice at the same time: see :mod:`.delivery` and docs/notifications.md.

This package uses the models, the database and the app's config; what belongs to one app (its
plugin host, its dispatcher) is passed in by the caller, so it never imports ``kokoma.runtime``.
"""
from .addresses import InternalAddress, check_webhook_address
from .delivery import Claimed, DeliveryInfo, claim_due, deliver_claimed, deliver_due, retry
from .message import case_link, details, event_label, partner_names, payload
from .outbox import queue_for_event, subscribed, subscription_key
from .worker import BackgroundDispatcher, wake

__all__ = [
    "BackgroundDispatcher", "Claimed", "DeliveryInfo", "InternalAddress", "case_link", "check_webhook_address",
    "claim_due", "deliver_claimed", "deliver_due", "details", "event_label", "partner_names", "payload",
    "queue_for_event", "retry", "subscribed", "subscription_key", "wake",
]
