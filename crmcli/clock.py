"""The one place that reads the current time.

The system clock, unless ``CRMCLI_NOW`` (ISO 8601) fixes it; tests pass a fixed clock.
Everything else receives ``now`` as an argument.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime

from crmcli.errors import BadInput

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    fixed = os.environ.get("CRMCLI_NOW")
    if fixed:
        return parse_fixed(fixed)
    return datetime.now(UTC)


def parse_fixed(text: str) -> datetime:
    """Parse a ``CRMCLI_NOW`` value; a time without an offset is local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"CRMCLI_NOW={text!r} is not an ISO 8601 time.") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC)


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment
