"""Hindi numbers as India groups them (12,34,567); every other Hindi format is Django's own."""

NUMBER_GROUPING = (3, 2, 0)
THOUSAND_SEPARATOR = ","
