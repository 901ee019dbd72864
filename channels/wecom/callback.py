"""WeCom's callback requests, checked and opened: msg_signature (SHA-1 over the sorted Token, timestamp,
nonce and ciphertext), the timestamp window, AES decryption with wechatpy's `WeChatCrypto` (which also
checks the corp id inside the plaintext), and XML parsed without DTDs or entities (defusedxml)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.work.crypto import WeChatCrypto
from wechatpy.work.exceptions import InvalidCorpIdException

from channels.wecom.settings import WeComSettings

# A callback body is a few hundred bytes; anything much larger is not from WeCom.
MAX_BODY_BYTES = 16 * 1024


class CallbackRejected(Exception):
    """The request is not a valid WeCom callback; `status` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class CallbackVerifier:
    def __init__(self, settings: WeComSettings, clock: Callable[[], float] = time.time) -> None:
        if settings.token is None or settings.encoding_aes_key is None or settings.corp_id is None:
            raise ValueError("WeCom is not configured")
        self._token = settings.token.get_secret_value()
        self._crypto = WeChatCrypto(self._token, settings.encoding_aes_key.get_secret_value(), settings.corp_id)
        self._window = settings.timestamp_window_seconds
        self._clock = clock

    def echo(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The URL check WeCom makes when the callback is configured: the decrypted echostr."""
        self._check(msg_signature, timestamp, nonce, echostr)
        try:
            return str(self._crypto.check_signature(msg_signature, timestamp, nonce, echostr))
        except (InvalidSignatureException, InvalidCorpIdException) as error:
            raise CallbackRejected(403, "echostr is not for this corp") from error
        except Exception as error:  # wrong padding, not base64, …
            raise CallbackRejected(400, "echostr cannot be decrypted") from error

    def open(self, msg_signature: str, timestamp: str, nonce: str, body: bytes) -> dict[str, str]:
        """The decrypted callback's fields (`MsgType`, `Event`, `Token`, `OpenKfId`, …)."""
        envelope = parse_xml(body)
        encrypted = _text(envelope, "Encrypt")
        if not encrypted:
            raise CallbackRejected(400, "the callback carries no Encrypt element")
        self._check(msg_signature, timestamp, nonce, encrypted)
        try:
            plain = self._crypto.decrypt_message({"Encrypt": encrypted}, msg_signature, timestamp, nonce)
        except (InvalidSignatureException, InvalidCorpIdException) as error:
            raise CallbackRejected(403, "the callback is not for this corp") from error
        except Exception as error:
            raise CallbackRejected(400, "the callback cannot be decrypted") from error
        message = parse_xml(str(plain).encode("utf-8"))
        return {child.tag: (child.text or "").strip() for child in message}

    def _check(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise CallbackRejected(403, "timestamp is not a number") from None
        if abs(self._clock() - sent_at) > self._window:
            raise CallbackRejected(403, "timestamp outside the accepted window")
        expected = signature(self._token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, msg_signature.lower()):
            raise CallbackRejected(403, "wrong msg_signature")


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """WeCom's msg_signature: SHA-1 of the four values sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode("utf-8")).hexdigest()


def parse_xml(data: bytes) -> Element:
    """Parse untrusted XML: a DTD (and with it any entity, internal or external) is refused."""
    try:
        root: Element = safe_xml.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError) as error:
        raise CallbackRejected(400, f"unacceptable XML: {type(error).__name__}") from error
    return root


def _text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""
