"""The one place that reads the current time.

The system clock, unless ``CRMCLI_NOW`` (ISO 8601) fixes it; tests pass a fixed clock.
Everything else receives ``now`` as an argument.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime

from crmcli.errors import BadInput
from crmcli.i18n import _

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    fixed = os.environ.get("CRMCLI_NOW")
    if fixed:
        return parse_fixed(fixed)
    return _in_range(datetime.now(UTC), "The system clock")


def _in_range(moment: datetime, source: str) -> datetime:
    # Every deadline is a step of days or years from now: the clock must leave room for them.
    if not 1900 <= moment.year <= 9998:
        raise BadInput(_("{source} is out of range (years 1900-9998); set the clock "
                         "right.").format(
            source=source))
    return moment


def parse_fixed(text: str) -> datetime:
    """Parse a ``CRMCLI_NOW`` value; a time without an offset is local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(_("CRMCLI_NOW={text!r} is not an ISO 8601 time.").format(
            text=text)) from None
    try:
        if moment.tzinfo is None:
            moment = moment.astimezone()
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError, OSError):
        moment = datetime.max.replace(tzinfo=UTC)  # past the end of the calendar: refused below
    return _in_range(moment, f"CRMCLI_NOW={text!r}")


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment
