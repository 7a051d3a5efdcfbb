"""ASGI entry point for uvicorn (``dispatch.asgi:app``), configured from the environment."""

from dispatch.app import create_app

app = create_app()
