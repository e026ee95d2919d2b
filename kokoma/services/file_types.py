"""What kind of file an upload is, told from its content, never from its name.

``filetype`` reads the signature of the first bytes. Word, Excel and OpenDocument files are ZIP
archives, though, and ``filetype`` tells them apart by the names of the first few members only
(a ZIP whose first member is called ``word/…`` passes as a Word file, and a real document written
in another member order as a plain ZIP). So a ZIP is opened and asked what it holds: an
OpenDocument names its type in its ``mimetype`` member, an Office Open XML package the content
type of its main part in ``[Content_Types].xml``, and that part must be in the archive.
"""
import io
import zipfile
from xml.etree import ElementTree

import filetype

ZIP = "application/zip"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
# The content type of an Office Open XML package's main part -> the package's type.
OOXML_MAIN_PARTS = {
    f"{DOCX}.main+xml": DOCX,
    f"{XLSX}.main+xml": XLSX,
}
OPEN_DOCUMENT = frozenset({ODT, ODS})
SIGNATURE_BYTES = 8192
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")  # a member, an empty archive, a spanned one
# Members read to tell the type; larger ones are not a document's (and could be a ZIP bomb).
MAX_MEMBER_BYTES = 1024 * 1024
_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def sniffed_type(data: bytes) -> str | None:
    """The MIME type of ``data`` by its content; a ZIP archive that is no document it can tell
    is :data:`ZIP`; None when it knows no such content."""
    if data[:4] in ZIP_SIGNATURES:
        return zipped_document_type(data)
    kind = filetype.guess(data[:SIGNATURE_BYTES])
    return kind.mime if kind else None


def zipped_document_type(data: bytes) -> str:
    """The document type a ZIP archive declares (ODF's ``mimetype``, OOXML's main part), else ZIP."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = _member(archive, "mimetype").decode("ascii", "replace").strip()
                return declared if declared in OPEN_DOCUMENT and "content.xml" in names else ZIP
            if "[Content_Types].xml" in names:
                return _ooxml_type(ElementTree.fromstring(_member(archive, "[Content_Types].xml")), names)
    except Exception:  # noqa: BLE001 - damaged, encrypted or compressed in a way that cannot be read
        pass  # (zlib.error, lzma.LZMAError, BadZipFile, …): not a document this can tell
    return ZIP


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MAX_MEMBER_BYTES:
        raise ValueError(name)
    with archive.open(info) as member:
        return member.read(MAX_MEMBER_BYTES + 1)[:MAX_MEMBER_BYTES]


def _ooxml_type(types: ElementTree.Element, names: set[str]) -> str:
    for override in types.iter(f"{_CONTENT_TYPES_NS}Override"):
        kind = OOXML_MAIN_PARTS.get(override.get("ContentType", ""))
        if kind and override.get("PartName", "").lstrip("/") in names:
            return kind
    return ZIP
