"""The statements the app sends, as a test counts them."""
from contextlib import contextmanager

from sqlalchemy import event

from lms.db_engine import DriverStatement


@contextmanager
def listening(engine, record):
    """Call ``record`` (a ``before_cursor_execute`` listener: conn, cursor, statement, parameters, context,
    executemany) for every statement sent on ``engine`` within the block: SQLAlchemy's, and those the app sends on
    the driver's own connection (lms.db_engine.DriverStatement, which SQLAlchemy's events do not see; an executemany
    once), with None for what SQLAlchemy alone has."""
    sent_by_driver, sent_many_by_driver = DriverStatement.execute, DriverStatement.execute_many

    def execute(self, connection, parameters):
        record(None, None, self.sql, parameters, None, False)
        return sent_by_driver(self, connection, parameters)

    def execute_many(self, connection, rows):
        record(None, None, self.sql, rows, None, True)
        return sent_many_by_driver(self, connection, rows)

    event.listen(engine, "before_cursor_execute", record)
    DriverStatement.execute, DriverStatement.execute_many = execute, execute_many
    try:
        yield
    finally:
        DriverStatement.execute, DriverStatement.execute_many = sent_by_driver, sent_many_by_driver
        event.remove(engine, "before_cursor_execute", record)
