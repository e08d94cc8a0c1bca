"""The kinds of message. Essential ones (certificate status, account security) cannot be turned off."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    label: str
    essential: bool = False
    roles: tuple[str, ...] = ()  # who may receive it, when only some roles do (the preferences page offers it to them)


KINDS: dict[str, Kind] = {
    "certificate_status": Kind("A certificate issued, suspended, reinstated, revoked or expired", essential=True),
    "account_security": Kind("Account security", essential=True),
    "week_opened": Kind("A week of your course opens"),
    "exam_window": Kind("An exam opens to you"),
    "exam_result": Kind("Your exam results"),
    "refresher_due": Kind("A refresher falls due (90, 60 and 30 days ahead)"),
    "nomination_decided": Kind("A nomination you made is accepted or declined"),
    "challenge_decided": Kind("A question you challenged is decided"),
    "session_changed": Kind("A classroom session of your cohort changes or is cancelled"),
    "practical_graded": Kind("A practical exercise of yours is graded"),
    "certification_review": Kind("A certification is put up for your review after a correction",
                                 roles=("staff",)),
}


def optional_kinds(role: str | None = None) -> dict[str, Kind]:
    """The kinds a person may turn off, in display order (with ``role``: those a person of that role receives)."""
    return {name: kind for name, kind in KINDS.items()
            if not kind.essential and (role is None or not kind.roles or role in kind.roles)}
