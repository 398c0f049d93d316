"""Fill a Chinese (zh) catalog from a POT and a JSON dict {msgid: msgstr}, keeping existing entries.

Usage: python scripts/po_fill.py TEMPLATE.pot CATALOG.po TRANSLATIONS.json
Every msgid of the template must have a translation (in the JSON or already in the catalog);
the script exits 1 and lists what is missing otherwise.
"""

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def main(pot: str, po: str, extra: str) -> int:
    with open(pot, "rb") as f:
        template = read_po(f)
    existing = Catalog(locale="zh")
    if Path(po).exists():
        with open(po, "rb") as f:
            existing = read_po(f, locale="zh")
    given = json.loads(Path(extra).read_text(encoding="utf-8")) if extra != "-" else {}
    out = Catalog(locale="zh", project="supervision", charset="utf-8", fuzzy=False)
    missing = []
    for msg in template:
        if not msg.id:
            continue
        old = existing.get(msg.id)
        text = given.get(msg.id) or (old.string if old else "")
        if not text:
            missing.append(msg.id)
        out.add(msg.id, text, locations=msg.locations)
    Path(po).parent.mkdir(parents=True, exist_ok=True)
    with open(po, "wb") as f:
        write_po(f, out, width=100, omit_header=False)
    for m in missing:
        print("missing:", m)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
