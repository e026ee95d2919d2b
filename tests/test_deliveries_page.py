"""Partner notifications summarised per partner on the case page; the deliveries page says why
a delivery failed or was skipped in words, names channels in words, and pages."""
import re
import uuid

from kokoma.database import db
from kokoma.models import CaseEvent, Delivery, Partner

from .conftest import PASSWORD


def deliveries(world, case, partner, *specs):
    for status, channel, error in specs:
        event = CaseEvent(case_id=case.id, kind="transition", from_state="analysis", to_state="processing")
        db.session.add(event)
        db.session.flush()
        db.session.add(Delivery(event_id=event.id, case_id=case.id, municipality_id=case.municipality_id,
                                partner_id=partner.id, channel=channel, status=status, last_error=error,
                                idempotency_key=uuid.uuid4().hex))
    db.session.commit()


def partner(world, name, **fields):
    found = Partner(municipality_id=world.musterstadt.id, name=name, **fields)
    db.session.add(found)
    db.session.commit()
    return found


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_the_case_page_sums_notifications_up_per_partner(client, world):
    case = world.case()
    youth = partner(world, "Jugendamt", email="ja@mst.example")
    police = partner(world, "Polizei", email="pol@mst.example")
    email, hook = "email", "webhook"
    deliveries(world, case, youth, ("sent", email, ""), ("sent", email, ""), ("sent", email, ""),
               ("pending", email, ""), ("skipped", hook, ""))
    deliveries(world, case, police, ("failed", email, "ConnectionRefusedError: [Errno 111]"))
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    summary = page[page.index('class="plain-list delivery-summary"'):]
    summary = summary[:summary.index("</ul>")]
    assert re.search(r"<strong>Jugendamt:</strong> 1 wartet, 3 zugestellt, 1 übersprungen", summary)
    assert re.search(r"<strong>Polizei:</strong> 1 fehlgeschlagen", summary)
    assert summary.count("<li>") == 2


def test_the_deliveries_page_says_why_in_words_and_names_channels(client, world):
    case = world.case()
    no_mail = partner(world, "Ohne Adresse", webhook_url="https://example.org/hook")
    with_mail = partner(world, "Mit Adresse", email="x@mst.example")
    deliveries(world, case, no_mail, ("skipped", "email", ""),
               ("failed", "webhook", "WebhookRefused: https://example.org/hook answered 500"))
    deliveries(world, case, with_mail, ("skipped", "email", ""),
               ("pending", "email", "ConnectionRefusedError: [Errno 111] Connection refused"))
    login(client, world.coordinator)
    page = client.get("/partners/deliveries").get_data(as_text=True)
    assert "kokoma.defaults" not in page.replace("ConnectionRefusedError", "")
    assert page.count("<td>E-Mail</td>") == 3 and page.count("<td>Webhook</td>") == 1
    for words in ("der Partner hat keine E-Mail-Adresse", "kein Mailserver eingerichtet",
                  "das System des Partners hat die Nachricht abgelehnt", "der Server war nicht erreichbar"):
        assert words in page, words
    assert "answered 500" in page  # the technical error stays beside the words


def test_the_deliveries_page_pages_newest_first(client, world):
    case = world.case()
    youth = partner(world, "Jugendamt", email="ja@mst.example")
    deliveries(world, case, youth, *[("failed", "email", f"Fehler {n}") for n in range(60)])
    login(client, world.coordinator)
    first = client.get("/partners/deliveries").get_data(as_text=True)
    assert [int(n) for n in re.findall(r"Fehler (\d+)", first)] == list(range(59, 9, -1))
    older = re.search(r'href="(/partners/deliveries\?before=\d+)"', first).group(1)
    second = client.get(older).get_data(as_text=True)
    assert [int(n) for n in re.findall(r"Fehler (\d+)", second)] == list(range(9, -1, -1))
    assert "Ältere Einträge" not in second
