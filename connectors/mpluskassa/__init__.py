"MplusKASSA (MplusQapi SOAP API)."

from connectors.mpluskassa.capabilities import CAPABILITIES

__all__ = ["CAPABILITIES"]
