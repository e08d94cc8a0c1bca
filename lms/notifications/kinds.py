"""The kinds of message. Essential ones (certificate status, account security) cannot be turned off."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    label: str
    essential: bool = False


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
}


def optional_kinds() -> dict[str, Kind]:
    """The kinds a person may turn off, in display order."""
    return {name: kind for name, kind in KINDS.items() if not kind.essential}
