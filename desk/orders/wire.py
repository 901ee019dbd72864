"""A merchant's answers to `GET {base}/orders/{order_number}` and `GET {base}/repairs/{rma_number}`
(docs/order-system.openapi.yaml), read into records.

An answer is the body of our own `PUT /api/v1/orders/{order_number}` (`desk.orders.bodies.OrderBody`)
plus the number, which is also what our `GET` gives back (`api.schemas.orders.OrderOut`) and an
import line (`OrderLine`): a merchant can use one serializer for all of them. Answers are checked by
those same strict models (types, identifiers, offsets on every time, prices to the fen), with one
difference on purpose: members the assistant does not know are ignored in answers (a merchant's
system may send more than the contract asks, and adding a field to an API must not stop every
lookup), where the PUT API refuses them.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel

from desk.orders.bodies import OrderLine, RepairLine
from desk.orders.records import Order, Repair, order_number, rma_number

JSON = dict[str, Any]


class AnotherNumber(ValueError):
    """The answer is about another order or repair than the one asked for."""


def order_from_json(number: str, body: bytes) -> Order:
    """The order in an answer about order `number`. Raises ValueError (pydantic's ValidationError
    among them) when the body is not the contract's JSON, `AnotherNumber` when it names another."""
    order = OrderLine.model_validate_json(_known_only(OrderLine, body)).to_record()
    if order.number != order_number(number):
        raise AnotherNumber("the answer is about another order")
    return order


def repair_from_json(number: str, body: bytes) -> Repair:
    repair = RepairLine.model_validate_json(_known_only(RepairLine, body)).to_record()
    if repair.rma_number != rma_number(number):
        raise AnotherNumber("the answer is about another repair")
    return repair


def _known_only(model: type[BaseModel], body: bytes) -> str:
    """`body` (JSON) without the object members `model` does not know, at any depth, as JSON again
    (the models are strict: JSON keeps times and decimals as the contract writes them)."""
    return json.dumps(_strip(model, json.loads(body)), ensure_ascii=False)


def _strip(model: type[BaseModel], value: Any) -> Any:
    if not isinstance(value, dict):
        return value  # not an object: the model says what is wrong with it
    kept: JSON = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in value:
            nested = _model_in(field.annotation)
            member = value[key]
            if nested is not None and isinstance(member, list):
                kept[key] = [_strip(nested, each) for each in member]
            elif nested is not None:
                kept[key] = _strip(nested, member)
            else:
                kept[key] = member
    return kept


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside `X`, `X | None`, `list[X]` or `Annotated[X, …]`, if any."""
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
