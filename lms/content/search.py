"""Full-text search over module texts, behind one interface: SQLite FTS5 or PostgreSQL full-text search.

The index follows publishing by itself: whenever a flush changes a module's current version (a sync, a
browser edit published, a retirement), ``_follow_publishing`` rewrites that module's row of
``module_text`` (and, on SQLite, of the FTS5 table) in the same transaction. No publisher calls it.
Results are ranked (bm25 / ts_rank) with a snippet whose matches are highlighted; the snippet is the
module's plain text, escaped, with only <mark> added.
"""
import html
import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import bindparam, delete, event, insert, select, text
from sqlalchemy.orm import Session, attributes

from lms.clock import utcnow
from lms.extensions import db
from lms.models import Module, ModuleText, ModuleVersion
from lms.models.search import FTS_TABLE

START, STOP = "\ue000", "\ue001"  # private-use characters: never in a module's text (removed on indexing)
MAX_QUERY = 200


@dataclass(frozen=True)
class Hit:
    """One module found: its slug and title, the snippet (safe HTML) and its rank (higher is better)."""

    slug: str
    title: str
    snippet: Markup
    rank: float


def plain_text(body_html: str) -> str:
    """A module's sanitized HTML as the words people read."""
    words = html.unescape(re.sub(r"<[^>]*>", " ", body_html or ""))
    return re.sub(r"\s+", " ", words.replace(START, "").replace(STOP, "")).strip()


def reindex(connection, module_ids) -> None:
    """Rewrite the index rows of these modules from their current versions (retired ones leave it)."""
    ids = sorted(set(module_ids))
    rows = connection.execute(
        select(Module.id, Module.slug, ModuleVersion.id.label("version_id"), ModuleVersion.title,
               ModuleVersion.body_html)
        .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .where(Module.id.in_(ids), Module.retired_at.is_(None))).all()
    sqlite = connection.dialect.name == "sqlite"
    connection.execute(delete(ModuleText).where(ModuleText.module_id.in_(ids)))
    if sqlite:
        connection.execute(text(f"DELETE FROM {FTS_TABLE} WHERE module_id IN :ids")  # nosec B608: the table name is a constant; the ids are bound
                           .bindparams(bindparam("ids", expanding=True)), {"ids": ids})
    now = utcnow()
    for row in rows:
        body = plain_text(row.body_html)
        connection.execute(insert(ModuleText).values(module_id=row.id, version_id=row.version_id, slug=row.slug,
                                                     title=row.title, body=body, updated_at=now))
        if sqlite:
            connection.execute(text(f"INSERT INTO {FTS_TABLE} (title, body, module_id) VALUES (:t, :b, :m)"),  # nosec B608: the table name is a constant; the values are bound
                               {"t": row.title, "b": body, "m": row.id})


def reindex_all() -> int:
    """Rebuild the whole index (after a restore, or a database migrated with modules in it)."""
    ids = db.session.scalars(select(Module.id)).all()
    connection = db.session.connection()
    connection.execute(delete(ModuleText))
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DELETE FROM {FTS_TABLE}"))  # nosec B608: the table name is a constant
    if ids:
        reindex(connection, ids)
    return len(ids)


def _changed(obj, name: str) -> bool:
    return attributes.get_history(obj, name).has_changes()


@event.listens_for(Session, "after_flush")
def _follow_publishing(session, _flush_context) -> None:
    ids = {obj.id for obj in (*session.new, *session.dirty) if isinstance(obj, Module)
           and (_changed(obj, "current_version_id") or _changed(obj, "current_version") or _changed(obj, "retired_at"))}
    if ids:
        reindex(session.connection(), ids)


def _highlighted(snippet: str) -> Markup:
    return Markup(str(escape(snippet)).replace(START, "<mark>").replace(STOP, "</mark>"))  # nosec B704: the snippet is escaped first; only our own sentinels become <mark>


def search_modules(query: str, *, slugs: set[str] | None = None, limit: int = 20) -> list[Hit]:
    """Modules matching every word of ``query``, best first; only those in ``slugs`` unless it is None."""
    query = (query or "").strip()[:MAX_QUERY]
    if not query or slugs is not None and not slugs:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        rows = _search_postgresql(query, slugs, limit)
    else:
        rows = _search_sqlite(query, slugs, limit)
    return [Hit(r.slug, r.title, _highlighted(r.snippet), float(r.rank)) for r in rows]


def _within(slugs, column: str) -> tuple[str, dict]:
    if slugs is None:
        return "", {}
    return f" AND {column} IN :slugs", {"slugs": sorted(slugs)}


def _search_sqlite(query, slugs, limit):
    words = re.findall(r"\w+", query)[:12]
    if not words:
        return []
    # Each word quoted (FTS5 syntax in the query is not the searcher's to write); the last one a prefix.
    match = " ".join(f'"{w}"' for w in words) + "*"
    where, params = _within(slugs, "m.slug")
    statement = text(
        f"SELECT m.slug, m.title, snippet({FTS_TABLE}, 1, :start, :stop, '…', 24) AS snippet, "  # nosec B608: constants only (table, filter); every value is bound
        f"-bm25({FTS_TABLE}, 5.0, 1.0) AS rank FROM {FTS_TABLE} "
        f"JOIN module_text m ON m.module_id = {FTS_TABLE}.module_id "
        f"WHERE {FTS_TABLE} MATCH :match{where} ORDER BY rank DESC, m.slug LIMIT :limit")
    if slugs is not None:
        statement = statement.bindparams(bindparam("slugs", expanding=True))
    return db.session.execute(statement, {"match": match, "start": START, "stop": STOP, "limit": limit,
                                          **params}).all()


def _search_postgresql(query, slugs, limit):
    where, params = _within(slugs, "slug")
    document = "setweight(to_tsvector('english', title), 'A') || to_tsvector('english', body)"
    statement = text(
        f"SELECT slug, title, ts_headline('english', body, q, :options) AS snippet, ts_rank({document}, q) AS rank "  # nosec B608: constants only (the document, the filter); every value is bound
        f"FROM module_text, websearch_to_tsquery('english', :query) AS q "
        f"WHERE {document} @@ q{where} ORDER BY rank DESC, slug LIMIT :limit")
    if slugs is not None:
        statement = statement.bindparams(bindparam("slugs", expanding=True))
    options = f'StartSel="{START}", StopSel="{STOP}", MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
    return db.session.execute(statement, {"query": query, "options": options, "limit": limit, **params}).all()
