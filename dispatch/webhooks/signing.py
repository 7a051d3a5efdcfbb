"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Headers: ``webhook-id`` (stable per event, the receiver's deduplication key),
``webhook-timestamp`` (seconds since the epoch, at each attempt) and ``webhook-signature``:
``v1,<base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))>`` where the key is the base64
part of the ``whsec_...`` secret, decoded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
TOLERANCE_S = 300


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, msg_id: str, timestamp_s: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp_s}.".encode() + body
    mac = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secret: str, msg_id: str, timestamp_s: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp_s),
            "webhook-signature": sign(secret, msg_id, timestamp_s, body),
            "content-type": "application/json"}


def verify(secret: str, given: dict[str, str], body: bytes, now_s: int) -> bool:
    """What a receiver does: check the timestamp and any of the space-separated signatures."""
    try:
        ts = int(given["webhook-timestamp"])
        expected = sign(secret, given["webhook-id"], ts, body)
    except (KeyError, ValueError):
        return False
    if abs(now_s - ts) > TOLERANCE_S:
        return False
    return any(hmac.compare_digest(expected, sig) for sig in given.get("webhook-signature", "").split())
