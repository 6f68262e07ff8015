"""Supervisors' mobile numbers (reminders reach them by SMS) and the supervisor register."""

from __future__ import annotations

import dataclasses
import json

import pytest

from domain.identity.aggregate import User
from domain.identity.commands import UserSpec
from domain.shared.errors import InvalidValue
from tests.unit.domain.helpers import ctx, new_services, stored


def test_a_user_is_added_with_a_mobile_and_it_can_change() -> None:
    services = new_services()
    receipt = services.users.add(ctx(), UserSpec("zz-sup", "supervisor", "410185", mobile="+86 139-0000-0001"), "hash")
    assert stored(services, receipt.aggregate_id).mobile == "13900000001"
    again = services.users.add(ctx(), UserSpec("zz-sup", "supervisor", "410185", mobile="13900000001"), "hash")
    assert again.position is None  # the same registration: nothing written
    services.users.change_mobile(ctx(), "zz-sup", "13900000002")
    assert services.users.find("zz-sup").mobile == "13900000002"
    with pytest.raises(InvalidValue):
        services.users.change_mobile(ctx(), "zz-sup", "12345")


def test_a_user_registered_before_mobiles_existed_has_none() -> None:
    """Events stored before the field was added lack it: such an event still makes a user."""
    services = new_services()
    receipt = services.users.add(ctx(), UserSpec("old-admin", "admin"), "hash")
    mapper = services.ledger.mapper
    [registered] = services.ledger.recorder.select_events(receipt.aggregate_id)
    state = json.loads(mapper.compressor.decompress(registered.state) if mapper.compressor else registered.state)
    del state["mobile"]
    older = dataclasses.replace(registered, state=json.dumps(state).encode())
    user = mapper.to_domain_event(older).mutate(None)
    assert isinstance(user, User) and user.mobile is None and user.username == "old-admin"


def test_the_supervisor_register_lists_supervisors_only() -> None:
    services = new_services()
    services.users.add(ctx(), UserSpec("sup-a", "supervisor", "410100"), "hash")
    services.users.add(ctx(), UserSpec("sup-b", "supervisor", "410185", ("machinery",), "county"), "hash")
    services.users.add(ctx(), UserSpec("an-admin", "admin"), "hash")
    assert sorted(u.username for u in services.users.supervisors()) == ["sup-a", "sup-b"]
