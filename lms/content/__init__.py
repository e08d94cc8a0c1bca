"""Course content: files -> validated dataclasses -> database. No request code here."""
from .check import ContentError, check_content, load_catalog
from .sync import SyncReport, sync_content

__all__ = ["ContentError", "SyncReport", "check_content", "load_catalog", "sync_content"]
