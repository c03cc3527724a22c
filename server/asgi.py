"""The ASGI application for uvicorn and other servers: ``server.asgi:app``."""

from server.app import create_app
from server.serving import settle_heap

app = create_app()
settle_heap()  # a served process: see its documentation
