"Visma.net ERP (Financials) REST API."

from connectors.vismanet.capabilities import CAPABILITIES

__all__ = ["CAPABILITIES"]
