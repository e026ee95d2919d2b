"""PDFs drawn by WeasyPrint from an HTML page and a stylesheet of their own, loading nothing
(the case report, a person's export). WeasyPrint needs the Pango libraries of the system; where
they are missing the app runs on and the caller says so (:func:`pdf_engine` is None)."""
from flask import Response


def refuse_every_fetch(url, *args, **kwargs):
    """WeasyPrint's URL fetcher: a PDF loads nothing, from this server or another."""
    raise ValueError(f"the PDF loads nothing ({url[:40]})")


def pdf_engine():
    """The ``weasyprint`` module, or None where it cannot be loaded (Pango missing, or not installed)."""
    try:
        import weasyprint
    except (OSError, ImportError):
        return None
    return weasyprint


def pdf_download(engine, html: str, css: str, filename: str) -> Response:
    """The page drawn as a PDF, answered as a download nobody caches."""
    stylesheet = engine.CSS(string=css, url_fetcher=refuse_every_fetch)
    document = engine.HTML(string=html, url_fetcher=refuse_every_fetch).write_pdf(stylesheets=[stylesheet])
    response = Response(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
