"""Mapping, pure: canonical record -> desired target record, by the connector pair's default
mapping overlaid with the spec's ``Mapping`` rules, value maps, tax tables and default debtors."""
