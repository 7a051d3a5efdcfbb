"""Typed dependencies: the service context and the authenticated caller, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from dispatch.domain.errors import Forbidden
from dispatch.services.auth import Principal, Unauthorized, cached_principal, principal_from_bearer
from dispatch.services.context import ServiceContext


# Dependencies are ``async``: a sync one costs a trip through the thread pool per request (three
# of them per call used to queue behind busy endpoint threads). Only a cache miss, which reads
# the database or runs argon2, goes to a thread.
async def get_ctx(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServiceContext, Depends(get_ctx)]


def bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("send Authorization: Bearer <API key or token>", field="Authorization")
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <credential>'", field="Authorization")
    return credential.strip()


# Two security schemes of the OpenAPI document, both sent as ``Authorization: Bearer ...``:
# merchants' API keys (``cd_...``) and people's tokens (``POST /api/v1/auth/login``). Declaring
# them (instead of an ``authorization`` header parameter) lets generated clients carry the
# credential themselves. ``auto_error=False``: the 401 is ours, a problem naming the header.
MERCHANT_KEY = HTTPBearer(scheme_name="MerchantApiKey", bearerFormat="cd_... API key", auto_error=False,
                          description="A merchant's API key (shown once when created): "
                                      "`Authorization: Bearer cd_...`")
PERSON_TOKEN = HTTPBearer(scheme_name="PersonToken", bearerFormat="opaque token", auto_error=False,
                          description="A person's token from `POST /api/v1/auth/login`: "
                                      "`Authorization: Bearer <token>`")
OPERATOR_KEY = HTTPBearer(scheme_name="OperatorKey", bearerFormat="OPERATOR_KEY", auto_error=False,
                          description="The server operator's secret (setting OPERATOR_KEY): "
                                      "`Authorization: Bearer <key>`")
Credential = HTTPAuthorizationCredentials | None


async def _principal(ctx: ServiceContext, request: Request) -> Principal:
    credential = bearer(request.headers.get("authorization"))
    return cached_principal(ctx, credential) or await run_in_threadpool(principal_from_bearer, ctx, credential)


async def get_principal(ctx: Ctx, request: Request, _key: Annotated[Credential, Security(MERCHANT_KEY)],
                        _token: Annotated[Credential, Security(PERSON_TOKEN)]) -> Principal:
    """Anyone with an API key or a token (the operation lists both schemes)."""
    return await _principal(ctx, request)


async def get_person(ctx: Ctx, request: Request, _token: Annotated[Credential, Security(PERSON_TOKEN)]) -> Principal:
    """A person (courier, dispatcher, admin): the operation lists the token scheme only."""
    return await _principal(ctx, request)


Caller = Annotated[Principal, Depends(get_principal)]
Person = Annotated[Principal, Depends(get_person)]


def role_guard(*roles: str):  # type: ignore[no-untyped-def]
    """Only these roles; an operation for people only (no merchant) lists the token scheme only."""

    async def check(who: Caller) -> Principal:
        if who.role not in roles:
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}", field="Authorization")
        return who

    async def check_person(who: Person) -> Principal:
        return await check(who)

    return check if "merchant" in roles else check_person


Merchant = Annotated[Principal, Depends(role_guard("merchant"))]
CourierCaller = Annotated[Principal, Depends(role_guard("courier"))]
Dispatcher = Annotated[Principal, Depends(role_guard("dispatcher", "admin"))]
IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=200,
    description="A unique key per intended write (e.g. a UUID): a retry with the same key and body "
                "gets the first answer; the same key with another body is a 422 idempotency-conflict.",
    examples=["3f1b8c2e-7d4a-4b9e-a6f0-2c5d8e9b1a47"])]
