"""The Official Account's callback protocol: signatures, the timestamp window, plaintext / compatible /
safe (AES) envelopes, message parsing and passive replies — all through wechatpy, with a defusedxml
check before any XML reaches wechatpy's parser (no DTDs, no entity declarations)."""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

# OpenIDs (28 characters such as "o6_bmjrPTlm6_2sgVt7hMZOPfL2M") and an account's original id
# ("gh_…") are letters, digits, "_" and "-". They become conversation ids and Rasa senders: a sender
# such as "x/../../model/train" must never get that far.
PLATFORM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Refused(Exception):
    """The request is not from WeChat (bad signature, stale timestamp) or is malformed: nothing is stored."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature_of(token: str, timestamp: str, nonce: str, *more: str) -> str:
    """WeChat's signature: SHA1 of the sorted, concatenated token, timestamp, nonce (and Encrypt)."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, *more)
    signature: str = signer.signature
    return signature


def verify_callback(
    token: str, query: Mapping[str, str], tolerance_seconds: int, now: float | None = None
) -> tuple[str, str]:
    """Check `signature` and the timestamp window of a callback; returns (timestamp, nonce)."""
    signature, timestamp, nonce = query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", "")
    if not (signature and timestamp and nonce):
        raise Refused(403, "missing signature, timestamp or nonce")
    expected = signature_of(token, timestamp, nonce)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise Refused(403, "bad signature")
    try:
        sent = int(timestamp)
    except ValueError:
        raise Refused(403, "bad timestamp") from None
    if abs((time.time() if now is None else now) - sent) > tolerance_seconds:
        raise Refused(403, "timestamp outside the allowed window")
    return timestamp, nonce


def safe_xml_root(xml: bytes | str) -> Any:
    """Parse with defusedxml (DTDs, entity declarations and external references refused)."""
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise Refused(400, "XML with a DTD or entity declarations is refused") from None
    except (ParseError, ValueError):
        raise Refused(400, "malformed XML") from None
    if root.tag != "xml":
        raise Refused(400, "not a WeChat message")
    return root


@dataclass(frozen=True)
class Envelope:
    """The message XML of a callback, and whether the reply must be encrypted."""

    xml: str
    encrypted: bool


def open_envelope(
    body: bytes, query: Mapping[str, str], crypto: WeChatCrypto | None, timestamp: str, nonce: str
) -> Envelope:
    """Plaintext mode: the body is the message. Compatible and safe mode (`encrypt_type=aes`): the
    `Encrypt` element is checked against `msg_signature` and decrypted.

    With an EncodingAESKey configured, plaintext requests are refused: the URL signature does not
    cover the body, so only the encrypted form proves the message came from WeChat."""
    root = safe_xml_root(body)
    aes = query.get("encrypt_type", "raw").lower() == "aes"
    if crypto is None:
        if root.find("MsgType") is None:
            raise Refused(400, "encrypted message without an EncodingAESKey configured (set WECHAT_ENCODING_AES_KEY)")
        return Envelope(body.decode("utf-8"), encrypted=False)
    if not aes:
        raise Refused(403, "plaintext message refused: the channel is configured for encrypted messages")
    encrypt = root.findtext("Encrypt")
    msg_signature = query.get("msg_signature", "")
    if not encrypt or not msg_signature:
        raise Refused(403, "missing Encrypt or msg_signature")
    try:
        xml: str = crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
    except (InvalidSignatureException, InvalidAppIdException):
        raise Refused(403, "bad msg_signature or app id") from None
    except Exception:  # wrong key, truncated or padded ciphertext: cryptography and struct errors
        raise Refused(400, "the message could not be decrypted") from None
    safe_xml_root(xml)
    return Envelope(xml, encrypted=True)


@dataclass(frozen=True)
class WeChatMessage:
    """What the adapter needs of one message or event, typed (wechatpy's objects are not)."""

    kind: str  # text, image, voice, event, … (lower case)
    openid: str  # FromUserName: the customer
    account: str  # ToUserName: the Official Account's original id
    create_time: int
    msg_id: int | None
    event: str | None = None  # subscribe, unsubscribe, click, … (lower case)
    content: str = ""
    recognition: str | None = None
    pic_url: str | None = None
    event_key: str | None = None

    @property
    def dedupe_key(self) -> str:
        """The same for every retry of one delivery: MsgId, or for events sender + time + event."""
        if self.msg_id:
            return f"{self.openid}:{self.msg_id}"
        return f"{self.openid}:{self.create_time}:{self.event or self.kind}"


def parse(xml: str) -> WeChatMessage:
    """The message, parsed by wechatpy (after `safe_xml_root` has checked the XML)."""
    try:
        message: Any = parse_message(xml)
        data: dict[str, Any] = message._data
        kind = str(data.get("MsgType", "")).lower()
        openid, account = data.get("FromUserName"), data.get("ToUserName")
        create_time = int(data.get("CreateTime") or 0)
        msg_id = int(data["MsgId"]) if data.get("MsgId") else None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise Refused(400, "not a WeChat message") from None
    if not isinstance(openid, str) or not openid or not isinstance(account, str) or not kind:
        raise Refused(400, "a WeChat message without sender or type")
    if not PLATFORM_ID.fullmatch(openid) or not PLATFORM_ID.fullmatch(account):
        raise Refused(400, "a WeChat message whose sender or account is not a WeChat id")

    def text(name: str) -> str | None:
        value = data.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    event = text("Event")
    return WeChatMessage(
        kind=kind,
        openid=openid,
        account=account,
        create_time=create_time,
        msg_id=msg_id,
        event=event.lower() if event else None,
        content=text("Content") or "",
        recognition=text("Recognition"),
        pic_url=text("PicUrl"),
        event_key=text("EventKey"),
    )


def text_reply(message: WeChatMessage, content: str, crypto: WeChatCrypto | None, encrypted: bool) -> str:
    """A passive text reply to `message` (encrypted when the request was)."""
    reply = TextReply(source=message.account, target=message.openid, content=content, time=int(time.time()))
    xml: str = reply.render()
    if crypto is None or not encrypted:
        return xml
    sealed: str = crypto.encrypt_message(xml, secrets.token_hex(8), str(int(time.time())))
    return sealed
