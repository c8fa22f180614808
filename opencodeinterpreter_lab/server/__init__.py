"""The Jupyter server extension: ``app.py`` (traits, engine lifetime, routes), ``handlers.py`` (thin tornado
handlers: auth, validation) and ``session.py`` (one WebSocket connection's requests)."""
