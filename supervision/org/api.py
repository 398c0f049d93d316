"""JSON API: /org-units, /people, /posts, /assignments (SPEC §10)."""

from __future__ import annotations

from flask.views import MethodView

from supervision.common.api import ApiBlueprint, SelectPage
from supervision.common.errors import NotFound
from supervision.common.permissions import require
from supervision.extensions import db
from supervision.org import queries, services
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.schemas import (
    AssignmentPatchSchema,
    AssignmentQuery,
    AssignmentSchema,
    OrgUnitQuery,
    OrgUnitSchema,
    PersonQuery,
    PersonSchema,
    PostQuery,
    PostSchema,
)
from supervision.org.scope import current_scope

blp = ApiBlueprint("org_api", __name__, description="Org units, people, posts and assignments")


def _scoped_one(stmt, model, obj_id: int, label: str):
    obj = db.session.scalar(queries.one(stmt, model, obj_id))
    if obj is None:
        raise NotFound(f"No {label} with id {obj_id}.")
    return obj


def _require_write() -> None:
    require("org.write")


@blp.route("/org-units")
class OrgUnits(MethodView):
    @blp.arguments(OrgUnitQuery, location="query")
    @blp.response(200, OrgUnitSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """List units in scope (tree order)."""
        return queries.units(current_scope(), **args)

    @blp.arguments(OrgUnitSchema)
    @blp.response(201, OrgUnitSchema)
    def post(self, data):
        """Create a unit."""
        _require_write()
        unit = services.create_unit(db.session, data)
        db.session.commit()
        return unit


@blp.route("/org-units/<int:unit_id>")
class OrgUnitItem(MethodView):
    @blp.response(200, OrgUnitSchema)
    def get(self, unit_id):
        """One unit."""
        return _scoped_one(queries.units(current_scope()), OrgUnit, unit_id, "org unit")

    @blp.arguments(OrgUnitSchema(partial=True))
    @blp.response(200, OrgUnitSchema)
    def patch(self, data, unit_id):
        """Change a unit; a new parent moves its whole subtree."""
        unit = _scoped_one(queries.units(current_scope()), OrgUnit, unit_id, "org unit")
        _require_write()
        services.update_unit(db.session, unit, data)
        db.session.commit()
        return db.session.get(OrgUnit, unit_id)

    @blp.response(204)
    def delete(self, unit_id):
        """Delete an empty unit (409 while it has sub-units, people or posts)."""
        unit = _scoped_one(queries.units(current_scope()), OrgUnit, unit_id, "org unit")
        _require_write()
        services.delete_unit(db.session, unit)
        db.session.commit()


@blp.route("/people")
class People(MethodView):
    @blp.arguments(PersonQuery, location="query")
    @blp.response(200, PersonSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """List people in scope."""
        return queries.people(current_scope(), **args)

    @blp.arguments(PersonSchema)
    @blp.response(201, PersonSchema)
    def post(self, data):
        """Create a person."""
        _require_write()
        person = services.create_person(db.session, data)
        db.session.commit()
        return person


@blp.route("/people/<int:person_id>")
class PersonItem(MethodView):
    @blp.response(200, PersonSchema)
    def get(self, person_id):
        """One person."""
        return _scoped_one(queries.people(current_scope()), Person, person_id, "person")

    @blp.arguments(PersonSchema(partial=True))
    @blp.response(200, PersonSchema)
    def patch(self, data, person_id):
        """Change a person."""
        person = _scoped_one(queries.people(current_scope()), Person, person_id, "person")
        _require_write()
        services.update_person(db.session, person, data)
        db.session.commit()
        return person


@blp.route("/posts")
class Posts(MethodView):
    @blp.arguments(PostQuery, location="query")
    @blp.response(200, PostSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """List posts of units in scope."""
        return queries.posts(current_scope(), **args)

    @blp.arguments(PostSchema)
    @blp.response(201, PostSchema)
    def post(self, data):
        """Create a post."""
        _require_write()
        post = services.create_post(db.session, data)
        db.session.commit()
        return post


@blp.route("/posts/<int:post_id>")
class PostItem(MethodView):
    @blp.response(200, PostSchema)
    def get(self, post_id):
        """One post."""
        return _scoped_one(queries.posts(current_scope()), Post, post_id, "post")

    @blp.arguments(PostSchema(partial=True))
    @blp.response(200, PostSchema)
    def patch(self, data, post_id):
        """Change a post (renaming keeps its identity and everyone's tenure)."""
        post = _scoped_one(queries.posts(current_scope()), Post, post_id, "post")
        _require_write()
        services.update_post(db.session, post, data)
        db.session.commit()
        return post


@blp.route("/assignments")
class Assignments(MethodView):
    @blp.arguments(AssignmentQuery, location="query")
    @blp.response(200, AssignmentSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """List assignments of people in scope; filter by person_id, post_id, current."""
        return queries.assignments(current_scope(), **args)

    @blp.arguments(AssignmentSchema)
    @blp.response(201, AssignmentSchema)
    def post(self, data):
        """Assign a person to a post (409 on overlap, 422 for an auxiliary in a sworn-only post)."""
        _require_write()
        a = services.create_assignment(db.session, data)
        db.session.commit()
        return a


@blp.route("/assignments/<int:assignment_id>")
class AssignmentItem(MethodView):
    @blp.response(200, AssignmentSchema)
    def get(self, assignment_id):
        """One assignment."""
        return _scoped_one(
            queries.assignments(current_scope()), Assignment, assignment_id, "assignment"
        )

    @blp.arguments(AssignmentPatchSchema)
    @blp.response(200, AssignmentSchema)
    def patch(self, data, assignment_id):
        """Change an assignment's post or dates (e.g. set end_date when someone leaves)."""
        a = _scoped_one(
            queries.assignments(current_scope()), Assignment, assignment_id, "assignment"
        )
        _require_write()
        services.update_assignment(db.session, a, data)
        db.session.commit()
        return a

    @blp.response(204)
    def delete(self, assignment_id):
        """Delete a mistaken assignment."""
        a = _scoped_one(
            queries.assignments(current_scope()), Assignment, assignment_id, "assignment"
        )
        _require_write()
        services.delete_assignment(db.session, a)
        db.session.commit()
