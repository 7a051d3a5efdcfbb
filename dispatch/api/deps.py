"""Typed dependencies: the service context and the authenticated caller, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
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


async def get_principal(ctx: Ctx, authorization: Annotated[str | None, Header()] = None) -> Principal:
    credential = bearer(authorization)
    return cached_principal(ctx, credential) or await run_in_threadpool(principal_from_bearer, ctx, credential)


Caller = Annotated[Principal, Depends(get_principal)]


def role_guard(*roles: str):  # type: ignore[no-untyped-def]
    async def check(who: Caller) -> Principal:
        if who.role not in roles:
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}", field="Authorization")
        return who

    return check


Merchant = Annotated[Principal, Depends(role_guard("merchant"))]
CourierCaller = Annotated[Principal, Depends(role_guard("courier"))]
Dispatcher = Annotated[Principal, Depends(role_guard("dispatcher", "admin"))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
