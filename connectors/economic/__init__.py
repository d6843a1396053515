"Visma e-conomic REST API."

from connectors.economic.capabilities import CAPABILITIES

__all__ = ["CAPABILITIES"]
