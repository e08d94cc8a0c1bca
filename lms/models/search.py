"""The searchable text of each module's current version (lms.content.search keeps it in step).

On SQLite the words are also in ``module_fts``, an FTS5 table created with this one (its shadow tables
belong to SQLite, not to the models); PostgreSQL searches this table's text with its own full-text
functions, so it needs nothing more.
"""
from sqlalchemy import DDL, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import UTCDateTime

FTS_TABLE = "module_fts"
CREATE_FTS = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(title, body, module_id UNINDEXED, "
              "tokenize = 'porter unicode61')")


class ModuleText(db.Model):
    """The title and plain text of a module's current version, as the search reads them."""

    __tablename__ = "module_text"

    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), primary_key=True)
    slug: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int] = mapped_column(ForeignKey("module_version.id"))  # the version indexed
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at = mapped_column(UTCDateTime(), nullable=False)


# create_all (tests) makes the FTS5 table too; the migration does the same for migrated databases.
event.listen(ModuleText.__table__, "after_create", DDL(CREATE_FTS).execute_if(dialect="sqlite"))
event.listen(ModuleText.__table__, "before_drop", DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}").execute_if(dialect="sqlite"))
