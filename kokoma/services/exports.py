"""Exports of the filtered case list as CSV and XLSX, streamed in constant memory.

Rows are read from the database in batches (``yield_per``: a server-side cursor on PostgreSQL)
and written out as they come; the XLSX is written by XlsxWriter in ``constant_memory`` mode to a
temporary file, which is streamed and removed. Every export is first written to the access trail,
one entry per case taken out, in one INSERT ... SELECT (who, which cases, when).
Cells that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
return) are neutralised with a leading apostrophe in CSV and written as text in XLSX.
"""
import csv
import io
import os
import tempfile
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, literal, select

from ..database import db, utcnow, write_transaction
from ..domain import CATEGORIES, LEVELS
from ..i18n import translated
from ..models import Case, CaseAccess, Municipality, User
from ..runtime import kokoma
from . import permissions, pseudonyms
from .cases import CaseFilters, filter_conditions

BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# (heading, column) of an export, in order: the list's columns plus focus area, dates and level.
COLUMNS = (
    (_l("Reference"), Case.reference),
    (_l("Municipality"), Municipality.name),
    (_l("Title"), Case.title),
    (_l("Focus area"), Case.category),
    (_l("State"), Case.state),
    (_l("Escalation level"), Case.escalation_level),
    (_l("Escalation score"), Case.escalation_score),
    (_l("Glasl stage"), Case.glasl_stage),
    (_l("Facilitator"), User.name),
    (_l("Date observed"), Case.observed_on),
    (_l("Logged"), Case.created_at),
    (_l("Last change"), Case.updated_at),
)


def _query(user, filters: CaseFilters, *columns):
    # An export takes out every matching case, whatever order the list shows them in.
    conditions = filter_conditions(user, replace(filters, sort="newest"))
    return (
        select(*columns).select_from(Case)
        .join(Municipality, Municipality.id == Case.municipality_id)
        .outerjoin(User, User.id == Case.facilitator_id)
        .where(*conditions)
    )


def record_export(user, filters: CaseFilters, kind: str) -> int:
    """Write the export to the access trail: one entry per case taken out. Returns how many."""
    permissions.require(user, "case.export")
    with write_transaction() as session:
        cases = _query(user, filters, Case.id, Case.municipality_id, literal(user.id), literal(f"export_{kind}"),
                       literal(utcnow(), CaseAccess.accessed_at.type))
        result = session.execute(insert(CaseAccess).from_select(
            ["case_id", "municipality_id", "user_id", "action", "accessed_at"], cases))
        return result.rowcount


def rows(user, filters: CaseFilters):
    """The export's rows, as Python values with labels in the reader's language, in batches."""
    # The vocabularies translated once (kokoma.i18n), not once a row.
    catalogue = get_translations()
    labels = [translated(CATEGORIES, catalogue), translated(kokoma().workflow.state_labels(), catalogue),
              translated(LEVELS, catalogue)]
    query = _query(user, filters, *(column for _heading, column in COLUMNS), Case.id).order_by(Case.id.desc())
    result = db.session.execute(query.execution_options(yield_per=BATCH))
    for batch in result.partitions(BATCH):
        # The persons of the batch's cases, as the reader reads them (services.pseudonyms).
        names = pseudonyms.for_cases(user, [row[-1] for row in batch])
        for row in batch:
            values = [names.text(value) if isinstance(value, str) else value for value in row[:-1]]
            for position, vocabulary in zip((3, 4, 5), labels):
                values[position] = vocabulary.get(values[position], values[position])
            yield values


def headings() -> list[str]:
    return [str(heading) for heading, _column in COLUMNS]


def neutralised(value: str) -> str:
    """Text a spreadsheet shows as typed, never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _local(moment: datetime, zone) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def csv_chunks(user, filters: CaseFilters, zone: str):
    """The CSV as it is written: UTF-8 with a byte order mark, semicolons (as German Excel and
    LibreOffice read them), German dates."""
    tz = ZoneInfo(zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def cell(value):
        if value is None:
            return ""
        if isinstance(value, datetime):
            return _local(value, tz).strftime("%d.%m.%Y %H:%M")
        if isinstance(value, date):
            return value.strftime("%d.%m.%Y")
        return neutralised(str(value)) if isinstance(value, str) else value

    writer.writerow(headings())
    yield "\ufeff" + buffer.getvalue()
    for n, values in enumerate(rows(user, filters), 1):
        if n % BATCH == 1:
            buffer.seek(0)
            buffer.truncate()
        writer.writerow([cell(v) for v in values])
        if n % BATCH == 0:
            yield buffer.getvalue()
    if buffer.tell():
        yield buffer.getvalue()


def write_xlsx(user, filters: CaseFilters, zone: str) -> str:
    """Write the XLSX to a temporary file (constant memory) and return its path; the caller
    streams it and removes it."""
    import xlsxwriter

    tz = ZoneInfo(zone)
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="kokoma-export-")
    os.close(handle)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(str(_l("Cases"))[:31])
    bold = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": "DD.MM.YYYY"})
    moment = workbook.add_format({"num_format": "DD.MM.YYYY HH:MM"})
    sheet.write_row(0, 0, headings(), bold)
    for r, values in enumerate(rows(user, filters), 1):
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, _local(value, tz), moment)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    workbook.close()
    return path
