"""What an hourly nudge run did: its own module, so the run (nudges) and the signed-copy delivery
it drives (waiver_copies) both write to it without importing each other."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class NudgeSummary:
    at: str
    sails: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "sails": self.sails,
            "sent": dict(self.sent),
            "skipped": dict(self.skipped),
            "failed": list(self.failed),
        }
