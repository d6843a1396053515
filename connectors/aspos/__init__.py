"AsPos point of sale (over a documented, configurable REST contract)."

from connectors.aspos.capabilities import CAPABILITIES

__all__ = ["CAPABILITIES"]
