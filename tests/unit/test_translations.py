"""Every user-facing message in the code and templates has a Chinese translation.

Catalogs are split by area (supervision/i18n/<area>); this checks the merged result, so a
message added anywhere without a translation fails here rather than showing English on a
Chinese page.
"""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo

ROOT = Path(__file__).resolve().parents[2]
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
#: Messages that read the same in Chinese.
SAME_IN_CHINESE = {"English", "API", "PDF", "Excel", "xlsx", "CSV", "ID", "#"}


def _translated() -> dict[str, str]:
    merged: dict[str, str] = {}
    for mo in sorted((ROOT / "supervision" / "i18n").glob("*/zh/LC_MESSAGES/messages.mo")):
        with mo.open("rb") as f:
            for message in read_mo(f):
                if message.id and message.string:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    merged[key] = message.string
    return merged


def _used() -> dict[str, str]:
    used: dict[str, str] = {}
    for folder in ("supervision", "templates"):
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            METHOD_MAP,
            keywords=KEYWORDS,
            options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
        ):
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                used.setdefault(msgid, f"{folder}/{filename}")
    return used


def test_every_message_has_a_chinese_translation():
    translated = _translated()
    missing = {
        m: where for m, where in _used().items() if m not in translated and m not in SAME_IN_CHINESE
    }
    assert not missing, "untranslated: " + "; ".join(
        f"{m!r} ({w})" for m, w in sorted(missing.items())
    )


def test_a_message_reads_the_same_in_every_catalog():
    """Catalogs are merged in folder order and the last wins: a message translated two
    ways would change wording depending on which areas exist."""
    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for mo in sorted((ROOT / "supervision" / "i18n").glob("*/zh/LC_MESSAGES/messages.mo")):
        area = mo.parents[2].name
        with mo.open("rb") as f:
            for message in read_mo(f):
                if not message.id or not message.string:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                if key in seen and seen[key][1] != message.string:
                    conflicts.append(
                        f"{key!r}: {seen[key][0]}={seen[key][1]!r} {area}={message.string!r}"
                    )
                seen.setdefault(key, (area, message.string))
    assert not conflicts, "\n".join(conflicts)
