"""`python -m benchmarks [--quick] [--people N] [--backend B]` (or `make bench`): issue 14's
province-scale table (benchmarks.province). `python -m benchmarks NAME ...`: the older
single-scenario benchmarks below."""

from __future__ import annotations

import sys

from benchmarks import obligations, province, reminders, risk_pdf, rotation, subtree

SCENARIOS = {
    "subtree": subtree.run,
    "risk_pdf": risk_pdf.run,
    "obligations": obligations.run,
    "rotation": rotation.run,
    "reminders": reminders.run,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        return province.main(argv)
    names = argv
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
        return 2
    for name in names:
        SCENARIOS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
