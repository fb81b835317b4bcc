"""Toxics: the faults the fault proxy puts on a connection, their parameters and what they do.

The model and the JSON are Toxiproxy's (https://github.com/Shopify/toxiproxy). A toxic has a
``name`` (default ``<type>_<stream>``), a ``type``, a ``stream`` (``upstream`` is the client ->
server direction, ``downstream`` the server -> client one; default ``downstream``), a
``toxicity`` (0..1: the share of connections it applies to, decided per connection) and its
``attributes``:

| type | attributes | effect |
| ``latency`` | ``latency`` ms, ``jitter`` ms | each chunk waits ``latency`` +/- ``jitter`` |
| ``bandwidth`` | ``rate`` KB/s | at most ``rate`` * 1000 bytes a second (0: nothing passes) |
| ``slow_close`` | ``delay`` ms | the close is passed on ``delay`` after it happened |
| ``timeout`` | ``timeout`` ms | data is dropped; the connection is closed after ``timeout`` (0: never) |
| ``reset_peer`` | ``timeout`` ms | the first data is dropped and the connection reset (TCP RST) ``timeout`` later |
| ``limit_data`` | ``bytes`` | ``bytes`` pass, then the connection is closed |
| ``slicer`` | ``average_size``, ``size_variation`` bytes, ``delay`` µs | chunks are cut into slices, ``delay`` apart |

A toxic added to a proxy applies to the data its open connections send afterwards; removing it
passes on at once what it holds and restores pass-through (a ``timeout`` toxic closes the
connections it applied to when removed, as Toxiproxy does: the data it dropped is gone).

This module is a pure engine: validation (:func:`new_toxic`, :meth:`Toxic.updated`) and the
per-chunk behaviour as asyncio callbacks (:class:`Stage` and its subclasses). It imports nothing
from Robot Framework and opens no socket; :mod:`crosscheck.faults.proxy` runs it.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

STREAMS = ("upstream", "downstream")
MAX_INT = 2**63 - 1  # Toxiproxy's attributes are int64


@dataclass(frozen=True)
class Attribute:
    """One attribute of a toxic type: its name, unit and smallest allowed value."""

    name: str
    unit: str
    minimum: int = 0


TYPES: dict[str, tuple[Attribute, ...]] = {
    "latency": (Attribute("latency", "ms"), Attribute("jitter", "ms")),
    "bandwidth": (Attribute("rate", "KB/s"),),
    "slow_close": (Attribute("delay", "ms"),),
    "timeout": (Attribute("timeout", "ms"),),
    "reset_peer": (Attribute("timeout", "ms"),),
    "limit_data": (Attribute("bytes", "bytes"),),
    "slicer": (
        Attribute("average_size", "bytes", minimum=1),
        Attribute("size_variation", "bytes"),
        Attribute("delay", "µs"),
    ),
}


class ToxicError(ValueError):
    """A toxic that cannot be created or changed; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Toxic:
    """A validated toxic as the HTTP API shows it."""

    name: str
    type: str
    stream: str = "downstream"
    toxicity: float = 1.0
    attributes: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }

    def updated(self, proxy: str, body: object) -> Toxic:
        """A copy with ``toxicity`` and the ``attributes`` of ``body`` changed (the others kept)."""
        where = f"toxic {self.name!r} on proxy {proxy!r}"
        if not isinstance(body, Mapping):
            raise ToxicError(f"{where}: the body must be a JSON object with 'attributes' and/or 'toxicity'")
        unknown = sorted(set(body) - {"attributes", "toxicity", "name", "type", "stream"})
        if unknown:
            raise ToxicError(
                f"{where}: unknown field(s) {', '.join(unknown)}; an update takes 'attributes' and 'toxicity'"
            )
        for fixed in ("name", "type", "stream"):
            if fixed in body and body[fixed] not in (None, "", getattr(self, fixed)):
                raise ToxicError(
                    f"{where}: its {fixed} cannot change (is {getattr(self, fixed)!r}, got {body[fixed]!r}); "
                    "remove the toxic and add a new one"
                )
        toxicity = self.toxicity if body.get("toxicity") is None else _toxicity(where, body["toxicity"])
        attributes = dict(self.attributes)
        attributes.update(_attributes(where, self.type, body.get("attributes"), base=attributes))
        return Toxic(self.name, self.type, self.stream, toxicity, attributes)


def new_toxic(proxy: str, body: object) -> Toxic:
    """The toxic a ``POST /proxies/{proxy}/toxics`` body describes; :class:`ToxicError` names what is wrong."""
    if not isinstance(body, Mapping):
        raise ToxicError(
            f"proxy {proxy!r}: a toxic must be a JSON object with 'type' (and optionally 'name', 'stream', "
            "'toxicity', 'attributes')"
        )
    unknown = sorted(set(body) - {"name", "type", "stream", "toxicity", "attributes"})
    kind = body.get("type")
    stream = body.get("stream") or "downstream"
    name = body.get("name") or f"{kind}_{stream}"
    if not isinstance(name, str):
        raise ToxicError(f"proxy {proxy!r}: the toxic name must be a string, got {name!r}")
    where = f"toxic {name!r} on proxy {proxy!r}"
    if unknown:
        raise ToxicError(
            f"{where}: unknown field(s) {', '.join(unknown)}; a toxic has name, type, stream, toxicity, attributes"
        )
    if not kind:
        raise ToxicError(f"{where}: missing required field: type; use one of: {', '.join(sorted(TYPES))}")
    if not isinstance(kind, str) or kind not in TYPES:
        raise ToxicError(f"{where}: invalid toxic type {kind!r}; use one of: {', '.join(sorted(TYPES))}")
    if not isinstance(stream, str) or stream.lower() not in STREAMS:
        raise ToxicError(
            f"{where}: stream was invalid, can be either upstream or downstream, got {stream!r}; "
            "upstream is client -> server, downstream is server -> client"
        )
    stream = stream.lower()
    toxicity = 1.0 if body.get("toxicity") is None else _toxicity(where, body["toxicity"])
    attributes = {attr.name: 0 for attr in TYPES[kind]}
    attributes.update(_attributes(where, kind, body.get("attributes"), base=attributes))
    return Toxic(name, kind, stream, toxicity, attributes)


def _toxicity(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ToxicError(f"{where}: toxicity must be a number from 0 to 1, got {value!r}")
    if not 0 <= value <= 1:
        raise ToxicError(
            f"{where}: toxicity must be from 0 to 1 (the share of connections it applies to), got {value!r}; "
            "use 1 for every connection, 0.5 for half of them"
        )
    return float(value)


def _attributes(where: str, kind: str, given: object, base: Mapping[str, int]) -> dict[str, int]:
    known = {attr.name: attr for attr in TYPES[kind]}
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise ToxicError(f"{where}: attributes must be a JSON object, got {given!r}")
    found: dict[str, int] = {}
    for key, value in given.items():
        attr = known.get(key)
        if attr is None:
            raise ToxicError(
                f"{where}: unknown attribute {key!r} for a {kind} toxic; its attributes are: "
                + ", ".join(f"{a.name} ({a.unit})" for a in TYPES[kind])
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ToxicError(f"{where}: {key} must be a number of {attr.unit}, got {value!r}")
        if isinstance(value, float) and not value.is_integer():
            raise ToxicError(f"{where}: {key} must be a whole number of {attr.unit}, got {value!r}")
        number = int(value)
        if number < attr.minimum:
            raise ToxicError(
                f"{where}: {key} must be >= {attr.minimum} {attr.unit}, got {number}; set it to {attr.minimum} or more"
            )
        if number > MAX_INT:
            raise ToxicError(f"{where}: {key} must be at most {MAX_INT} {attr.unit}, got {number}")
        found[key] = number
    merged = {**base, **found}
    if kind == "slicer" and merged.get("average_size", 0) < 1:
        raise ToxicError(f"{where}: average_size must be >= 1 bytes, got {merged.get('average_size', 0)}; set it")
    if kind == "slicer" and merged["size_variation"] > merged["average_size"]:
        raise ToxicError(
            f"{where}: size_variation ({merged['size_variation']}) must not exceed average_size "
            f"({merged['average_size']}); lower it"
        )
    return found


# --- what a toxic does to the data of one link ------------------------------------------------


class Marker:
    """The end of a link's data: ``EOF`` (the sender closed its side) or ``CLOSE`` (a toxic closes)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


EOF = Marker("EOF")
CLOSE = Marker("CLOSE")
Item = bytes | Marker


class LinkHooks(Protocol):
    """What a stage may ask of the link it sits on (one direction of one connection)."""

    def hold(self, size: int) -> None: ...  # bytes entered a stage's buffer

    def release(self, size: int) -> None: ...  # bytes left it

    def reset(self) -> None: ...  # reset the connection (TCP RST to both peers)


def _drop(item: Item) -> None:  # the output of a stage not yet wired
    pass


class Stage:
    """One toxic on one link. ``push`` takes data in order; ``output`` passes it to the next stage.

    Whether the toxic applies on this link is decided once, from its toxicity, when the stage is
    made (again when the toxic is updated). A stage that does not apply passes data straight on.
    """

    kinds: ClassVar[dict[str, type[Stage]]] = {}
    type_name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type_name:
            Stage.kinds[cls.type_name] = cls

    def __init__(self, toxic: Toxic, link: LinkHooks, loop: asyncio.AbstractEventLoop):
        self.toxic = toxic
        self.link = link
        self.loop = loop
        self.applies = random.random() < toxic.toxicity
        self.output: Callable[[Item], None] = _drop
        self.timer: asyncio.TimerHandle | None = None

    @classmethod
    def create(cls, toxic: Toxic, link: LinkHooks, loop: asyncio.AbstractEventLoop) -> Stage:
        return cls.kinds[toxic.type](toxic, link, loop)

    @property
    def attrs(self) -> dict[str, int]:
        return self.toxic.attributes

    def start(self) -> None:
        """The stage is wired into its link."""

    def push(self, item: Item) -> None:
        if self.applies:
            self.receive(item)
        else:
            self.output(item)

    def receive(self, item: Item) -> None:  # pragma: no cover - every type overrides it
        self.output(item)

    def update(self, toxic: Toxic) -> None:
        """New attributes or toxicity: whether it applies is decided again, as Toxiproxy does."""
        self.toxic = toxic
        applied, self.applies = self.applies, random.random() < toxic.toxicity
        if applied and not self.applies:
            self.flush()
            self.stop()
        elif self.applies:
            self.restart()

    def restart(self) -> None:
        """Attributes changed while the stage applies."""

    def flush(self) -> None:
        """Pass on at once whatever the stage holds (the toxic is removed, or no longer applies)."""

    def remove(self) -> None:
        """The toxic is removed from the link: pass on what is held and stop."""
        if self.applies:
            self.flush()
        self.stop()

    def stop(self) -> None:
        """The link is gone, or the stage no longer applies: no timer may fire any more."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class BufferedStage(Stage):
    """A stage that holds chunks in order and lets each go when its time has come."""

    def __init__(self, toxic: Toxic, link: LinkHooks, loop: asyncio.AbstractEventLoop):
        super().__init__(toxic, link, loop)
        self.buffer: deque[list[Any]] = deque()  # [item, arrived_at, due (None: not computed)]
        self.offset = 0  # bytes of the first chunk already passed on

    def receive(self, item: Item) -> None:
        if isinstance(item, bytes):
            self.link.hold(len(item))
        self.buffer.append([item, self.loop.time(), None])
        if self.timer is None and len(self.buffer) == 1:
            self.pump()

    def pump(self) -> None:
        self.timer = None
        while self.buffer and self.timer is None:
            if not self.step():
                return

    def step(self) -> bool:  # pragma: no cover - every buffered type overrides it
        """Handle the first held item: True if it moved on, False if a timer (or an update) must come first."""
        raise NotImplementedError

    def pop(self) -> Item:
        item = self.buffer.popleft()[0]
        if isinstance(item, bytes):
            self.link.release(len(item))
            if self.offset:
                item, self.offset = item[self.offset :], 0
        return item

    def restart(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        for entry in self.buffer:
            entry[2] = None
        self.pump()

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        while self.buffer:
            item = self.pop()
            if not isinstance(item, bytes) or item:
                self.output(item)

    def stop(self) -> None:
        super().stop()
        while self.buffer:
            self.pop()

    def wait_until(self, due: float) -> bool:
        """False and a timer for ``due`` if it is still to come; True when it has passed."""
        if due > self.loop.time():
            self.timer = self.loop.call_at(due, self.pump)
            return False
        return True


class Latency(BufferedStage):
    """Each chunk leaves ``latency`` +/- ``jitter`` ms after it arrived, in order."""

    type_name = "latency"

    def delay(self) -> float:
        latency, jitter = self.attrs["latency"], self.attrs["jitter"]
        if jitter > 0:
            latency += random.randrange(2 * jitter) - jitter  # Toxiproxy: rand.Int63n(2*jitter) - jitter
        return max(latency, 0) / 1000.0

    def step(self) -> bool:
        entry = self.buffer[0]
        if isinstance(entry[0], bytes):
            if entry[2] is None:
                entry[2] = entry[1] + self.delay()
            if not self.wait_until(entry[2]):
                return False
        self.output(self.pop())
        return True


class Bandwidth(BufferedStage):
    """At most ``rate`` KB/s (1 KB = 1000 bytes); a chunk larger than 100 ms of data goes in 100 ms pieces.

    A rate of 0 lets nothing through (data waits for an update or the toxic's removal), as in
    Toxiproxy.
    """

    type_name = "bandwidth"

    def __init__(self, toxic: Toxic, link: LinkHooks, loop: asyncio.AbstractEventLoop):
        super().__init__(toxic, link, loop)
        self.free_at = 0.0  # when the data passed on so far has had its time

    def step(self) -> bool:
        entry = self.buffer[0]
        item = entry[0]
        if not isinstance(item, bytes):
            self.output(self.pop())
            return True
        rate = self.attrs["rate"]
        if rate <= 0:
            return False  # held until an update or the removal
        size = min(len(item) - self.offset, rate * 100)
        if entry[2] is None:
            entry[2] = max(self.free_at, self.loop.time()) + size / (rate * 1000.0)
        if not self.wait_until(entry[2]):
            return False
        self.free_at, entry[2] = entry[2], None
        if self.offset + size >= len(item):
            self.output(self.pop())
            return True
        piece = item[self.offset : self.offset + size]
        self.offset += size
        self.output(piece)
        return True


class Slicer(BufferedStage):
    """Each chunk goes in slices of about ``average_size`` (+/- ``size_variation``) bytes, ``delay`` µs apart."""

    type_name = "slicer"

    def __init__(self, toxic: Toxic, link: LinkHooks, loop: asyncio.AbstractEventLoop):
        super().__init__(toxic, link, loop)
        self.slices: deque[int] = deque()  # ends of the slices of the first chunk still to pass
        self.next_at = 0.0  # the delay after the last slice passed

    def bounds(self, start: int, end: int) -> list[int]:
        """Slice ends between ``start`` and ``end``, as Toxiproxy's recursive halving cuts them."""
        average, variation = self.attrs["average_size"], self.attrs["size_variation"]
        ends: list[int] = []
        pending = [(start, end)]
        while pending:
            a, b = pending.pop()
            if (b - a) - average <= variation:
                ends.append(b)
                continue
            mid = a + (b - a) // 2
            if variation > 0:
                mid += random.randrange(2 * variation) - variation
            mid = min(max(mid, a + 1), b - 1)
            pending.append((mid, b))
            pending.append((a, mid))
        return ends

    def restart(self) -> None:
        self.slices.clear()
        super().restart()

    def flush(self) -> None:
        self.slices.clear()
        super().flush()

    def stop(self) -> None:
        self.slices.clear()
        super().stop()

    def step(self) -> bool:
        item = self.buffer[0][0]
        if not isinstance(item, bytes):
            self.output(self.pop())
            return True
        if not self.slices:
            self.slices.extend(self.bounds(self.offset, len(item)))
        delay = self.attrs["delay"] / 1e6
        while self.slices:
            if delay and not self.wait_until(self.next_at):
                return False
            end = self.slices.popleft()
            if not self.slices:
                piece = self.pop()
            else:
                piece, self.offset = item[self.offset : end], end
            self.next_at = self.loop.time() + delay
            self.output(piece)
        return True


class SlowClose(Stage):
    """Data passes at once; the end of the data (a close) is passed on ``delay`` ms later."""

    type_name = "slow_close"

    def __init__(self, toxic: Toxic, link: LinkHooks, loop: asyncio.AbstractEventLoop):
        super().__init__(toxic, link, loop)
        self.ending: Marker | None = None

    def receive(self, item: Item) -> None:
        if isinstance(item, bytes):
            if self.ending is None:
                self.output(item)
            return
        if self.ending is None:
            self.ending = item
            self.timer = self.loop.call_later(self.attrs["delay"] / 1000.0, self.close)

    def close(self) -> None:
        self.timer = None
        if self.ending is not None:
            ending, self.ending = self.ending, None
            self.output(ending)

    def restart(self) -> None:
        if self.ending is not None and self.timer is not None:
            self.timer.cancel()
            self.timer = self.loop.call_later(self.attrs["delay"] / 1000.0, self.close)

    def flush(self) -> None:
        super().stop()
        self.close()


class Timeout(Stage):
    """Data is dropped; after ``timeout`` ms (0: never) the connection is closed.

    The time counts from when the toxic starts on the link (the connection opens, or the toxic is
    added or updated). Removing it closes the connection, as Toxiproxy does.
    """

    type_name = "timeout"

    def __init__(self, toxic: Toxic, link: LinkHooks, loop: asyncio.AbstractEventLoop):
        super().__init__(toxic, link, loop)
        self.ended = False

    def start(self) -> None:
        if self.applies:
            self.arm()

    def arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.attrs["timeout"] > 0 and not self.ended:
            self.timer = self.loop.call_later(self.attrs["timeout"] / 1000.0, self.expire)

    def expire(self) -> None:
        self.timer = None
        if not self.ended:
            self.ended = True
            self.output(CLOSE)

    def receive(self, item: Item) -> None:
        if isinstance(item, Marker) and not self.ended:
            self.ended = True
            self.output(item)

    def restart(self) -> None:
        self.arm()

    def remove(self) -> None:
        if self.applies:
            self.expire()
        self.stop()


class ResetPeer(Stage):
    """The first data (or close) is dropped and, ``timeout`` ms later, the connection is reset (TCP RST).

    Once triggered, the reset happens even if the toxic is removed meanwhile: the data it took
    is gone.
    """

    type_name = "reset_peer"

    def __init__(self, toxic: Toxic, link: LinkHooks, loop: asyncio.AbstractEventLoop):
        super().__init__(toxic, link, loop)
        self.triggered = False

    def receive(self, item: Item) -> None:
        if not self.triggered:
            self.triggered = True
            self.loop.call_later(self.attrs["timeout"] / 1000.0, self.link.reset)


class LimitData(Stage):
    """``bytes`` bytes pass (over the link's life, updates included), then the connection is closed."""

    type_name = "limit_data"

    def __init__(self, toxic: Toxic, link: LinkHooks, loop: asyncio.AbstractEventLoop):
        super().__init__(toxic, link, loop)
        self.sent = 0
        self.ended = False

    def receive(self, item: Item) -> None:
        if self.ended:
            return
        if isinstance(item, Marker):
            self.ended = True
            self.output(item)
            return
        remaining = self.attrs["bytes"] - self.sent
        if remaining > 0:
            piece = item if len(item) <= remaining else item[:remaining]
            self.sent += len(piece)
            self.output(piece)
        if self.sent >= self.attrs["bytes"]:
            self.ended = True
            self.output(CLOSE)
