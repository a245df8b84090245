"""The portal's formats for en-GB (its LANGUAGE_CODE): the same as every English locale."""

from dsar_portal.formats.en.formats import *  # noqa: F403
