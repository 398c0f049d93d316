"""Marshmallow schemas of the org API (field names are the public contract, SPEC §3 and §10)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from supervision.common.api import BaseSchema, Id
from supervision.org.models import LEADERSHIP, PERSONNEL_TYPES, POST_CATEGORIES, UNIT_KINDS


class OrgUnitSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    code = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.Str(required=True, validate=validate.OneOf(UNIT_KINDS))
    parent_id = Id(allow_none=True, load_default=None)
    head_person_id = Id(allow_none=True)
    supervising_leader_id = Id(allow_none=True)
    depth = fields.Int(dump_only=True)
    path = fields.Str(dump_only=True)


class OrgUnitQuery(BaseSchema):
    q = fields.Str(metadata={"description": "search in name and code"})
    parent_id = Id()
    kind = fields.Str(validate=validate.OneOf(UNIT_KINDS))


class PersonSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    staff_no = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    personnel_type = fields.Str(required=True, validate=validate.OneOf(PERSONNEL_TYPES))
    org_unit_id = Id(required=True)
    leadership = fields.Str(validate=validate.OneOf(LEADERSHIP), load_default="none")
    birth_date = fields.Date(allow_none=True)
    hire_date = fields.Date(allow_none=True)
    retirement_date = fields.Date(allow_none=True)
    probation_until = fields.Date(allow_none=True)
    email = fields.Str(allow_none=True, validate=validate.Length(max=254))
    is_active = fields.Bool(load_default=True)


class PersonQuery(BaseSchema):
    q = fields.Str(metadata={"description": "search in name and staff number"})
    org_unit_id = Id(metadata={"description": "the unit and its subtree"})
    personnel_type = fields.Str(validate=validate.OneOf(PERSONNEL_TYPES))
    leadership = fields.Str(validate=validate.OneOf(LEADERSHIP))
    is_active = fields.Bool()


class PostSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    code = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    org_unit_id = Id(required=True)
    category = fields.Str(validate=validate.OneOf(POST_CATEGORIES), load_default="other")
    is_sensitive = fields.Bool(load_default=False)
    sworn_only = fields.Bool(load_default=False)
    is_technical = fields.Bool(load_default=False)
    is_leadership = fields.Bool(load_default=False)
    rotation_years = fields.Int(allow_none=True, validate=validate.Range(min=1, max=50))


class PostQuery(BaseSchema):
    q = fields.Str(metadata={"description": "search in name and code"})
    org_unit_id = Id(metadata={"description": "the unit and its subtree"})
    category = fields.Str(validate=validate.OneOf(POST_CATEGORIES))
    is_sensitive = fields.Bool()


class AssignmentSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    person_id = Id(required=True)
    post_id = Id(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(allow_none=True, load_default=None)

    @ma.validates_schema
    def _dates(self, data, **kwargs):
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            raise ma.ValidationError("The end date is before the start date.", "end_date")


class AssignmentPatchSchema(BaseSchema):
    post_id = Id()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)


class AssignmentQuery(BaseSchema):
    person_id = Id()
    post_id = Id()
    current = fields.Bool(
        metadata={
            "description": "true: held today (started, end_date empty or "
            "not past); false: the others"
        }
    )
