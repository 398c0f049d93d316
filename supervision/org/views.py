"""Pages to browse, search, create and edit units (as a tree), people, posts and assignments.

Thin views: every read goes through the scoped selects of supervision.org.queries (objects
outside the caller's scope are 404) and every write through supervision.org.services.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from supervision.common import clock
from supervision.common.errors import Conflict
from supervision.common.forms import save_form
from supervision.common.pages import int_arg, paginate
from supervision.common.permissions import can, requires
from supervision.extensions import db
from supervision.org import queries, services
from supervision.org.forms import (
    AssignmentForm,
    EndAssignmentForm,
    PersonForm,
    PostForm,
    References,
    UnitForm,
    duration,
)
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import current_scope

bp = Blueprint("org", __name__, url_prefix="/org")


def reader(view):
    """Signed in, holding a reading role."""
    return login_required(requires("org.read")(view))


def writer(view):
    """Signed in as admin or hr."""
    return login_required(requires("org.write")(view))


def _one(stmt, model, obj_id: int):
    obj = db.session.scalar(queries.one(stmt, model, obj_id))
    if obj is None:
        abort(404)
    return obj


def _bool_arg(name: str) -> bool | None:
    return {"1": True, "0": False}.get(request.args.get(name, ""))


def _page_context(**extra) -> dict:
    return {
        "can_write": can(current_user, "org.write"),
        "today": clock.today(),
        "duration": duration,
        **extra,
    }


# ------------------------------------------------------------------ units


@bp.get("/units")
@reader
def units():
    """The unit tree, or the units matching a search with their ancestry."""
    scope = current_scope()
    q = request.args.get("q", "").strip()
    if q:
        found = paginate(queries.unit_rows(scope, q=q), scalars=False)
        ancestry = queries.ancestry_of(scope, [row[0] for row in found.items])
        return render_template(
            "org/units.html", q=q, found=found, ancestry=ancestry, **_page_context()
        )
    tree = queries.build_tree(db.session.execute(queries.unit_rows(scope)).all())
    return render_template("org/units.html", q=q, tree=tree, **_page_context())


def _unit_page(unit: OrgUnit, status: int = 200, error: str | None = None):
    scope = current_scope()
    children = db.session.scalars(
        queries.units(scope, parent_id=unit.id).order_by(None).order_by(OrgUnit.code)
    ).all()
    posts = db.session.execute(
        queries.posts_list(scope, clock.today()).where(Post.org_unit_id == unit.id)
    ).all()
    people = paginate(queries.people_list(scope).where(Person.org_unit_id == unit.id))
    return render_template(
        "org/unit_detail.html",
        unit=unit,
        ancestors=queries.ancestors(scope, unit),
        children=children,
        posts=posts,
        people=people,
        error=error,
        **_page_context(),
    ), status


@bp.get("/units/<int:unit_id>")
@reader
def unit_detail(unit_id: int):
    """One unit: data, ancestors, sub-units, posts and people."""
    return _unit_page(_one(queries.units(current_scope()), OrgUnit, unit_id))


def _unit_choices(form: UnitForm) -> None:
    scope = current_scope()
    form.set_choices(queries.unit_options(scope), db.session.scalars(queries.team_members(scope)))


def _unit_form(form: UnitForm, unit: OrgUnit | None, status: int):
    return render_template("org/unit_form.html", form=form, unit=unit), status


def _unit_write(form: UnitForm, write):
    refs = References()
    data = {
        f: getattr(form, f).data
        for f in ("code", "name", "kind", "parent_id", "supervising_leader_id")
    }
    data["head_person_id"] = refs.person(form.head_staff_no, "head_person_id")
    return refs.run(lambda: write(data))


@bp.route("/units/new", methods=["GET", "POST"])
@writer
def unit_new():
    """Create a unit (optionally under ?parent_id=)."""
    form = UnitForm()
    _unit_choices(form)
    if request.method == "GET":
        form.parent_id.data = int_arg("parent_id")
    unit, status = save_form(
        form, lambda: _unit_write(form, lambda d: services.create_unit(db.session, d))
    )
    if unit:
        flash(_("Unit created."), "success")
        return redirect(url_for("org.unit_detail", unit_id=unit.id))
    return _unit_form(form, None, status)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@writer
def unit_edit(unit_id: int):
    """Change a unit; a new parent moves its whole subtree."""
    unit = _one(queries.units(current_scope()), OrgUnit, unit_id)
    form = UnitForm(obj=unit if request.method == "GET" else None)
    if request.method == "GET":
        form.head_staff_no.data = unit.head.staff_no if unit.head else ""
    _unit_choices(form)
    saved, status = save_form(
        form, lambda: _unit_write(form, lambda d: services.update_unit(db.session, unit, d))
    )
    if saved:
        flash(_("Unit saved."), "success")
        return redirect(url_for("org.unit_detail", unit_id=unit_id))
    return _unit_form(form, db.session.get(OrgUnit, unit_id), status)


@bp.post("/units/<int:unit_id>/delete")
@writer
def unit_delete(unit_id: int):
    """Delete an empty unit; a unit with sub-units, people or posts is refused (409)."""
    unit = _one(queries.units(current_scope()), OrgUnit, unit_id)
    parent_id = unit.parent_id
    try:
        services.delete_unit(db.session, unit)
    except Conflict as exc:
        db.session.rollback()
        return _unit_page(db.session.get(OrgUnit, unit_id), 409, str(exc.message))
    db.session.commit()
    flash(_("Unit deleted."), "success")
    return redirect(
        url_for("org.unit_detail", unit_id=parent_id) if parent_id else url_for("org.units")
    )


# ------------------------------------------------------------------ people


@bp.get("/people")
@reader
def people():
    """Search and filter people, 50 a page."""
    scope = current_scope()
    filters = {
        "q": request.args.get("q", "").strip() or None,
        "org_unit_id": int_arg("org_unit_id"),
        "personnel_type": request.args.get("personnel_type") or None,
        "leadership": request.args.get("leadership") or None,
        "is_active": _bool_arg("active"),
    }
    page = paginate(queries.people_list(scope, **filters))
    return render_template(
        "org/people.html",
        page=page,
        unit_options=queries.unit_filter_options(scope, filters["org_unit_id"]),
        **_page_context(),
    )


@bp.get("/people/<int:person_id>")
@reader
def person_detail(person_id: int):
    """One person: every field, unit ancestry and post history."""
    scope = current_scope()
    person = _one(queries.people(scope), Person, person_id)
    history = db.session.scalars(
        queries.assignment_list(scope, clock.today(), person_id=person.id)
    ).all()
    head_id = services.responsible_head_id(db.session, person)
    return render_template(
        "org/person_detail.html",
        person=person,
        history=history,
        ancestors=[*queries.ancestors(scope, person.org_unit), person.org_unit],
        responsible_head=db.session.get(Person, head_id) if head_id else None,
        **_page_context(),
    )


def _person_form(form: PersonForm, person: Person | None, status: int):
    return render_template("org/person_form.html", form=form, person=person), status


@bp.route("/people/new", methods=["GET", "POST"])
@writer
def person_new():
    """Create a person (optionally in ?org_unit_id=)."""
    form = PersonForm()
    form.set_choices(queries.unit_options(current_scope()))
    if request.method == "GET":
        form.org_unit_id.data = int_arg("org_unit_id")
    person, status = save_form(form, lambda: services.create_person(db.session, form.to_data()))
    if person:
        flash(_("Person created."), "success")
        return redirect(url_for("org.person_detail", person_id=person.id))
    return _person_form(form, None, status)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@writer
def person_edit(person_id: int):
    """Change a person."""
    person = _one(queries.people(current_scope()), Person, person_id)
    form = PersonForm(obj=person if request.method == "GET" else None)
    form.set_choices(queries.unit_options(current_scope()))
    saved, status = save_form(
        form, lambda: services.update_person(db.session, person, form.to_data())
    )
    if saved:
        flash(_("Person saved."), "success")
        return redirect(url_for("org.person_detail", person_id=person_id))
    return _person_form(form, db.session.get(Person, person_id), status)


# ------------------------------------------------------------------ posts


@bp.get("/posts")
@reader
def posts():
    """Search and filter posts, with their current holder count."""
    scope = current_scope()
    filters = {
        "q": request.args.get("q", "").strip() or None,
        "org_unit_id": int_arg("org_unit_id"),
        "category": request.args.get("category") or None,
        "is_sensitive": _bool_arg("sensitive"),
    }
    page = paginate(queries.posts_list(scope, clock.today(), **filters), scalars=False)
    return render_template(
        "org/posts.html",
        page=page,
        unit_options=queries.unit_filter_options(scope, filters["org_unit_id"]),
        **_page_context(),
    )


@bp.get("/posts/<int:post_id>")
@reader
def post_detail(post_id: int):
    """One post: data, current holders and history."""
    scope = current_scope()
    post = _one(queries.posts(scope), Post, post_id)
    history = db.session.scalars(
        queries.assignment_list(scope, clock.today(), post_id=post.id)
    ).all()
    return render_template(
        "org/post_detail.html",
        post=post,
        history=history,
        ancestors=[*queries.ancestors(scope, post.org_unit), post.org_unit],
        **_page_context(),
    )


def _post_form(form: PostForm, post: Post | None, status: int):
    return render_template("org/post_form.html", form=form, post=post), status


@bp.route("/posts/new", methods=["GET", "POST"])
@writer
def post_new():
    """Create a post (optionally in ?org_unit_id=)."""
    form = PostForm()
    form.set_choices(queries.unit_options(current_scope()))
    if request.method == "GET":
        form.org_unit_id.data = int_arg("org_unit_id")
    post, status = save_form(form, lambda: services.create_post(db.session, form.to_data()))
    if post:
        flash(_("Post created."), "success")
        return redirect(url_for("org.post_detail", post_id=post.id))
    return _post_form(form, None, status)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@writer
def post_edit(post_id: int):
    """Change a post in place (renaming keeps its identity and everyone's tenure)."""
    post = _one(queries.posts(current_scope()), Post, post_id)
    form = PostForm(obj=post if request.method == "GET" else None)
    form.set_choices(queries.unit_options(current_scope()))
    saved, status = save_form(form, lambda: services.update_post(db.session, post, form.to_data()))
    if saved:
        flash(_("Post saved."), "success")
        return redirect(url_for("org.post_detail", post_id=post_id))
    return _post_form(form, db.session.get(Post, post_id), status)


# ------------------------------------------------------------------ assignments


@bp.get("/assignments")
@reader
def assignments():
    """Assignments with filters: current only, unit (subtree), sensitive posts only."""
    scope = current_scope()
    chosen = int_arg("org_unit_id")
    page = paginate(
        queries.assignment_list(
            scope,
            clock.today(),
            current=request.args.get("current") == "1",
            org_unit_id=chosen,
            sensitive=request.args.get("sensitive") == "1",
            q=request.args.get("q", "").strip() or None,
        )
    )
    return render_template(
        "org/assignments.html",
        page=page,
        unit_options=queries.unit_filter_options(scope, chosen),
        **_page_context(),
    )


def _assignment_write(form: AssignmentForm, write):
    refs = References()
    data = {
        "person_id": refs.person(form.staff_no, "person_id"),
        "post_id": refs.post(form.post_code, "post_id"),
        "start_date": form.start_date.data,
        "end_date": form.end_date.data,
    }
    return refs.run(lambda: write(data))


def _back_to(a: Assignment | None) -> str:
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("org.person_detail", person_id=a.person_id) if a else url_for("org.assignments")


@bp.route("/assignments/new", methods=["GET", "POST"])
@writer
def assignment_new():
    """Assign a person to a post (?person_id= and ?post_id= prefill the form)."""
    form = AssignmentForm()
    if request.method == "GET":
        scope = current_scope()
        if int_arg("person_id"):
            form.staff_no.data = _one(queries.people(scope), Person, int_arg("person_id")).staff_no
        if int_arg("post_id"):
            form.post_code.data = _one(queries.posts(scope), Post, int_arg("post_id")).code
        form.start_date.data = clock.today()
    a, status = save_form(
        form, lambda: _assignment_write(form, lambda d: services.create_assignment(db.session, d))
    )
    if a:
        flash(_("Assignment saved."), "success")
        return redirect(_back_to(a))
    return render_template(
        "org/assignment_form.html", form=form, assignment=None, back=_back_to(None)
    ), status


def _scoped_assignment(assignment_id: int) -> Assignment:
    return _one(queries.assignment_list(current_scope(), clock.today()), Assignment, assignment_id)


@bp.route("/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
@writer
def assignment_edit(assignment_id: int):
    """Correct an assignment's person, post or dates."""
    a = _scoped_assignment(assignment_id)
    form = AssignmentForm()
    if request.method == "GET":
        form.staff_no.data, form.post_code.data = a.person.staff_no, a.post.code
        form.start_date.data, form.end_date.data = a.start_date, a.end_date
    saved, status = save_form(
        form,
        lambda: _assignment_write(form, lambda d: services.update_assignment(db.session, a, d)),
    )
    if saved:
        flash(_("Assignment saved."), "success")
        return redirect(_back_to(saved))
    a = _scoped_assignment(assignment_id)
    return render_template(
        "org/assignment_form.html", form=form, assignment=a, back=_back_to(a)
    ), status


@bp.route("/assignments/<int:assignment_id>/end", methods=["GET", "POST"])
@writer
def assignment_end(assignment_id: int):
    """End an assignment: its last day in the post (default today)."""
    a = _scoped_assignment(assignment_id)
    form = EndAssignmentForm()
    if request.method == "GET":
        form.end_date.data = clock.today()
    saved, status = save_form(
        form, lambda: services.update_assignment(db.session, a, {"end_date": form.end_date.data})
    )
    if saved:
        flash(_("Assignment ended."), "success")
        return redirect(_back_to(saved))
    a = _scoped_assignment(assignment_id)
    return render_template(
        "org/assignment_end.html", form=form, assignment=a, back=_back_to(a)
    ), status


@bp.post("/assignments/<int:assignment_id>/delete")
@writer
def assignment_delete(assignment_id: int):
    """Delete a mistaken assignment record."""
    a = _scoped_assignment(assignment_id)
    person_id = a.person_id
    services.delete_assignment(db.session, a)
    db.session.commit()
    flash(_("Assignment deleted."), "success")
    return redirect(url_for("org.person_detail", person_id=person_id))
