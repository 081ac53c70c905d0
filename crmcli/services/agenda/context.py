"""What every agenda source is given: the session and the last day to look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from types import ModuleType

from crmcli.dates import local_today
from crmcli.policy import Policy
from crmcli.services import Session


@dataclass
class Context:
    session: Session
    last_day: date  # everything due by the end of this local day

    @cached_property
    def today(self) -> date:
        return local_today(self.session.now)

    @property
    def policy(self) -> Policy:
        return self.session.policies.current


def property_sources() -> list[ModuleType]:
    """The sources of handover visits, renewals, invoices, refused payments and reviews."""
    from crmcli.services.agenda import handover, invoice, refused_payment, renewal, review

    return [handover, renewal, invoice, refused_payment, review]
