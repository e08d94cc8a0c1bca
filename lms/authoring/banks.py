"""A new question bank written in the browser: its id, title and description, checked by the rules of
``lms content check`` (the bank schema's own keys, ``check.bank_problems``; an id another bank has) and
stored as ``lms content sync`` stores a bank (lms/content/sync_exams.py), recording as its source "browser:"
and the file ``lms content export`` will write it to. Its questions are then written one by one in the
question editor (lms/authoring/questions.py). A bank declares no objectives: the modules do
(docs/CONTENT_FORMAT.md). The caller commits.
"""
from sqlalchemy import select

from lms.audit import record_event
from lms.authoring.questions import browser_source, insert_new
from lms.content import check
from lms.extensions import db
from lms.models import QuestionBank

FIELDS = ("id", "title", "description")


class BankRefused(ValueError):
    """A bank the form cannot create: each problem in the words of ``lms content check``."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def bank_draft(values) -> dict:
    """The bank's values in the bank file's words, from the form (blank description left out)."""
    data = {key: (values.get(key) or "").replace("\r\n", "\n").strip() for key in FIELDS}
    return {k: v for k, v in data.items() if v or k != "description"}


def file_path(slug: str) -> str:
    """The file ``lms content export`` writes a bank made in the browser to."""
    return f"question_banks/{slug}.yml"


def bank_problems(data: dict) -> list[str]:
    """Why the bank cannot be created: the schema of a bank file's own keys, or an id already taken (by a
    bank in force or a retired one, whose questions attempts may still show)."""
    problems = check.bank_problems(data)
    if problems:
        return problems
    taken = db.session.scalar(select(QuestionBank.source_path).where(QuestionBank.slug == data["id"]))
    return [check.duplicate_id("bank", data["id"], taken)] if taken is not None else []


def create_bank(data: dict, *, actor, now) -> QuestionBank:
    """A new, empty question bank. Refused (BankRefused) with the check's words. Audited."""
    problems = bank_problems(data)
    if problems:
        raise BankRefused(problems)
    bank = QuestionBank(slug=data["id"], title=data["title"], description=data.get("description", ""),
                        source_path=browser_source(file_path(data["id"])), created_at=now, updated_at=now)
    insert_new(bank, BankRefused([check.duplicate_id("bank", data["id"], "a bank saved meanwhile")]))
    record_event("bank.create", actor=actor, obj=bank, now=now, details={"bank": bank.slug, "title": bank.title})
    return bank
