"""Migration 0006 gives every certification issued before it a verification code of its own, and leaves
the signed records as they were: their signatures still verify."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from lms.app import create_app
from lms.certification.signing import verify_snapshot
from lms.clock import FrozenClock
from lms.extensions import db as _db
from lms.models import Certification

from ..conftest import START
from ..factories import PROJECT_ROOT, CertKit, Factory


def test_existing_certifications_get_distinct_codes_and_keep_verifying(empty_database_url, tmp_path):
    clock = FrozenClock(START)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_PATH": str(tmp_path),
                      "CONTENT_ROOT": str(PROJECT_ROOT), "CLOCK": clock,
                      "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory)
        kit = CertKit(_db, Factory(_db, clock), clock)
        certified = [kit.certified() for _ in range(3)]
        signed = {c.number: (c.snapshot, c.signature, c.key_id) for c in certified}
        _db.session.remove()
        downgrade(directory=directory, revision="0006-1")  # as before codes existed
        upgrade(directory=directory, revision="0006")
        rows = _db.session.scalars(select(Certification)).all()
        codes = [c.verification_code for c in rows]
        assert len(rows) == 3 and len(set(codes)) == 3 and all(len(code) == 22 for code in codes)
        for certification in rows:
            assert ((certification.snapshot, certification.signature, certification.key_id)
                    == signed[certification.number])
            assert verify_snapshot(certification.snapshot, certification.signature, certification.key_id)
        _db.session.remove()
        upgrade(directory=directory)
    client = app.test_client()
    page = client.get(f"/verify/{codes[0]}").get_data(as_text=True)
    assert "Verified: the record is exactly as it was issued" in page
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
