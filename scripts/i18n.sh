#!/usr/bin/env bash
# Refresh one area's Chinese catalog from its sources:
#   scripts/i18n.sh AREA TRANSLATIONS.json SOURCE...
# extracts the messages of SOURCE files/dirs, merges the given {msgid: msgstr} JSON (use -
# for none) with what supervision/i18n/AREA already has, and fails listing untranslated ids.
set -euo pipefail
area=$1; json=$2; shift 2
pot=$(mktemp --suffix=.pot)
.venv/bin/pybabel extract -F babel.cfg -k _l -o "$pot" "$@" >/dev/null 2>&1
.venv/bin/python scripts/po_fill.py "$pot" "supervision/i18n/$area/zh/LC_MESSAGES/messages.po" "$json"
.venv/bin/pybabel compile -f -d "supervision/i18n/$area" >/dev/null 2>&1
rm -f "$pot"
