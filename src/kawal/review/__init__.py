"""The monthly review (§4.7, §5.5): minutes drafted from the month, filled, frozen, rendered."""
