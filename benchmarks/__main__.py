"""Run every benchmark: `python -m benchmarks [NAME ...]` (or `make bench`)."""

from __future__ import annotations

import sys

from benchmarks import obligations, reminders, risk_pdf, rotation, subtree

SCENARIOS = {
    "subtree": subtree.run,
    "risk_pdf": risk_pdf.run,
    "obligations": obligations.run,
    "rotation": rotation.run,
    "reminders": reminders.run,
}


def main(argv: list[str]) -> int:
    names = argv or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
        return 2
    for name in names:
        SCENARIOS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
