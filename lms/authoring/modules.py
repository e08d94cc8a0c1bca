"""Module drafts written in the browser: saved as revisions, checked by the same code as `lms content check`,
published as a new ModuleVersion through the same code as `lms content sync` (never a version edited in place).
"""
import re

import yaml
from sqlalchemy import func, select

from lms.audit import record_event
from lms.authoring.revisions import (
    AuthoringError, DraftCheck, DraftInvalid, StudioRow, comment_on, errors_by_key, latest_draft, may_publish,
    mark_published, publishable_spec, revisions_of, save_checked_draft, studio_rows)
from lms.content.check import check_module_text
from lms.content.sync import add_module_version
from lms.extensions import db
from lms.markdown import Rendered, render_uncached
from lms.models import ContentRevision, Module, ModuleVersion

__all__ = ["AuthoringError", "DraftCheck", "DraftInvalid", "comment_on", "latest_draft", "may_publish",
           "revisions_of"]
KIND = "module"

# The front matter's keys in the order a module file writes them (docs/CONTENT_FORMAT.md).
FRONT_KEYS = ("id", "title", "topic", "minutes", "objectives", "sources", "annex", "reviewed", "reviewed_by")
OPTIONAL_KEYS = ("annex", "reviewed", "reviewed_by")  # left out of the file when empty
OBJECTIVE_LINE = re.compile(r"^\s*([^:]+?)\s*:\s*(.*?)\s*$")
MISSING_KEY = re.compile(r"^missing required key '([a-z_]+)'")


def module_path(slug: str, module: Module | None = None) -> str:
    """Where the module's file is (or would be) in the content folder."""
    if module is not None and module.current_version is not None:
        return module.current_version.source_path
    return f"curriculum/modules/{slug}.md"


def front_from_form(values: dict) -> dict:
    """Front matter from the editor's fields (text as typed): objectives one per line as "ID: text",
    sources one per line. Nothing is judged here: the check says what is wrong, in its own words."""
    minutes = (values.get("minutes") or "").strip()
    objectives = []
    for line in (values.get("objectives") or "").splitlines():
        if line.strip():
            match = OBJECTIVE_LINE.match(line)
            objectives.append({"id": match.group(1), "text": match.group(2)} if match else
                              {"id": line.strip(), "text": ""})
    front = {
        "id": (values.get("id") or "").strip(),
        "title": (values.get("title") or "").strip(),
        "topic": (values.get("topic") or "").strip(),
        "minutes": int(minutes) if minutes.isdigit() else minutes,
        "objectives": objectives,
        "sources": [line.strip() for line in (values.get("sources") or "").splitlines() if line.strip()],
        "annex": bool(values.get("annex")),
        "reviewed": (values.get("reviewed") or "").strip(),
        "reviewed_by": (values.get("reviewed_by") or "").strip(),
    }
    return {k: v for k, v in front.items() if k not in OPTIONAL_KEYS or v}


def form_from_front(front: dict) -> dict:
    """The editor's field values for a front matter (the inverse of front_from_form)."""
    return {
        **{k: front.get(k, "") for k in ("id", "title", "topic", "reviewed", "reviewed_by")},
        "minutes": str(front.get("minutes", "")),
        "objectives": "\n".join(f"{o.get('id', '')}: {o.get('text', '')}" for o in front.get("objectives", [])),
        "sources": "\n".join(front.get("sources", [])),
        "annex": bool(front.get("annex")),
    }


def front_from_version(module: Module) -> dict:
    """The front matter of a module's published version (what its file says)."""
    version = module.current_version
    front = {"id": module.slug, "title": version.title, "topic": module.topic, "minutes": version.minutes,
             "objectives": version.objectives, "sources": version.sources, "annex": module.is_annex,
             "reviewed": module.reviewed_on.isoformat() if module.reviewed_on else "",
             "reviewed_by": module.reviewed_by or ""}
    return {k: v for k, v in front.items() if k not in OPTIONAL_KEYS or v}


def _front_lines(front: dict) -> tuple[str, dict[str, int]]:
    """The front matter as YAML, key by key in file order, with each key's first line in the file."""
    text, starts, line = "", {}, 2  # line 1 is the opening '---'
    for key in [k for k in FRONT_KEYS if k in front] + [k for k in front if k not in FRONT_KEYS]:
        chunk = yaml.safe_dump({key: front[key]}, sort_keys=False, allow_unicode=True, width=1000)
        starts[key] = line
        text += chunk
        line += chunk.count("\n")
    return text, starts


def module_text(front: dict, body: str) -> str:
    """The module file a draft stands for: YAML front matter between '---' lines, then the Markdown body."""
    return f"---\n{_front_lines(front)[0]}---\n{body}"


def _other_objectives(slug) -> dict[str, str]:
    """Objective id -> module, for the published versions of every live module but ``slug``."""
    rows = db.session.execute(select(Module.slug, ModuleVersion.objectives)
                              .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
                              .where(Module.retired_at.is_(None), Module.slug != (slug or "")))
    return {o["id"]: module_slug for module_slug, objectives in rows for o in objectives}


def check_draft(front: dict, body: str, path: str) -> DraftCheck:
    """Judge a draft with the content check's own code and words, each error placed at its form field."""
    front_text, starts = _front_lines(front)
    body = body.replace("\r\n", "\n")
    spec, errors = check_module_text(f"---\n{front_text}---\n{body}", path, _other_objectives(front.get("id")))
    starts["body"] = 3 + front_text.count("\n")
    return DraftCheck(spec, errors_by_key(errors, starts, MISSING_KEY))


def preview(body: str) -> Rendered:
    """The body as trainees will see it: the one renderer and sanitizer that publishing stores."""
    return render_uncached(body.replace("\r\n", "\n"))


def module_by_slug(slug: str) -> Module | None:
    return db.session.scalar(select(Module).where(Module.slug == slug))


def save_draft(slug: str, front: dict, body: str, *, actor, now, restored_from: ContentRevision | None = None,
               new: bool = False) -> ContentRevision:
    """Save the editor's content as the module's next draft revision (refused, with the check's errors,
    when `lms content check` would refuse the file)."""
    module = module_by_slug(slug)
    return save_checked_draft(KIND, slug, front, body, live=module, noun="a module", actor=actor, now=now, new=new,
                              restored_from=restored_from,
                              check=lambda f, text: check_draft(f, text, module_path(slug, module)))


def restore_revision(revision: ContentRevision, *, actor, now) -> ContentRevision:
    """Save an earlier revision's content again, as the module's newest draft."""
    return save_draft(revision.slug, revision.front, revision.body_md, actor=actor, now=now, restored_from=revision)


def publish_revision(revision: ContentRevision, *, actor, now, two_person: bool) -> ModuleVersion:
    """Make a draft live: a new ModuleVersion (the next number), the module's current version moved to it.
    With two-person publish a second instructor, not the draft's author, approves it."""
    module = module_by_slug(revision.slug)
    spec = publishable_spec(revision, live=module, actor=actor, two_person=two_person,
                            check=lambda f, text: check_draft(f, text, module_path(revision.slug, module)))
    if module is None:
        module = Module(slug=spec.id, topic=spec.topic, is_annex=spec.annex, created_at=now)
        db.session.add(module)
        db.session.flush()
    module.topic, module.is_annex = spec.topic, spec.annex
    number = (db.session.scalar(select(func.max(ModuleVersion.number)).where(ModuleVersion.module_id == module.id))
              or 0) + 1
    version = add_module_version(module, spec, number, now)
    mark_published(revision, version, actor=actor, now=now, two_person=two_person)
    record_event("module.publish", actor=actor, obj=module, now=now,  # the module's id: sync names its publisher
                 details={"slug": module.slug, "revision": revision.number, "version": number,
                          "author_id": revision.author_id,
                          "two_person": two_person})
    return version


def studio_overview() -> list[StudioRow]:
    """Every live module and every module written in the browser but not yet published, by id."""
    return studio_rows(KIND, {m.slug: m for m in db.session.scalars(select(Module).where(Module.retired_at.is_(None)))})
