"""Rendered fragments cached by everything they show: ``{% cached key, ... %}…{% endcached %}``.

Much of a page is the same for everyone who opens it in the same language: the navigation of a
role, a table's head, the filter bar for the same filters, the row of a case that has not
changed. The tag renders its body once per key and keeps the HTML in an LRU cache of the app's
template environment (in the process, never shared or written anywhere).

The key must hold every value the body shows, so that a change is simply a new key: a row is
keyed by the row itself (all its columns), the navigation by language and role. Then there is
nothing to invalidate, and a cached fragment only reaches someone who would have got exactly
that HTML anyway. The template's name and the tag's line are part of every key. While
templates reload (debug), nothing is cached, so an edited template shows at once.
"""
from collections import OrderedDict
from threading import Lock

from jinja2 import nodes
from jinja2.ext import Extension


class LRU:
    """A bounded mapping that forgets the least recently used entry first; thread-safe."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._data: OrderedDict = OrderedDict()
        self._lock = Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
                self._data.move_to_end(key)
            return value

    def set(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class FragmentCache(Extension):
    tags = {"cached"}

    def __init__(self, environment):
        super().__init__(environment)
        environment.extend(fragment_cache=LRU(4096))

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        key = [nodes.Const(parser.name), nodes.Const(lineno), parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            key.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcached",), drop_needle=True)
        return nodes.CallBlock(
            self.call_method("_render", [nodes.Tuple(key, "load")]), [], [], body
        ).set_lineno(lineno)

    def _render(self, key, caller):
        if self.environment.auto_reload:
            return caller()
        cache = self.environment.fragment_cache
        html = cache.get(key)
        if html is None:
            html = caller()
            cache.set(key, html)
        return html
