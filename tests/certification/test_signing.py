"""Signatures: they check, one changed byte breaks them, rotation keeps old records verifying,
the public keys are published, and private keys stay out of the database and the responses."""
import json
import os
import stat

import pytest
from sqlalchemy import select

from lms.certification.signing import (
    SigningKeyError, canonical_json, ensure_signing_key, generate_key, key_path, load_signer, offline_verify,
    rotate_key, verify_snapshot,
)
from lms.models import AuditEvent, SigningKey


@pytest.fixture
def fresh_key(app, db, tmp_path, monkeypatch):
    """A key file of its own for the test (the session's instance folder is shared)."""
    monkeypatch.setitem(app.config, "SIGNING_KEY_PATH", str(tmp_path / "keys" / "signing_key.pem"))
    return tmp_path / "keys" / "signing_key.pem"


def test_the_signature_checks_and_fails_on_any_changed_byte(kit, db):
    certification = kit.certified()
    data = certification.snapshot.encode("utf-8")
    assert verify_snapshot(certification.snapshot, certification.signature, certification.key_id)
    for index in (0, len(data) // 2, len(data) - 1):
        changed = bytearray(data)
        changed[index] ^= 0x01
        assert not verify_snapshot(changed.decode("utf-8", "replace"), certification.signature, certification.key_id)
    tampered = certification.snapshot.replace('"score_percent":90.0', '"score_percent":99.0')
    assert tampered != certification.snapshot
    assert not verify_snapshot(tampered, certification.signature, certification.key_id)
    assert not verify_snapshot(certification.snapshot, certification.signature, "0" * 16)  # unknown key


def test_the_snapshot_is_canonical_json():
    assert canonical_json({"b": 1, "a": [1, {"d": "é", "c": None}]}) == '{"a":[1,{"c":null,"d":"é"}],"b":1}'


def test_keygen_creates_a_private_file_and_refuses_a_second_key(app, db, fresh_key, clock):
    key = generate_key(now=clock())
    db.session.commit()
    assert key_path() == fresh_key and fresh_key.exists()
    assert stat.S_IMODE(os.stat(fresh_key).st_mode) == 0o600
    assert b"PRIVATE KEY" in fresh_key.read_bytes()
    with pytest.raises(SigningKeyError, match="rotate-key"):
        generate_key(now=clock())
    row = db.session.scalar(select(SigningKey))
    assert row.key_id == key.key_id and "PRIVATE" not in row.public_key and len(row.public_key) == 43
    assert ensure_signing_key(now=clock()).key_id == key.key_id  # idempotent


def test_rotation_signs_with_the_new_key_and_old_records_keep_verifying(app, kit, db, fresh_key, clock, client):
    ensure_signing_key(now=clock())
    db.session.commit()
    old_record = kit.certified()
    old, new = rotate_key(now=clock())
    db.session.commit()
    assert old.key_id == old_record.key_id and old.retired_at is not None and new.retired_at is None
    new_record = kit.certified()
    assert new_record.key_id == new.key_id != old_record.key_id
    assert verify_snapshot(old_record.snapshot, old_record.signature, old_record.key_id)
    assert verify_snapshot(new_record.snapshot, new_record.signature, new_record.key_id)
    assert load_signer(now=clock()).key_id == new.key_id
    events = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert "signing_key.rotate" in events

    keys = client.get("/.well-known/lms-signing-keys.json")
    assert keys.status_code == 200 and keys.mimetype == "application/json"
    published = keys.get_json()
    assert [k["kid"] for k in published["keys"]] == [old.key_id, new.key_id]
    assert published["keys"][0]["retired_at"] and published["keys"][1]["retired_at"] is None
    assert all(set(k) >= {"kty", "crv", "x", "kid"} and k["crv"] == "Ed25519" for k in published["keys"])
    assert b"PRIVATE" not in keys.data


def test_a_retired_key_left_on_a_server_refuses_to_sign(app, db, fresh_key, clock):
    ensure_signing_key(now=clock())
    pem = fresh_key.read_bytes()
    rotate_key(now=clock())
    db.session.commit()
    fresh_key.write_bytes(pem)  # a server that still has the old file
    with pytest.raises(SigningKeyError, match="retired"):
        load_signer(now=clock())


def test_in_production_a_missing_key_is_an_error_not_a_new_key(app, db, fresh_key, clock, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    with pytest.raises(SigningKeyError, match="lms certs keygen"):
        load_signer(now=clock(), create_if_missing=app.config["ENV_NAME"] != "production")
    assert not fresh_key.exists()


def test_anyone_can_check_a_downloaded_record_offline_with_the_published_keys(kit, db, factory, client):
    from tests.conftest import login

    trainee = kit.trainee()
    certification = kit.certified(trainee=trainee)
    login(client, trainee.email)
    record = json.loads(client.get(f"/certificates/{certification.number}/record.json").data)
    keys = json.loads(client.get("/.well-known/lms-signing-keys.json").data)
    assert offline_verify(record, keys)
    # With nothing but `cryptography`, as a third party would.
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    def b64(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    key = next(k for k in keys["keys"] if k["kid"] == record["key_id"])
    Ed25519PublicKey.from_public_bytes(b64(key["x"])).verify(b64(record["signature"]), record["snapshot"].encode())
    record["snapshot"] = record["snapshot"].replace("Person", "Persons")
    assert not offline_verify(record, keys)
