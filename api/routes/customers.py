"""The customer-links API: an integration says which channel identities are its customer's.

An integration with the `conversations` scope names its customers by its own ids, kept in its
namespace as with conversations (`int:<token name>:<id>`), and may link one to a channel identity it
knows is theirs: the WeChat OpenID it got from its own login with the Official Account, say. The case
file then shows agents the customer's conversations on both, and forgetting the customer
(`python -m desk forget-customer`) follows the link. Links are only ever asserted, never inferred;
whether the identity has talked to us yet is neither checked nor told.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from api.conversation_access import NoCredential, bearer, integration_of, namespaced
from api.deps import RuntimeDep, ServicesDep
from api.schemas.customers import CustomerLinkIn, CustomerLinksOut, LinkOut
from api.schemas.errors import ErrorOut
from desk.access import TOKEN_PREFIX
from desk.customers import CHANNEL_IDENTITY
from engine.blocking import run_blocking

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No `Authorization: Bearer` token, or an unknown one."},
    403: {"model": ErrorOut, "description": "Not an integration token with the `conversations` scope."},
}
CHANGE_REFUSALS: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    422: {"model": ErrorOut, "description": "Not a channel identity, an id too long, or too many links."},
}

CustomerId = Annotated[
    str,
    Path(
        pattern=r"^[\x21-\x7e]+$",
        max_length=128,
        description="The integration's own id of the customer (as in a message's `customer_id`).",
    ),
]
Identity = Annotated[
    str,
    Path(pattern=f"^{CHANNEL_IDENTITY.pattern}$", max_length=128, description="A linked channel identity."),
]


async def integration(request: Request, runtime: RuntimeDep) -> str:
    """The calling integration's name."""
    secret = bearer(request)
    if secret is None:
        raise NoCredential("send an integration's API token")
    if not secret.startswith(TOKEN_PREFIX):
        raise HTTPException(403, "only an integration may link customers")
    return await integration_of(runtime, secret)


IntegrationDep = Annotated[str, Depends(integration)]


async def _links(services: ServicesDep, name: str, customer_id: str) -> CustomerLinksOut:
    stored = namespaced(name, customer_id, "customer_id")
    links = await run_blocking(services.customers.links_of, stored)
    return CustomerLinksOut(customer_id=customer_id, links=[LinkOut.of(link) for link in links])


@router.get("/{customer_id}/links", response_model=CustomerLinksOut, responses=REFUSALS)
async def list_links(customer_id: CustomerId, name: IntegrationDep, services: ServicesDep) -> CustomerLinksOut:
    """The channel identities linked to the integration's customer."""
    return await _links(services, name, customer_id)


@router.put("/{customer_id}/links", response_model=CustomerLinksOut, responses=CHANGE_REFUSALS)
async def link(
    customer_id: CustomerId, body: CustomerLinkIn, name: IntegrationDep, services: ServicesDep
) -> CustomerLinksOut:
    """Link a channel identity to the integration's customer: they are one person. Idempotent;
    answers with all the customer's links."""
    stored = namespaced(name, customer_id, "customer_id")
    await run_blocking(services.customers.link, stored, body.identity, f"token:{name}")
    return await _links(services, name, customer_id)


@router.delete(
    "/{customer_id}/links/{identity}",
    status_code=204,
    responses={**REFUSALS, 404: {"model": ErrorOut, "description": "The customer has no such link."}},
)
async def unlink(customer_id: CustomerId, identity: Identity, name: IntegrationDep, services: ServicesDep) -> Response:
    """Withdraw a link (a wrong one shows agents another person's history)."""
    stored = namespaced(name, customer_id, "customer_id")
    if not await run_blocking(services.customers.unlink, stored, identity, f"token:{name}"):
        raise HTTPException(404, "the customer has no such link")
    return Response(status_code=204)
