"""The registry of customers' data (desk.personal_data) is the one list the purge and forgetting a
customer delete from: a new table must be listed there or declared free of customer data."""

from __future__ import annotations

import pytest

from desk.models import Base
from desk.personal_data import CONVERSATION_DATA, CUSTOMER_DATA, NO_CUSTOMER_DATA, ORDER_DATA, Holding


def test_every_table_is_listed_or_declared_free_of_customer_data() -> None:
    listed = {h.name for h in (*CONVERSATION_DATA, *CUSTOMER_DATA, *ORDER_DATA)}
    assert not listed & set(NO_CUSTOMER_DATA)
    assert listed | set(NO_CUSTOMER_DATA) == set(Base.metadata.tables), (
        "a table holding a customer's data goes into desk/personal_data.py; one holding none into NO_CUSTOMER_DATA"
    )


@pytest.mark.parametrize("holdings", [CONVERSATION_DATA, ORDER_DATA], ids=["conversations", "orders"])
def test_rows_that_point_at_others_are_deleted_first(holdings: tuple[Holding, ...]) -> None:
    order = [h.name for h in holdings]
    for position, name in enumerate(order):
        referenced = {fk.column.table.name for fk in Base.metadata.tables[name].foreign_keys}
        assert not referenced & set(order[:position]), f"{name} points at a table deleted before it"
