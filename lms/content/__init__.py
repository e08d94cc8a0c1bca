"""Course content: files -> validated dataclasses -> database. No request code here."""
from lms.content.check import check_content, load_catalog
from lms.content.catalog import ContentError
from lms.content.sync import SyncReport, sync_content

__all__ = ["ContentError", "SyncReport", "check_content", "load_catalog", "sync_content"]
