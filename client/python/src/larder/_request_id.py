"""Request ids (metadata x-larder-request-id): one per logical call, the same on its retries."""
import uuid


def new_request_id() -> str:
    """A random id for one logical request (128 bits, hex)."""
    return uuid.uuid4().hex
