"""Column types shared by the models."""
import json
from datetime import datetime, timezone

from sqlalchemy.types import DateTime, Text, TypeDecorator


class _Converted(TypeDecorator):
    """A column type that converts each value on its way in (``to_db``) and out (``from_db``); NULL stays NULL."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else self.to_db(value)

    def process_result_value(self, value, dialect):
        return None if value is None else self.from_db(value)


class UTCDateTime(_Converted):
    """Timezone-aware UTC datetimes, stored as naive UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True  # SQLAlchemy reads it from each class itself

    @staticmethod
    def to_db(value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    @staticmethod
    def from_db(value) -> datetime:
        if isinstance(value, str):  # pragma: no cover - defensive for raw SQLite rows
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


class JSONText(_Converted):
    """JSON stored as canonical text (sorted keys), identical on every engine."""

    impl = Text
    cache_ok = True

    @staticmethod
    def to_db(value) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def from_db(value: str):
        return json.loads(value)
