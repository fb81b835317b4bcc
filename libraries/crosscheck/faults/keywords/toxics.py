"""Toxics: latency, bandwidth, timeouts, resets, data limits and slicing on a proxy's streams."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.assertions import to_seconds
from crosscheck.core import Component
from crosscheck.errors import ConfigurationError
from crosscheck.faults.context import FaultsContext
from crosscheck.faults.toxics import ToxicError, new_toxic
from crosscheck.services.toxiproxy import ToxiproxyError

# the unit of each time-valued attribute, as Toxiproxy reads it
TIME_ATTRIBUTES = {"latency": 1e3, "jitter": 1e3, "delay": 1e3, "timeout": 1e3}
SLICER_DELAY = 1e6  # the slicer's delay is in microseconds


def attribute_value(toxic: str, key: str, value: Any) -> int:
    """A Toxiproxy attribute as the integer it expects; a time with a unit is converted to its unit."""
    if isinstance(value, bool):
        raise ConfigurationError(f"toxic {toxic!r}: {key} must be a number, got {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    try:
        return int(float(text))
    except ValueError:
        pass
    if key in TIME_ATTRIBUTES:
        scale = SLICER_DELAY if (toxic.startswith("slicer") and key == "delay") else TIME_ATTRIBUTES[key]
        return round(to_seconds(text, f"{key} of toxic {toxic}") * scale)
    raise ConfigurationError(f"toxic {toxic!r}: {key} must be a number, got {text!r}")


def _fraction(value: Any, proxy: str) -> float:
    text = str(value).strip()
    try:
        share = float(text.removesuffix("%")) / (100.0 if text.endswith("%") else 1.0)
    except ValueError:
        share = float("nan")
    if not 0.0 <= share <= 1.0:
        raise ConfigurationError(
            f"proxy {proxy!r}: toxicity must be a share from 0 to 1 (or 0 % to 100 %), got {text!r}"
        )
    return share


class ToxicKeywords(Component[FaultsContext]):
    @keyword
    def add_toxic(
        self,
        proxy: str,
        type: str,
        stream: str = "downstream",
        toxicity: Any = 1.0,
        name: str | None = None,
        **attributes: Any,
    ) -> str:
        """Adds a toxic to ``proxy`` and returns its name; it is removed when the test (or suite) ends.

        ``type`` and its attributes are Toxiproxy's, in Toxiproxy's units:

        - ``latency``: ``latency`` (ms), ``jitter`` (ms): delays each chunk of data;
        - ``bandwidth``: ``rate`` (KB/s): limits throughput;
        - ``slow_close``: ``delay`` (ms): delays the close of the connection;
        - ``timeout``: ``timeout`` (ms; 0 = never): stops all data, closes after the timeout;
        - ``reset_peer``: ``timeout`` (ms): resets the connection (TCP RST) after the timeout;
        - ``limit_data``: ``bytes``: closes the connection after that many bytes;
        - ``slicer``: ``average_size``, ``size_variation`` (bytes), ``delay`` (µs): cuts data into small chunks.

        A time may also be written with a unit (``latency=200 ms``, ``timeout=2 s``) and is then
        converted. ``stream`` is ``downstream`` (server to client, the default) or ``upstream``
        (client to server). ``toxicity`` is the share of connections it applies to (``0.5``
        or ``50 %``). ``name`` defaults to ``<type>_<stream>``.

        | Add Toxic    postgres    latency    latency=200    jitter=20
        | Add Toxic    redis    reset_peer    stream=upstream    timeout=500
        | Add Toxic    postgres    limit_data    bytes=1024    toxicity=50 %
        """
        stream = stream.strip().lower()
        toxic = name or f"{type}_{stream}"
        values = {key: attribute_value(toxic, key, value) for key, value in attributes.items()}
        share = _fraction(toxicity, proxy)
        try:  # the same check and wording whether crosscheck's proxy or a real Toxiproxy server answers
            new_toxic(proxy, {"type": type, "stream": stream, "toxicity": share, "attributes": values, "name": toxic})
        except ToxicError as exc:
            raise ConfigurationError(str(exc)) from None
        client = self.ctx.client()
        # registered first: whatever happens next, the toxic does not outlive this scope
        self.ctx.undo_later(
            (proxy, toxic), f"toxic {toxic!r} on proxy {proxy!r}", lambda: _remove_if_present(client, proxy, toxic)
        )
        added = client.add_toxic(proxy, type, stream=stream, toxicity=share, attributes=values, name=toxic)
        self.ctx.mark_on((proxy, toxic), f"{type} on proxy {proxy!r}", proxy)
        logger.info(f"toxic {added.get('name', toxic)} on {proxy}: {added}")
        return added.get("name", toxic)

    @keyword
    def add_latency(
        self, proxy: str, latency: str, jitter: str = "0 ms", stream: str = "downstream", toxicity: Any = 1.0
    ) -> str:
        """Adds ``latency`` (with a unit: ``200 ms``) ± ``jitter`` to every chunk of data on ``proxy``'s ``stream``.

        A bare number is refused, as for every time of this library. Returns the toxic's name.

        | Add Latency    postgres    200 ms
        | Add Latency    redis    50 ms    jitter=10 ms    stream=upstream
        """
        ms = round(to_seconds(latency, f"latency on proxy {proxy}") * 1000)
        jitter_ms = round(to_seconds(jitter, f"jitter on proxy {proxy}") * 1000)
        return self.add_toxic(proxy, "latency", stream=stream, toxicity=toxicity, latency=ms, jitter=jitter_ms)

    @keyword
    def remove_toxic(self, proxy: str, name: str) -> None:
        """Removes toxic ``name`` from ``proxy``; open connections carry on without it."""
        self.ctx.client().remove_toxic(proxy, name)
        self.ctx.mark_off((proxy, name))


def _remove_if_present(client, proxy: str, toxic: str) -> None:
    try:
        names = [t.get("name") for t in client.toxics(proxy)]
    except ToxiproxyError as exc:
        if exc.status == 404:  # the proxy itself is gone: nothing of it to remove
            return
        raise
    if toxic in names:
        client.remove_toxic(proxy, toxic)
