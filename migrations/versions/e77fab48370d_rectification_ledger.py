"""rectification ledger: inspections, findings, measures, evidence, notes, snapshots (SPEC §14)

Revision ID: e77fab48370d
Revises: 8c3e5a1f7b20
Create Date: 2026-12-04 21:22:00.857806

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e77fab48370d'
down_revision = '8c3e5a1f7b20'
branch_labels = None
depends_on = None


def upgrade():
    # The rectification ledger of SPEC §14 (written by autogenerate, read and checked).
    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('inspector', sa.String(length=200), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('onsite_from', sa.Date(), nullable=True),
    sa.Column('onsite_to', sa.Date(), nullable=True),
    sa.Column('feedback_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('leader_person_id', sa.Integer(), nullable=True),
    sa.Column('narrative', sa.JSON(), nullable=False),
    sa.Column('publish_from', sa.Date(), nullable=True),
    sa.Column('publish_to', sa.Date(), nullable=True),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('rectifying','reported','closed')", name=op.f('ck_inspections_status')),
    sa.CheckConstraint('deadline >= feedback_on', name=op.f('ck_inspections_deadline')),
    sa.ForeignKeyConstraint(['leader_person_id'], ['people.id'], name=op.f('fk_inspections_leader_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_inspections_org_unit_id_org_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=False),
    sa.Column('theme', sa.String(length=200), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('responsible_leader_id', sa.Integer(), nullable=True),
    sa.Column('lead_unit_id', sa.Integer(), nullable=True),
    sa.Column('term', sa.String(length=16), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('completion_summary', sa.Text(), nullable=False),
    sa.Column('completion_requested_at', sa.DateTime(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open','in_progress','completion_requested','completed')", name=op.f('ck_findings_status')),
    sa.CheckConstraint("term <> 'long_term' OR status <> 'completed'", name=op.f('ck_findings_long_term_open')),
    sa.CheckConstraint("term IN ('immediate','time_limited','long_term')", name=op.f('ck_findings_term')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_findings_number')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_findings_completed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_findings_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['org_units.id'], name=op.f('fk_findings_lead_unit_id_org_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responsible_leader_id'], ['people.id'], name=op.f('fk_findings_responsible_leader_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings')),
    sa.UniqueConstraint('inspection_id', 'number', name='uq_findings_inspection_number')
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_lead_unit_id'), ['lead_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_responsible_leader_id'), ['responsible_leader_id'], unique=False)

    op.create_table('rectification_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_rectification_snapshots_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_snapshots')),
    sa.UniqueConstraint('inspection_id', 'taken_on', name='uq_rectification_snapshots_day')
    )
    op.create_table('finding_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_finding_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_finding_notes_finding_id_findings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_notes'))
    )
    with op.batch_alter_table('finding_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_notes_finding_id'), ['finding_id'], unique=False)

    op.create_table('rectification_measures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=True),
    sa.Column('owner_person_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status = 'open' OR done_on IS NOT NULL", name=op.f('ck_rectification_measures_done_on')),
    sa.CheckConstraint("status IN ('open','done')", name=op.f('ck_rectification_measures_status')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_rectification_measures_number')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_rectification_measures_finding_id_findings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_person_id'], ['people.id'], name=op.f('fk_rectification_measures_owner_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['org_units.id'], name=op.f('fk_rectification_measures_owner_unit_id_org_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_measures')),
    sa.UniqueConstraint('finding_id', 'number', name='uq_rectification_measures_number')
    )
    with op.batch_alter_table('rectification_measures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_measures_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_measures_owner_person_id'), ['owner_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_measures_owner_unit_id'), ['owner_unit_id'], unique=False)

    op.create_table('measure_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('object_type', sa.String(length=16), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'file' AND sha256 IS NOT NULL AND object_type IS NULL) OR (kind = 'link' AND object_type IS NOT NULL AND object_id IS NOT NULL AND sha256 IS NULL)", name=op.f('ck_measure_evidence_shape')),
    sa.CheckConstraint("kind IN ('file','link')", name=op.f('ck_measure_evidence_kind')),
    sa.CheckConstraint("object_type IS NULL OR object_type IN ('talk','risk_point','risk_campaign','rotation_plan','deferral')", name=op.f('ck_measure_evidence_object_type')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_measure_evidence_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['measure_id'], ['rectification_measures.id'], name=op.f('fk_measure_evidence_measure_id_rectification_measures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_evidence'))
    )
    with op.batch_alter_table('measure_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_evidence_measure_id'), ['measure_id'], unique=False)



def downgrade():
    # Drops the ledger's tables, children first.
    with op.batch_alter_table('measure_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_evidence_measure_id'))

    op.drop_table('measure_evidence')
    with op.batch_alter_table('rectification_measures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_measures_owner_unit_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_measures_owner_person_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_measures_finding_id'))

    op.drop_table('rectification_measures')
    with op.batch_alter_table('finding_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_notes_finding_id'))

    op.drop_table('finding_notes')
    op.drop_table('rectification_snapshots')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_responsible_leader_id'))
        batch_op.drop_index(batch_op.f('ix_findings_lead_unit_id'))
        batch_op.drop_index(batch_op.f('ix_findings_inspection_id'))

    op.drop_table('findings')
    op.drop_table('inspections')
