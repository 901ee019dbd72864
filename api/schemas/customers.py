"""The customer-links API's bodies: another identity of an integration's customer in; the customer's
links out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from api.schemas.strict import Strict
from desk.customers import CHANNEL_IDENTITY, LinkView

IDENTITY_FORMS = (
    "`wechat:<appid>:<openid>` (an Official Account's app id and the customer's OpenID), "
    "`wecom:<corpid>:<external_userid>` or `slack:<team id>:<user id>`"
)


class CustomerLinkIn(Strict):
    """The other identity of the customer: where they write to us, as that channel names them."""

    identity: str = Field(max_length=128, description=f"A channel's customer id: {IDENTITY_FORMS}.")

    @field_validator("identity")
    @classmethod
    def _a_channel_identity(cls, value: str) -> str:
        if not CHANNEL_IDENTITY.fullmatch(value):
            raise ValueError(f"identity must be a channel's customer id: {IDENTITY_FORMS}")
        return value


class LinkOut(BaseModel):
    identity: str
    created_at: datetime

    @classmethod
    def of(cls, link: LinkView) -> LinkOut:
        return cls(identity=link.identity, created_at=link.created_at)


class CustomerLinksOut(BaseModel):
    customer_id: str = Field(description="The integration's own id of the customer, as it gave it.")
    links: list[LinkOut]
