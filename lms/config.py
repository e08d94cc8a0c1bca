"""Settings from the environment (LMS_*), with safe defaults for the embedded set-up."""
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_path() -> Path:
    """Where the app keeps its SQLite database and generated development secret."""
    return Path(os.environ.get("LMS_INSTANCE_PATH") or PROJECT_ROOT / "instance")


def load_secret_key(env: str, folder: Path) -> str:
    """The secret key: from LMS_SECRET_KEY; in development, generated once into the instance folder."""
    key = os.environ.get("LMS_SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise RuntimeError("LMS_SECRET_KEY must be set when LMS_ENV=production; refusing to start.")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting at once do not overwrite each other's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _require_2fa(env: str) -> bool:
    required = _bool("LMS_REQUIRE_2FA", True)
    if env == "production" and not required:
        raise RuntimeError("LMS_REQUIRE_2FA cannot be turned off when LMS_ENV=production; refusing to start.")
    return required


def _limits_store() -> str:
    store = (os.environ.get("LMS_LIMITS_STORE") or "database").strip()
    if store != "database" and not store.startswith(("redis://", "rediss://", "unix://")):
        raise RuntimeError(f"LMS_LIMITS_STORE must be 'database' or a redis:// URL, not {store!r}; refusing to start.")
    return store


def from_environment(load_secret: bool = True) -> dict:
    """Build the Flask config mapping from LMS_* environment variables."""
    env = os.environ.get("LMS_ENV", "development")
    folder = instance_path()
    database_url = os.environ.get("LMS_DATABASE_URL") or f"sqlite:///{folder / 'lms.db'}"
    return {
        "ENV_NAME": env,
        "SECRET_KEY": load_secret_key(env, folder) if load_secret else None,
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        "INSTANCE_PATH": str(folder),
        # When the audit log is sealed (lms.audit, docs/AUDIT.md): "background", by a thread of each process
        # woken after every commit that appended events, off the request's thread; "inline", right after the
        # commit in the committing thread (deterministic: the tests use it).
        "AUDIT_SEALING": (os.environ.get("LMS_AUDIT_SEALING") or "background").strip().lower(),
        # How long a woken background sealer waits for more commits before its round, so that a round seals
        # the events of many requests (lms.audit.Sealer._linger; measured in bench/README.md).
        "AUDIT_SEAL_LINGER_MS": _int("LMS_AUDIT_SEAL_LINGER_MS", 1000),
        # A read-only replica that the exports read from (lms.db_engine.read_engine); unset: the primary.
        "REPLICA_DATABASE_URL": normalize_database_url(os.environ["LMS_REPLICA_DATABASE_URL"])
        if os.environ.get("LMS_REPLICA_DATABASE_URL") else None,
        # SQLite only: FULL makes every acknowledged commit survive a power loss (lms.db_engine).
        "SQLITE_SYNCHRONOUS": os.environ.get("LMS_SQLITE_SYNCHRONOUS") or "FULL",
        "CONTENT_ROOT": os.environ.get("LMS_CONTENT_ROOT") or str(PROJECT_ROOT),
        # `lms content check` warns about a module not reviewed for longer than this.
        "CONTENT_REVIEW_DAYS": _int("LMS_CONTENT_REVIEW_DAYS", 365),
        # A draft written in the browser goes live only when a second instructor (not its author) approves it;
        # on by default in production, off elsewhere (a single-instructor installation sets it to false).
        "TWO_PERSON_PUBLISH": _bool("LMS_TWO_PERSON_PUBLISH", env == "production"),
        # Sessions (CJIS: lock after at most 30 minutes idle).
        "IDLE_TIMEOUT_MINUTES": _int("LMS_IDLE_TIMEOUT_MINUTES", 30),
        # An absolute limit too: a session ends this long after log-in, however active (ASVS 3.3).
        "SESSION_MAX_HOURS": _int("LMS_SESSION_MAX_HOURS", 12),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("LMS_COOKIE_SECURE", env == "production"),
        "SESSION_COOKIE_NAME": "lms_session",
        # The cookie is signed and sent again only when the session changed: lms.session_rules refreshes
        # last_seen once a minute at most, which also renews the cookie's expiry (Flask's default re-signs a
        # permanent session's cookie on every response).
        "SESSION_REFRESH_EACH_REQUEST": False,
        "BEHIND_PROXY": _bool("LMS_BEHIND_PROXY", False),
        # Lockout (CJIS: 5 consecutive failures within 15 minutes).
        "LOCKOUT_THRESHOLD": _int("LMS_LOCKOUT_THRESHOLD", 5),
        "LOCKOUT_WINDOW_MINUTES": _int("LMS_LOCKOUT_WINDOW_MINUTES", 15),
        "LOCKOUT_MINUTES": _int("LMS_LOCKOUT_MINUTES", 30),
        "INACTIVE_DAYS": _int("LMS_INACTIVE_DAYS", 90),
        # Export files (docs/JOBS.md): kept this many hours after they are ready, then deleted by a job.
        "EXPORT_KEEP_HOURS": _int("LMS_EXPORT_KEEP_HOURS", 24),
        # A second factor (TOTP) for administrators, staff, instructors and coordinators: those without one
        # are sent to enrolment right after their password. It cannot be turned off in production.
        "REQUIRE_2FA": _require_2fa(env),
        # How long the step between password and code (or enrolment) may take before log-in starts over.
        "TWO_FACTOR_PENDING_MINUTES": _int("LMS_2FA_PENDING_MINUTES", 10),
        # Earlier values of LMS_SECRET_KEY (comma-separated), still accepted to decrypt TOTP secrets while
        # `lms users reencrypt-2fa` re-encrypts them with the current key.
        "PREVIOUS_SECRET_KEYS": [k.strip() for k in os.environ.get("LMS_PREVIOUS_SECRET_KEYS", "").split(",")
                                 if k.strip()],
        # Where log-in lockouts and rate limits are counted (lms.limits): "database", or a redis:// URL that
        # every app instance shares; the prefix keeps two sites apart on one Redis.
        "LIMITS_STORE": _limits_store(),
        "LIMITS_PREFIX": os.environ.get("LMS_LIMITS_PREFIX") or "lms:limit:",
        "IP_FAILURE_LIMIT": _int("LMS_IP_FAILURE_LIMIT", 20),
        "IP_FAILURE_WINDOW_MINUTES": _int("LMS_IP_FAILURE_WINDOW_MINUTES", 15),
        # The largest request body accepted (uploads are 10 MB at most; multipart adds a little): larger
        # requests are refused with 413 before they are read or spooled to disk.
        "MAX_CONTENT_LENGTH": _int("LMS_MAX_REQUEST_BYTES", 11 * 1024 * 1024),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Answers are accepted this long after an exam's deadline (network latency); capped at 60 s.
        "EXAM_GRACE_SECONDS": _int("LMS_EXAM_GRACE_SECONDS", 30),
        "TIMEZONE": os.environ.get("LMS_TIMEZONE", "America/New_York"),
        # The site's public address for links that leave it (certificate verification). Unset: the address
        # the app is served on (lms.certification.links); production must set it.
        "PUBLIC_URL": os.environ.get("LMS_PUBLIC_URL") or None,
        # The served address for links made outside a request (commands); `lms quickstart` sets its own.
        "LOCAL_URL": "http://127.0.0.1:5000",
        # Whom the public verification page names when a record cannot be verified.
        "PROGRAM_CONTACT": os.environ.get("LMS_PROGRAM_CONTACT") or "the ICE 287(g) Program Office",
        # Certification signing: the current Ed25519 private key (PEM); unset: INSTANCE_PATH/signing_key.pem.
        "SIGNING_KEY_PATH": os.environ.get("LMS_SIGNING_KEY_PATH") or None,
        # Public verification: lookups (and lookups of unknown numbers) per address per window.
        "VERIFY_LOOKUP_LIMIT": _int("LMS_VERIFY_LOOKUP_LIMIT", 60),
        "VERIFY_MISS_LIMIT": _int("LMS_VERIFY_MISS_LIMIT", 15),
        "VERIFY_WINDOW_MINUTES": _int("LMS_VERIFY_WINDOW_MINUTES", 10),
        # The job queue (lms.jobs): unset, a SQLite file in the instance folder (one machine); redis://host:port/db
        # when the app runs on several machines (then run `lms worker` on one or more of them).
        "JOBS_URL": os.environ.get("LMS_JOBS_URL") or None,
        # `lms quickstart` runs the jobs of the embedded queue in its own process unless this is off.
        "JOBS_EMBEDDED": _bool("LMS_JOBS_EMBEDDED", True),
        # E-mail (lms.notifications.mail). Without LMS_SMTP_HOST nothing is sent: messages go to the outbox
        # administrators read in the app (quickstart's default).
        "SMTP_HOST": os.environ.get("LMS_SMTP_HOST") or None,
        "SMTP_PORT": _int("LMS_SMTP_PORT", 25),
        "SMTP_USER": os.environ.get("LMS_SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("LMS_SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _bool("LMS_SMTP_STARTTLS", False),
        "SMTP_SSL": _bool("LMS_SMTP_SSL", False),
        "SMTP_TIMEOUT": _int("LMS_SMTP_TIMEOUT", 30),
        "MAIL_FROM": os.environ.get("LMS_MAIL_FROM") or '"287(g) Training" <no-reply@localhost>',
    }


def check_production(settings: dict) -> None:
    """Refuse to start a production app without the settings it cannot guess safely."""
    if settings.get("ENV_NAME") == "production" and not settings.get("PUBLIC_URL"):
        # Without it, links would follow each request's Host header, which the client chooses, and a
        # certificate's verification link is stored for good at its first download.
        raise RuntimeError("LMS_PUBLIC_URL must be set when LMS_ENV=production; refusing to start.")


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
