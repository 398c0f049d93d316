"""Build hook (the rest of the configuration is pyproject.toml).

A wheel must run without the checkout: `build_py` copies the repository's top-level
`templates/` and `migrations/` into the package (`supervision/templates`,
`supervision/migrations`, where create_app looks first) and compiles every catalog
`supervision/i18n/<area>/zh/LC_MESSAGES/messages.po` to its `.mo`. An editable install
(`make`) is left alone: it reads the checkout, and `make translations` compiles in place.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: Top-level folders carried into the package, as (source, destination inside the package).
BUNDLED = (("templates", "templates"), ("migrations", "migrations"))
#: Never copied into a wheel.
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")


class BuildWithResources(build_py):
    """build_py, plus the templates, the migrations and the compiled catalogs."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "supervision"
        for source, target in BUNDLED:
            dest = package / target
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(HERE / source, dest, ignore=JUNK)
        compile_catalogs(HERE / "supervision" / "i18n", package / "i18n")

    def get_outputs(self, include_bytecode=True):
        """The copied files too (bdist_wheel packs the whole build folder in any case)."""
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            package = Path(self.build_lib) / "supervision"
            for _source, target in BUNDLED:
                outputs += [str(p) for p in (package / target).rglob("*") if p.is_file()]
        return outputs


def compile_catalogs(source: Path, dest: Path) -> None:
    """Every `<area>/<locale>/LC_MESSAGES/messages.po` under source, as a `.mo` under dest
    (fuzzy entries included, as `pybabel compile -f` in the Makefile)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(source.glob("*/*/LC_MESSAGES/*.po")):
        mo = dest / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=True)


setup(cmdclass={"build_py": BuildWithResources})
