"""Merchant webhooks: registration, Standard Webhooks signatures, retries from the outbox."""
