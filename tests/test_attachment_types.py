"""Word, Excel and OpenDocument attachments: real files, made here, told apart from other ZIP
archives by what they hold (services.file_types), whatever their name."""
import io
import zipfile

import pytest
import xlsxwriter
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Attachment
from kokoma.services import file_types

from .test_attachments import upload

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="{main}"/>
</Types>"""
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="word/document.xml"/></Relationships>"""
DOCUMENT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>Protokoll des Runden Tisches</w:t></w:r></w:p></w:body></w:document>"""
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def archive(members, *, stored_first=None) -> bytes:
    """A ZIP of ``members`` (name -> text) in their order; ``stored_first``: a member written
    first and uncompressed, as OpenDocument requires of its ``mimetype``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        if stored_first:
            zipped.writestr(zipfile.ZipInfo(stored_first[0]), stored_first[1], compress_type=zipfile.ZIP_STORED)
        for name, text in members.items():
            zipped.writestr(name, text)
    return buffer.getvalue()


def docx(*, main=DOCX_MAIN, order=("[Content_Types].xml", "_rels/.rels", "word/document.xml")) -> bytes:
    """A minimal Word document (Office Open XML: content types, package relationship, main part)."""
    parts = {"[Content_Types].xml": CONTENT_TYPES.format(main=main), "_rels/.rels": RELS,
             "word/document.xml": DOCUMENT, "docProps/app.xml": "<Properties/>", "docProps/core.xml": "<coreProperties/>"}
    return archive({name: parts[name] for name in order})


def xlsx() -> bytes:
    """A workbook written by XlsxWriter (the library the exports use)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Maßnahmen")
    sheet.write_row(0, 0, ["Maßnahme", "Wirkung"])
    sheet.write_row(1, 0, ["Runder Tisch", "deeskalierend"])
    workbook.close()
    return buffer.getvalue()


def odf(mime: str, body: str) -> bytes:
    """A minimal OpenDocument file: ``mimetype`` first and stored, its manifest and content."""
    manifest = f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"""
    content = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">
<office:body>{body}</office:body></office:document-content>"""
    return archive({"META-INF/manifest.xml": manifest, "content.xml": content}, stored_first=("mimetype", mime))


ODT = odf(file_types.ODT, "<office:text><text:p>Protokoll des Runden Tisches</text:p></office:text>")
ODS = odf(file_types.ODS, '<office:spreadsheet><table:table table:name="Maßnahmen"/></office:spreadsheet>')


@pytest.mark.parametrize("content, mime", [
    (docx(), file_types.DOCX),
    # written as LibreOffice does, the main part after the properties: still a Word document
    (docx(order=("_rels/.rels", "docProps/app.xml", "docProps/core.xml", "[Content_Types].xml", "word/document.xml")),
     file_types.DOCX),
    (xlsx(), file_types.XLSX),
    (ODT, file_types.ODT),
    (ODS, file_types.ODS),
], ids=["docx", "docx-libreoffice-order", "xlsx", "odt", "ods"])
def test_office_documents_are_attached_by_their_content(client, auth, world, content, mime):
    case = world.analysed_case()
    auth.login()
    assert upload(client, case, content, "Protokoll ohne Endung").status_code == 302
    attachment = db.session.scalars(select(Attachment)).one()
    assert attachment.content_type == mime and attachment.filename == "Protokoll ohne Endung"
    download = client.get(f"/cases/{case.id}/attachments/{attachment.id}")
    assert download.get_data() == content and download.mimetype == mime


@pytest.mark.parametrize("content", [
    archive({"Protokoll.txt": "nur Text"}),
    # named like a Word document's members, without the package that says so
    archive({"word/document.xml": DOCUMENT, "word/evil.html": "<script>alert(1)</script>"}),
    docx(main="application/vnd.ms-word.document.macroEnabled.main+xml"),  # a Word file with macros
    archive({"[Content_Types].xml": CONTENT_TYPES.format(main=DOCX_MAIN), "_rels/.rels": RELS}),  # no main part
    ODT[:60],  # cut off: the members' directory is missing
    archive({"META-INF/manifest.xml": "<x/>"}, stored_first=("mimetype", file_types.ODT)),  # no content
    archive({"content.xml": "<x/>"}, stored_first=("mimetype", "application/epub+zip")),
    b"PK\x03\x04" + b"\x00" * 200,  # damaged
], ids=["zip", "word-names-only", "macros", "no-main-part", "cut-off", "odt-without-content", "epub", "damaged"])
def test_a_zip_that_is_no_office_document_is_refused_with_a_clear_message(client, auth, world, content):
    case = world.analysed_case()
    auth.login()
    response = upload(client, case, content, "Protokoll.docx")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ZIP-Archiv" in page and "kein Word-, Excel- oder OpenDocument-Dokument" in page
    assert db.session.scalars(select(Attachment)).all() == []


def test_a_zip_bomb_is_not_unpacked_to_tell_its_type():
    bomb = archive({"[Content_Types].xml": " " * (file_types.MAX_MEMBER_BYTES + 1), "word/document.xml": DOCUMENT})
    assert len(bomb) < 10_000 and file_types.sniffed_type(bomb) == file_types.ZIP


def test_a_zip_whose_member_cannot_be_unpacked_is_a_zip_not_an_error():
    """A declared document whose part is not valid deflate (or is LZMA): no 500, just "a ZIP"."""
    good = archive({"[Content_Types].xml": CONTENT_TYPES.format(main=DOCX_MAIN) * 20, "word/document.xml": DOCUMENT})
    start = good.index(b"[Content_Types].xml") + len("[Content_Types].xml")
    broken = good[:start] + bytes(b ^ 0xFF for b in good[start:start + 40]) + good[start + 40:]
    assert file_types.sniffed_type(broken) == file_types.ZIP
    lzma = io.BytesIO()
    with zipfile.ZipFile(lzma, "w", compression=zipfile.ZIP_LZMA) as made:
        made.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=DOCX_MAIN))
        made.writestr("word/document.xml", DOCUMENT)
    assert isinstance(file_types.sniffed_type(lzma.getvalue()), str)  # read or not: no error
