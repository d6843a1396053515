"""koppel: integration-as-code for retail ERP and point-of-sale systems."""

import logging

# A library logs; the application decides where to (``reconciler.logs.configure_logging``).
# Without this, Python's last-resort handler would print warnings of e.g. `koppel apply`.
logging.getLogger("koppel").addHandler(logging.NullHandler())
