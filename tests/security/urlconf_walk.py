"""Every URL pattern of the project, with arguments made from a real case and report."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the route itself when the pattern has no name
    route: str
    names: tuple[str, ...]  # the captured arguments

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _arguments(pattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return tuple(pattern.regex.groupindex)
    return ()


def _walk(patterns, prefix: str, namespace: str | None, names: tuple[str, ...]):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from _walk(
                entry.url_patterns,
                prefix + str(entry.pattern),
                ns,
                names + _arguments(entry.pattern),
            )
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            key = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(key or route, route, names + _arguments(entry.pattern))


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", None, ()))


def url_for(route: Route, values: dict[str, str]) -> str:
    """The URL of `route` with `values` for its arguments."""
    kwargs = {name: values[name] for name in route.names}
    if route.key != route.route:
        return reverse(route.key, kwargs=kwargs)
    # Unnamed patterns: routes with <converter:name> parts, and the admin's catch-all regex.
    if route.route == "admin/(?P<url>.*)$":
        return "/admin/" + values["url"]
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route.route)
