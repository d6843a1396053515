"Visma eAccounting REST API v2."

from connectors.eaccounting.capabilities import CAPABILITIES

__all__ = ["CAPABILITIES"]
