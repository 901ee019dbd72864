"""The order-system API: the merchant's systems put orders and repair tickets into the built-in store
(desk/orders/store.py), which the assistant reads for P19's lookups, and read them back.

Access: api/order_access.py (integration tokens with the `orders` scope, and admins). Bodies:
desk/orders/bodies.py, the same as `python -m desk orders import` takes. Identifiers in the path
are normalised as a customer's are (`lm 2026-1126-0001` is `LM202611260001`); anything else is a 422
saying what the number looks like. Every write is in the audit log (`order.create`,
`order.update`, `repair.create`, `repair.update`), without the customer's data.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from fastapi.exceptions import RequestValidationError

from api.deps import ServicesDep
from api.order_access import OrderCallerDep, OrdersRoute
from api.schemas.errors import ErrorOut
from api.schemas.orders import OrderOut, RepairOut
from desk.orders.bodies import MAX_BODY_BYTES, ORDER_NUMBER_HELP, RMA_NUMBER_HELP, OrderBody, RepairBody, canonical
from desk.orders.records import order_number, rma_number
from desk.orders.store import UnknownOrder
from engine.blocking import run_blocking

router = APIRouter(prefix="/api/v1", tags=["orders"], route_class=OrdersRoute)

ACCESS_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No credential, or an unknown, expired or revoked token."},
    403: {
        "model": ErrorOut,
        "description": "An integration token without the `orders` scope, staff below admin, or a console "
        "session's PUT without its CSRF token.",
    },
}
READ_REFUSALS: dict[int | str, dict[str, Any]] = {
    **ACCESS_REFUSALS,
    422: {"model": ErrorOut, "description": "The number in the path is not one (the message says its form)."},
}
WRITE_REFUSALS: dict[int | str, dict[str, Any]] = {
    **ACCESS_REFUSALS,
    400: {"model": ErrorOut, "description": "The body is not valid JSON."},
    413: {"model": ErrorOut, "description": f"The body is larger than {MAX_BODY_BYTES // 1024} KiB."},
    503: {"model": ErrorOut, "description": "The database did not answer; nothing was stored. Send it again."},
}


OrderNumber = Annotated[
    str,
    Path(
        max_length=40,
        description=f"The order: {ORDER_NUMBER_HELP}. Lower case, spaces and hyphens are normalised.",
        examples=["LM202611260001"],
    ),
    canonical(order_number, ORDER_NUMBER_HELP),
]
RmaNumber = Annotated[
    str,
    Path(
        max_length=40,
        description=f"The repair ticket: {RMA_NUMBER_HELP}. Lower case, spaces and hyphens are normalised.",
        examples=["RMA20261234"],
    ),
    canonical(rma_number, RMA_NUMBER_HELP),
]


def _stored(response: Response, created: bool, location: str) -> None:
    response.status_code = 201 if created else 200
    if created:
        response.headers["Location"] = location


@router.put(
    "/orders/{order_number}",
    response_model=OrderOut,
    summary="Create or replace an order",
    responses={
        200: {"description": "The order was replaced; the stored order."},
        201: {"model": OrderOut, "description": "The order was new; the stored order (and `Location`)."},
        **WRITE_REFUSALS,
        422: {
            "model": ErrorOut,
            "description": "A field is missing or wrong; `details[].location` names it (e.g. "
            '`["body", "items", 0, "price"]`): a timestamp without an offset, a price with three decimal '
            "places, a serial number of another category, a phone that is no mainland mobile number, an "
            "unknown field, a bad order number in the path.",
        },
    },
)
async def put_order(
    order_number: OrderNumber, body: OrderBody, caller: OrderCallerDep, services: ServicesDep, response: Response
) -> OrderOut:
    """Store the order as the merchant's order system has it now, replacing what was stored under
    this number: send the whole order each time (its status, dates, tracking events as they grow).
    Times are ISO 8601 with an offset; one not yet known is left out or `null`. Answers with the
    order as stored, normalised: 201 when it is new, 200 when it replaced one."""
    order = body.to_order(order_number)
    book = services.order_book
    created = await run_blocking(book.put_order, order)
    await run_blocking(
        services.audit.record,
        caller.actor,
        "order.create" if created else "order.update",
        f"order:{order.number}",
        status=order.status.value,
    )
    _stored(response, created, f"/api/v1/orders/{order.number}")
    stored = await run_blocking(book.order, order.number)
    return OrderOut.of(stored or order)


@router.get(
    "/orders/{order_number}",
    response_model=OrderOut,
    summary="Read an order",
    responses={**READ_REFUSALS, 404: {"model": ErrorOut, "description": "No order with this number is stored."}},
)
async def get_order(order_number: OrderNumber, caller: OrderCallerDep, services: ServicesDep) -> OrderOut:
    """The order as the built-in store holds it, in the shape `PUT` takes, with its number."""
    order = await run_blocking(services.order_book.order, order_number)
    if order is None:
        raise HTTPException(404, f"no order {order_number} is stored")
    return OrderOut.of(order)


@router.put(
    "/repairs/{rma_number}",
    response_model=RepairOut,
    summary="Create or replace a repair ticket",
    responses={
        200: {"description": "The repair ticket was replaced; the stored ticket."},
        201: {"model": RepairOut, "description": "The repair ticket was new; the stored ticket (and `Location`)."},
        **WRITE_REFUSALS,
        422: {
            "model": ErrorOut,
            "description": "A field is missing or wrong; `details[].location` names it. A repair whose "
            'order is not stored is refused with `["body", "order_number"]`: put the order first.',
        },
    },
)
async def put_repair(
    rma_number: RmaNumber, body: RepairBody, caller: OrderCallerDep, services: ServicesDep, response: Response
) -> RepairOut:
    """Store the repair ticket as the merchant's system has it now (its stage and events so far),
    replacing what was stored under this number. Its order must be stored already: the customer's
    phone check for a repair is made on the repair's order (P19)."""
    repair = body.to_repair(rma_number)
    book = services.order_book
    try:
        created = await run_blocking(book.put_repair, repair)
    except UnknownOrder as unknown:
        problem = f"no order {repair.order_number} is stored; put the order first"
        raise RequestValidationError(
            [{"loc": ("body", "order_number"), "msg": problem, "type": "unknown_order"}]
        ) from unknown
    await run_blocking(
        services.audit.record,
        caller.actor,
        "repair.create" if created else "repair.update",
        f"repair:{repair.rma_number}",
        order=repair.order_number,
        stage=repair.stage.value,
    )
    _stored(response, created, f"/api/v1/repairs/{repair.rma_number}")
    stored = await run_blocking(book.repair, repair.rma_number)
    return RepairOut.of(stored or repair)


@router.get(
    "/repairs/{rma_number}",
    response_model=RepairOut,
    summary="Read a repair ticket",
    responses={**READ_REFUSALS, 404: {"model": ErrorOut, "description": "No repair with this number is stored."}},
)
async def get_repair(rma_number: RmaNumber, caller: OrderCallerDep, services: ServicesDep) -> RepairOut:
    """The repair ticket as the built-in store holds it, in the shape `PUT` takes, with its number."""
    repair = await run_blocking(services.order_book.repair, rma_number)
    if repair is None:
        raise HTTPException(404, f"no repair {rma_number} is stored")
    return RepairOut.of(repair)
