"""question pool: a token the database changes with every change to a question or a bank, so that a process keeps
what a draw chooses from until it changes (lms.models.exam.QuestionPool)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

# Copies of the triggers as of this revision (lms.models.exam.POOL_TRIGGERS).
_TABLES = ("question", "question_bank")
_OPERATIONS = ("INSERT", "UPDATE", "DELETE")
_NEW_TOKEN = {"sqlite": "lower(hex(randomblob(16)))", "postgresql": "md5(random()::text || clock_timestamp()::text)"}
_SET_TOKEN = ("INSERT INTO question_pool (id, token) VALUES (1, {token}) "
              "ON CONFLICT (id) DO UPDATE SET token = excluded.token")
_CREATE = {
    "sqlite": [f"CREATE TRIGGER {table}_{op.lower()}_changes_pool AFTER {op} ON {table} "
               f"BEGIN {_SET_TOKEN.format(token=_NEW_TOKEN['sqlite'])}; END"
               for table in _TABLES for op in _OPERATIONS],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION question_pool_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {_SET_TOKEN.format(token=_NEW_TOKEN['postgresql'])}; RETURN NULL; END $$",
        *(f"CREATE TRIGGER {table}_changes_pool AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
          "FOR EACH STATEMENT EXECUTE FUNCTION question_pool_changed()" for table in _TABLES),
    ],
}
_DROP = {
    "sqlite": [f"DROP TRIGGER IF EXISTS {table}_{op.lower()}_changes_pool" for table in _TABLES for op in _OPERATIONS],
    "postgresql": [*(f"DROP TRIGGER IF EXISTS {table}_changes_pool ON {table}" for table in _TABLES),
                   "DROP FUNCTION IF EXISTS question_pool_changed()"],
}


def upgrade():
    op.create_table('question_pool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_pool'))
    )
    dialect = op.get_bind().dialect.name
    op.execute(_SET_TOKEN.format(token=_NEW_TOKEN[dialect]))
    for statement in _CREATE[dialect]:
        op.execute(statement)


def downgrade():
    for statement in _DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table('question_pool')
