#!/usr/bin/env bash
# Re-extract the translatable strings and update the German catalogue; then translate the new,
# empty entries in kokoma/translations/de/LC_MESSAGES/messages.po (tests/test_i18n.py lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel=${PYBABEL:-.venv/bin/pybabel}
"$pybabel" extract -F babel.cfg -k _l -k _label -k lazy_gettext -k gettext -k ngettext:1,2 \
    --no-location --sort-output -o kokoma/translations/messages.pot .
"$pybabel" update -i kokoma/translations/messages.pot -d kokoma/translations -l de \
    --no-fuzzy-matching --ignore-obsolete --width 100
