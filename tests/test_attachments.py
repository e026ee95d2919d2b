"""Attachments: size and type limits (sniffed from the content), stored outside the web root,
served only through the case's scope and access trail, as downloads, removed with the case."""
import io
import os

from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Attachment, CaseAccess, CaseEvent
from kokoma.services import attachments

from .conftest import PASSWORD

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, case, content, name):
    return client.post(f"/cases/{case.id}/attachments", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_a_file_is_attached_stored_outside_and_downloaded_with_no_sniffing(app, client, auth, world):
    case = world.analysed_case()
    auth.login()
    response = upload(client, case, PDF, "../../Protokoll Sitzung <1>.pdf")
    assert response.status_code == 302
    attachment = db.session.scalars(select(Attachment)).one()
    assert attachment.filename == "Protokoll Sitzung 1.pdf" and attachment.content_type == "application/pdf"
    stored = attachments.folder() / str(case.municipality_id) / attachment.stored_name
    with app.app_context():
        assert str(stored).startswith(app.config["ATTACHMENTS_PATH"])
        assert app.config["ATTACHMENTS_PATH"] == os.path.join(app.instance_path, "attachments")
    assert PDF not in stored.read_bytes() and b"%PDF" not in stored.read_bytes() and "static" not in str(stored)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Protokoll Sitzung 1.pdf" in page
    download = client.get(f"/cases/{case.id}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.get_data() == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "application/pdf"
    trail = db.session.scalars(select(CaseAccess.action).where(CaseAccess.case_id == case.id)).all()
    assert "attachment" in trail
    assert db.session.scalar(select(CaseEvent.kind).where(CaseEvent.kind == "attachment_added")) == "attachment_added"


def test_the_type_is_sniffed_from_the_content_and_the_size_limited(make_app, world):
    app = make_app(ATTACHMENT_MAX_BYTES=1000)
    client = app.test_client()
    case = world.analysed_case()
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    script = upload(client, case, b"<html><script>alert(1)</script></html>", "harmlos.pdf")
    assert script.status_code == 422 and "kann nicht angehängt werden" in script.get_data(as_text=True)
    large = upload(client, case, PNG + b"\x00" * 2000, "gross.png")
    assert large.status_code in (413, 422)
    empty = upload(client, case, b"", "leer.png")
    assert empty.status_code == 422
    assert upload(client, case, PNG, "bild.txt").status_code == 302  # the content is a PNG
    assert [a.content_type for a in db.session.scalars(select(Attachment))] == ["image/png"]


def test_another_municipality_cannot_open_or_add(client, world):
    case = world.analysed_case()
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    upload(client, case, PDF, "a.pdf")
    attachment = db.session.scalars(select(Attachment)).one()
    client.post("/logout")
    client.post("/login", data={"email": world.outsider.email, "password": PASSWORD})
    assert client.get(f"/cases/{case.id}/attachments/{attachment.id}").status_code == 404
    assert upload(client, case, PDF, "b.pdf").status_code == 404
    assert client.post(f"/cases/{case.id}/attachments/{attachment.id}/delete").status_code == 404
    other = world.case(world.outsider)
    # Their own case's address with our attachment: not found either.
    assert client.get(f"/cases/{other.id}/attachments/{attachment.id}").status_code == 404
    client.post("/logout")
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    assert client.get(f"/cases/{case.id}/attachments/{attachment.id}").status_code == 200  # sees the case
    assert upload(client, case, PDF, "c.pdf").status_code == 403  # but adds nothing


def test_removed_alone_or_with_the_case(client, auth, world):
    case = world.analysed_case()
    auth.login()
    upload(client, case, PDF, "a.pdf"), upload(client, case, PNG, "b.png")
    first, second = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    paths = [attachments.path_of(first), attachments.path_of(second)]
    assert client.post(f"/cases/{case.id}/attachments/{first.id}/delete").status_code == 302
    assert not paths[0].exists() and paths[1].exists()
    # The erasure of a case calls this in its transaction: files go once it commits, not before.
    db.session.commit()
    with db.session.begin():
        assert attachments.remove_case_attachments(db.session, case) == 1
        assert paths[1].exists()
    assert not paths[1].exists() and db.session.scalars(select(Attachment)).all() == []


def test_a_removal_that_rolls_back_keeps_the_file(client, auth, world):
    case = world.analysed_case()
    auth.login()
    upload(client, case, PDF, "a.pdf")
    attachment = db.session.scalars(select(Attachment)).one()
    path = attachments.path_of(attachment)
    db.session.commit()
    try:
        with db.session.begin():
            attachments.remove_case_attachments(db.session, case)
            raise RuntimeError("the erasure failed")
    except RuntimeError:
        pass
    db.session.commit()  # a later commit of the same session
    assert path.exists() and db.session.scalars(select(Attachment)).one()
