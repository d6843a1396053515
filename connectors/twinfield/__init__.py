"Twinfield (XML web services): customers are dimensions of type DEB."

from connectors.twinfield.capabilities import CAPABILITIES

__all__ = ["CAPABILITIES"]
