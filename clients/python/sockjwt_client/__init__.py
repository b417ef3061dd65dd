"""sockjwt_client: keeps a python-socketio client authenticated with a sockjwt server.

    from sockjwt_client import Session          # socketio.Client (threads)
    from sockjwt_client import AsyncSession     # socketio.AsyncClient (asyncio; needs aiohttp)

The protocol it implements is docs/protocol.md in the sockjwt repository.
"""
from ._protocol import REASONS, Refusal, SessionStopped, SignedOut, token_exp
from .sync import Session

__all__ = ['Session', 'AsyncSession', 'Refusal', 'SessionStopped', 'SignedOut', 'REASONS', 'token_exp']


def __getattr__(name):
    # The asyncio session imports asyncio machinery only when asked for.
    if name == 'AsyncSession':
        from .aio import AsyncSession
        return AsyncSession
    raise AttributeError(name)
