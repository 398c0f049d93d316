"""The roster upload form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField

KIND_CHOICES = [
    SelectChoice("", _l("Workbook (.xlsx): every sheet it holds")),
    SelectChoice("units", _l("CSV: units")),
    SelectChoice("people", _l("CSV: people")),
    SelectChoice("posts", _l("CSV: posts")),
    SelectChoice("assignments", _l("CSV: assignments")),
]


class RosterUploadForm(FlaskForm):
    """An .xlsx workbook or a CSV file (with the sheet it holds), optionally validated only."""

    file = FileField(_l("File (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])
    kind = SelectField(_l("File contents"), choices=KIND_CHOICES, default="")
    dry_run = BooleanField(_l("Validate only (write nothing)"))
