"AFAS Profit ProfitRestServices: reads through GetConnectors, writes through UpdateConnectors."

from connectors.afas.capabilities import CAPABILITIES

__all__ = ["CAPABILITIES"]
