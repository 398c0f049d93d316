"""The risk-inventory PDF (排查清单) of 1,000 risk points with 3 measures each: the full report
(query, rows, template, page margins, WeasyPrint) against WeasyPrint rendering the bare
table of the same rows (minimal HTML and CSS, the same embedded font), in the same run.

The ratio shows what the report adds on top of the unavoidable layout work. The report is
made as a report job, as the pages and the API now make it (issue 14): queued, claimed by
the runner, built and rendered on behalf of its requester, stored in the file store; the
note also gives the time of the bare build and render, and the runner's peak memory."""

from __future__ import annotations

import random
import resource
import tempfile
from datetime import date, timedelta
from html import escape

from benchmarks.common import best_of, report, scratch_database_url

POINTS = 1_000
UNITS = 20
MEASURES_PER_POINT = 3
#: One run each: a 1,000-row PDF takes tens of seconds, and `make bench` must stay short.
REPEAT = 1


def _build(session) -> int:
    """Units, people, posts, points and measures; returns the root unit's id."""
    from supervision.extensions import db
    from supervision.org.models import OrgUnit, Person, Post
    from supervision.risks.models import Measure, RiskPoint

    db.drop_all()
    db.create_all()
    rng = random.Random(11)
    root = OrgUnit(code="R", name="城南分局", kind="branch", path="", depth=0)
    session.add(root)
    session.flush()
    root.path = f"{root.id}/"
    units, people, posts = [], [], []
    for i in range(UNITS):
        unit = OrgUnit(
            code=f"U{i}",
            name=f"第{i + 1}派出所",
            kind="station",
            parent_id=root.id,
            path="",
            depth=1,
        )
        session.add(unit)
        session.flush()
        unit.path = f"{root.path}{unit.id}/"
        units.append(unit)
        for j in range(3):
            people.append(
                Person(
                    staff_no=f"S{i:03d}{j}",
                    name=f"民警{i}-{j}",
                    personnel_type="police",
                    org_unit_id=unit.id,
                    leadership="none",
                    is_active=True,
                )
            )
            posts.append(
                Post(
                    code=f"P{i}-{j}",
                    name=f"执法办案岗{j + 1}",
                    org_unit_id=unit.id,
                    category="law_enforcement",
                    is_sensitive=True,
                )
            )
    session.add_all(people + posts)
    session.flush()
    categories = ("ideology", "duty", "process", "institution", "external")
    for n in range(POINTS):
        unit = units[n % UNITS]
        unit_people = [p for p in people if p.org_unit_id == unit.id]
        point = RiskPoint(
            org_unit_id=unit.id,
            post_id=rng.choice([p for p in posts if p.org_unit_id == unit.id]).id,
            title=f"违规插手干预案件办理第{n}项",
            manifestation="利用职务便利，接受当事人请托，违规插手案件的立案、侦查、强制措施等环节。"
            * rng.randint(1, 3),
            category=categories[n % 5],
            likelihood=rng.randint(1, 5),
            impact=rng.randint(1, 5),
            responsible_leader_id=unit_people[0].id,
            department_owner_id=unit_people[1].id,
            status="approved",
            version=1,
            return_comment="",
        )
        point.measures = [
            Measure(
                description=f"严格执行案件审核审批制度，落实办案全程留痕（{m + 1}）",
                owner_id=rng.choice(unit_people).id,
                due_on=date(2026, 1, 1) + timedelta(days=rng.randint(0, 365)),
                status="open",
            )
            for m in range(MEASURES_PER_POINT)
        ]
        session.add(point)
    session.commit()
    return root.id


def _bare_html(inventory, font_css: str) -> str:
    """The same rows in a plain table: no margin boxes, no column widths, no lists."""
    cells = []
    for n, row in enumerate(inventory.rows, start=1):
        measures = "<br>".join(
            escape(f"{i}. {m.text()}") for i, m in enumerate(row.measures, start=1)
        )
        values = (str(n), row.unit, row.post, row.category, row.title, row.manifestation, row.level)
        cells.append(
            "<tr>"
            + "".join(f"<td>{escape(v)}</td>" for v in values)
            + f"<td>{measures}</td><td>{escape(row.department_owner)}</td>"
            f"<td>{escape(row.responsible_leader)}</td></tr>"
        )
    return (
        f'<html lang="zh-CN"><head><style>{font_css} @page {{ size: A4 landscape }} '
        'body { font-family: "Report CJK"; font-size: 9pt } '
        # The same table algorithm as the report (fixed layout): automatic layout measures
        # every cell of all 1,000 rows first and takes about twice as long.
        "table { table-layout: fixed; width: 100% } "
        "td { border: 0.5pt solid black; vertical-align: top }</style></head><body>"
        "<table><thead><tr>"
        + "".join("<th>x</th>" for _ in range(10))
        + "</tr></thead><tbody>"
        + "".join(cells)
        + "</tbody></table></body></html>"
    )


def run() -> None:
    """Build the data, then time the full report against the bare table."""
    from config import TestConfig
    from supervision import create_app

    url = scratch_database_url()
    files = tempfile.mkdtemp(prefix="supervision-bench-files-")
    config = {"SQLALCHEMY_DATABASE_URI": url, "TALK_ATTACHMENT_DIR": files}
    app = create_app(type("BenchConfig", (TestConfig,), config))
    with app.app_context(), app.test_request_context():
        from supervision.auth.models import User, UserRole
        from supervision.common import pdf, storage
        from supervision.extensions import db
        from supervision.org.scope import Scope
        from supervision.reports import jobs, risk_inventory
        from supervision.reports.models import ReportJob

        root_id = _build(db.session)
        scope = Scope(everything=True)
        secretary = User(username="secretary", password_hash="-")
        secretary.role_rows = [UserRole(role="discipline_secretary")]
        db.session.add(secretary)
        db.session.commit()

        def as_job() -> bytes:
            db.session.expire_all()
            job = jobs.request_report(
                db.session, secretary, "risk-inventory", "pdf", {"org_unit_id": root_id}
            )
            db.session.commit()
            assert jobs.run_pending(db.session) == 1
            done = db.session.get(ReportJob, job.id)
            assert done.status == "done", done.error
            return storage.path_for(done.sha256).read_bytes()

        def full() -> bytes:
            db.session.expire_all()
            inventory = risk_inventory.build(db.session, scope, org_unit_id=root_id)
            return risk_inventory.render_pdf(inventory)

        inventory = risk_inventory.build(db.session, scope, org_unit_id=root_id)
        assert len(inventory.rows) == POINTS
        bare_html = _bare_html(inventory, str(pdf.font_face_css(pdf.find_fonts())))

        def bare() -> bytes:
            return pdf.html_to_pdf(bare_html)

        subject, data = best_of(as_job, REPEAT)
        direct, _data = best_of(full, REPEAT)
        baseline, bare_data = best_of(bare, REPEAT)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    report(
        "risk_pdf",
        subject,
        baseline,
        f"{POINTS} points x {MEASURES_PER_POINT} measures: the report job (queue, run, store) "
        f"{len(data) // 1024} KiB vs bare table {len(bare_data) // 1024} KiB; build and render "
        f"alone {direct:.1f} s = {direct / baseline:.3f}x; peak memory of the process "
        f"{peak} MiB; {REPEAT} run(s) each",
    )
