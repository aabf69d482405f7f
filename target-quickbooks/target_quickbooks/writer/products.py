"""Products → QuickBooks Items: plans creates and sparse updates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.items import (
    ACCOUNT_ROLES,
    item_name,
    item_type,
    map_product,
    product_sku,
    update_payload,
)
from target_quickbooks.writer.jobs import PRODUCTS, Job, Plan
from target_quickbooks.writer.runner import JobRunner


class ProductWriter(JobRunner):
    """Turns product records into Item jobs."""

    # Products

    def _write_products(self, records: list[Mapping[str, Any]]) -> None:
        stream = PRODUCTS
        latest = self._latest_by_key(stream, records, product_sku)
        typed: dict[str, str] = {}
        names: dict[str, str] = {}
        for sku, record in list(latest.items()):
            try:
                typed[sku] = item_type(record)
                names[sku] = item_name(record)
            except MappingError as error:
                self._reject_mapping(stream, sku, record, error)
                del latest[sku]
        if not latest:
            return
        roles = {role for qbo_type in typed.values() for role in ACCOUNT_ROLES[qbo_type]}
        found = self.resolver.find_items(latest)
        suffixed = self.state.suffixed | self._colliding(names)
        # Account references checked by an earlier run are enough to tell what changed;
        # they are checked again (one query) only when something is to be written.
        accounts = self._known_accounts(roles)
        checked = accounts is None
        if accounts is None:
            accounts = self._checked_accounts(roles)
        plans = self._product_plans(latest, accounts, suffixed, found)
        if not checked and any(isinstance(plan, Job) for plan in plans.values()):
            fresh = self._checked_accounts(roles)
            if fresh != accounts:
                plans = self._product_plans(latest, fresh, suffixed, found)
        jobs = []
        for sku, plan in plans.items():
            if isinstance(plan, MappingError):
                self._reject_mapping(stream, sku, latest[sku], plan)
            elif (job := self._apply_plan(stream, sku, plan)) is not None:
                job.suffixed = sku in suffixed
                jobs.append(job)
        self._run(jobs)

    def _known_accounts(self, roles: Iterable[str]) -> dict[str, dict[str, str]] | None:
        """The account references the state remembers for ``roles``, or None if any is new."""
        known = {}
        for role in roles:
            ref = self.state.refs.get(self.references.account_key(role))
            if ref is None:
                return None
            known[role] = dict(ref)
        return known

    def _checked_accounts(self, roles: Iterable[str]) -> dict[str, dict[str, str]]:
        """The account references of ``roles`` checked in QuickBooks, remembered in state."""
        accounts = self.references.accounts(roles)
        for role, ref in accounts.items():
            self.state.refs[self.references.account_key(role)] = dict(ref)
        return accounts

    def _product_plans(
        self,
        latest: Mapping[str, Mapping[str, Any]],
        accounts: Mapping[str, Mapping[str, str]],
        suffixed: set[str],
        found: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, Plan | MappingError]:
        """What to do with each product (nothing is recorded or sent yet)."""
        plans: dict[str, Plan | MappingError] = {}
        for sku, record in latest.items():
            try:
                payload = map_product(record, accounts=accounts,
                                      inv_start_date=self.inv_start_date,
                                      suffixed=sku in suffixed)
            except MappingError as error:
                plans[sku] = error
                continue
            plans[sku] = self._plan_upsert(PRODUCTS, sku, record, payload,
                                           update_payload(payload), found.get(sku))
        return plans

    def _colliding(self, names: Mapping[str, str]) -> set[str]:
        """SKUs whose cleaned names collide in this batch and must carry the SKU suffix.

        The plain name stays with the item that already has it in QuickBooks (mapped
        and not suffixed), else with the smallest SKU: the same choice on every run.
        """
        groups: dict[str, list[str]] = {}
        for sku, name in names.items():
            groups.setdefault(name.casefold(), []).append(sku)
        losers: set[str] = set()
        for skus in groups.values():
            if len(skus) < 2:
                continue
            holders = [sku for sku in skus if self.state.get("items", sku)
                       and sku not in self.state.suffixed]
            keeper = min(holders) if holders else min(skus)
            losers.update(sku for sku in skus if sku != keeper)
        return losers
