"""Compile the gettext catalogues (.po -> .mo).

Imported by the app at start-up and, by file path, by ``hatch_build.py`` at install
time, so it may import nothing but the standard library and Babel.
"""
from pathlib import Path

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def stale_catalogs(translations_dir: Path = TRANSLATIONS_DIR) -> list[Path]:
    """The .po files whose .mo is missing or older than the .po."""
    stale = []
    for po in sorted(translations_dir.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_catalogs(translations_dir: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every stale catalogue; returns the .mo files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in stale_catalogs(translations_dir):
        with po.open("rb") as f:
            catalog = read_po(f)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as f:
            write_mo(f, catalog)
        written.append(mo)
    return written
