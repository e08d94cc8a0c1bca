"""Ed25519 signing of certification snapshots, and the keys that do it.

The private key lives in a PEM file outside the database and the repository: ``LMS_SIGNING_KEY_PATH``,
or ``signing_key.pem`` in the instance folder. The public half of every key that ever signed is kept
in the ``signing_key`` table (retired keys too) and published at /.well-known/lms-signing-keys.json,
so a record keeps verifying after the key that signed it was rotated out.

A snapshot is canonical JSON (sorted keys, no whitespace, UTF-8); the signature covers exactly those
bytes, which are stored as they were signed.
"""
import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.audit import record_event
from lms.extensions import db
from lms.models import SigningKey

ALGORITHM = "Ed25519"


class SigningKeyError(RuntimeError):
    """The signing key is missing, unreadable or retired."""


def canonical_json(data) -> str:
    """The one serialization that is signed: sorted keys, no whitespace, non-ASCII kept as UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def b64url(data: bytes) -> str:
    """Base64url without padding (as in JWK)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """A key's id: the first 16 hex digits of SHA-256 over its raw 32-byte public key."""
    return hashlib.sha256(_raw_public(public_key)).hexdigest()[:16]


def key_path() -> Path:
    """Where the current private key is: SIGNING_KEY_PATH, else the instance folder."""
    configured = current_app.config.get("SIGNING_KEY_PATH")
    return Path(configured) if configured else Path(current_app.config["INSTANCE_PATH"]) / "signing_key.pem"


def _pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def _write_key_file(path: Path, private_key: Ed25519PrivateKey, *, replace: bool) -> None:
    """Write the PEM to a private temporary file, then move it into place atomically (mode 0600).

    Without ``replace`` the move fails if a key appeared meanwhile (another process won the race).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".signing-key-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(_pem(private_key))
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # atomic, and refuses to overwrite
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _read_key_file(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise SigningKeyError(f"Cannot read the signing key at {path}: {type(error).__name__}.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"The signing key at {path} is not an Ed25519 key.")
    return key


def _register(public_key: Ed25519PublicKey, *, now, actor=None, actor_label=None) -> SigningKey:
    """The key's public row, created (and audited) if this database has not seen it yet."""
    kid = key_id_for(public_key)
    row = db.session.scalar(select(SigningKey).where(SigningKey.key_id == kid))
    if row is None:
        row = SigningKey(key_id=kid, algorithm=ALGORITHM, public_key=b64url(_raw_public(public_key)),
                         created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            # Another request registered it at the same moment (two first issues at once): theirs stands.
            return db.session.scalar(select(SigningKey).where(SigningKey.key_id == kid))
        record_event("signing_key.register", actor=actor, actor_label=actor_label, obj=row, now=now,
                     details={"key_id": kid})
    return row


@dataclass
class Signer:
    """The current private key and its public row."""

    private_key: Ed25519PrivateKey
    key: SigningKey

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def sign(self, data: bytes) -> str:
        """The base64url Ed25519 signature of ``data``."""
        return b64url(self.private_key.sign(data))


def generate_key(*, now, actor=None, actor_label=None) -> SigningKey:
    """Create the first signing key; refuses when one exists (rotate it instead)."""
    path = key_path()
    if path.exists():
        raise SigningKeyError(f"A signing key already exists at {path}; use `lms certs rotate-key` to replace it.")
    private_key = Ed25519PrivateKey.generate()
    try:
        _write_key_file(path, private_key, replace=False)
    except FileExistsError:
        raise SigningKeyError(f"A signing key appeared at {path} meanwhile; nothing was changed.") from None
    row = _register(private_key.public_key(), now=now, actor=actor, actor_label=actor_label)
    record_event("signing_key.generate", actor=actor, actor_label=actor_label, obj=row, now=now,
                 details={"key_id": row.key_id})
    return row


def ensure_signing_key(*, now, actor=None, actor_label=None) -> SigningKey:
    """The current key's public row; a key is generated first when there is none (quickstart)."""
    path = key_path()
    if not path.exists():
        try:
            return generate_key(now=now, actor=actor, actor_label=actor_label)
        except SigningKeyError:
            if not path.exists():
                raise
    return _register(_read_key_file(path).public_key(), now=now, actor=actor, actor_label=actor_label)


def rotate_key(*, now, actor=None, actor_label=None) -> tuple[SigningKey, SigningKey]:
    """Replace the current key by a new one; the old public key stays published and keeps verifying.

    The old private key is overwritten: nothing can be signed with it any more.
    """
    path = key_path()
    if not path.exists():
        raise SigningKeyError(f"There is no signing key at {path}; create one with `lms certs keygen`.")
    old = _register(_read_key_file(path).public_key(), now=now, actor=actor, actor_label=actor_label)
    new_private = Ed25519PrivateKey.generate()
    new = _register(new_private.public_key(), now=now, actor=actor, actor_label=actor_label)
    old.retired_at = now
    db.session.flush()
    record_event("signing_key.rotate", actor=actor, actor_label=actor_label, obj=new, now=now,
                 details={"old_key_id": old.key_id, "new_key_id": new.key_id})
    # The file changes last: should this fail, the database work is rolled back with the caller's.
    _write_key_file(path, new_private, replace=True)
    return old, new


def load_signer(*, now, create_if_missing: bool = False) -> Signer:
    """The current key, ready to sign; its public row is registered when this database lacks it."""
    path = key_path()
    if not path.exists():
        if not create_if_missing:
            raise SigningKeyError(f"There is no signing key at {path}; create one with `lms certs keygen`.")
        ensure_signing_key(now=now)
    private_key = _read_key_file(path)
    row = _register(private_key.public_key(), now=now)
    if row.retired_at is not None:
        raise SigningKeyError(f"The signing key {row.key_id} at {path} was retired; this server needs the new key.")
    return Signer(private_key, row)


def verify_signature(data: bytes, signature: str, public_key_b64: str) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``data`` by that public key."""
    try:
        Ed25519PublicKey.from_public_bytes(unb64url(public_key_b64)).verify(unb64url(signature), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def verify_snapshot(snapshot: str, signature: str, key_id: str) -> bool:
    """Check a stored snapshot against its signature with the published key of that id."""
    row = db.session.scalar(select(SigningKey).where(SigningKey.key_id == key_id))
    return row is not None and verify_signature(snapshot.encode("utf-8"), signature, row.public_key)


def published_keys() -> dict:
    """Every public key, current and retired, as a JSON Web Key Set (RFC 8037 OKP keys)."""
    rows = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.id))
    return {
        "keys": [
            {
                "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                "kid": row.key_id, "x": row.public_key,
                "created_at": row.created_at.isoformat(),
                "retired_at": row.retired_at.isoformat() if row.retired_at else None,
            }
            for row in rows
        ],
        "signed_data": "the UTF-8 bytes of the record's snapshot: canonical JSON, sorted keys, no whitespace",
    }


def offline_verify(record: dict, keys: dict) -> bool:
    """Check a downloaded signed record against a downloaded key set, with no database or network."""
    by_id = {k["kid"]: k["x"] for k in keys.get("keys", [])}
    public = by_id.get(record.get("key_id"))
    return public is not None and verify_signature(record["snapshot"].encode("utf-8"), record["signature"], public)
