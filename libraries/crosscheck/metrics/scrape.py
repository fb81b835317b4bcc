"""Scrape a Prometheus endpoint and parse it by content type.

``text/plain`` goes to ``prometheus_client.parser``, ``application/openmetrics-text``
to ``prometheus_client.openmetrics.parser``. A :class:`Snapshot` holds the parsed
families and answers lookups by metric name and a subset of labels.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import requests

from crosscheck.config import mask_url
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.metrics import selectors
from crosscheck.metrics.selectors import Matcher

OPENMETRICS = "application/openmetrics-text"
_SUFFIXES = ("_total", "_count", "_sum", "_bucket", "_created", "_info", "_gcount", "_gsum")


def parse_selector(text: str) -> tuple[str, list[Matcher]]:
    """``name{label="value",...}`` -> ``(name, [Matcher, ...])``, as PromQL reads it (see ``selectors``)."""
    return selectors.parse(text)


def selector(metric: str, labels: dict | None = None) -> tuple[str, list[Matcher]]:
    """The metric name and the matchers of ``name{...}``, plus ``=`` matchers for ``labels``."""
    name, found = selectors.parse(metric)
    return name, found + selectors.equal(labels or {})


def as_number(expected: Any) -> Any:
    """An expected value written as text (``"1"``, ``"0.5"``) as a number; anything else as it is."""
    if isinstance(expected, str):
        try:
            return float(expected)
        except ValueError:
            return expected
    return expected


def time_unit(name: str) -> str | None:
    """``s`` or ``ms`` when the metric ``name`` says it measures time (Prometheus base unit suffix), else None."""
    base = name[: -len("_bucket")] if name.endswith("_bucket") else name
    if base.endswith("_seconds"):
        return "s"
    if base.endswith("_milliseconds"):
        return "ms"
    return None


_OP_WORDS = {"=": "", "!=": "not_", "=~": "re_", "!~": "not_re_"}


def figure_name(name: str, wanted: list[Matcher], what: str) -> str:
    """``metrics.<name>[.<label>_<value>...].<what>``: the stable name of a figure read from series
    ``name{matchers}``, for the verdict (lower case; a test's namespace ``cc_<pid>_<n>`` left out)."""
    parts = [name, *(f"{m.label}_{_OP_WORDS[m.op]}{m.value}" for m in sorted(wanted, key=str))]
    slugs = [re.sub(r"[^a-z0-9]+", "_", re.sub(r"cc_\d+_\d+", "", p.lower())).strip("_") for p in parts]
    return ".".join(["metrics", *(s for s in slugs if s), what])


def format_series(name: str, labels: dict | list[Matcher]) -> str:
    """``name{...}`` for a series' labels (a dictionary) or a selector's matchers."""
    matchers = selectors.equal(dict(sorted(labels.items()))) if isinstance(labels, dict) else labels
    inner = ",".join(str(m) for m in matchers)
    named_inside = not isinstance(labels, dict) and any(m.label == selectors.NAME_LABEL for m in labels)
    if name and (named_inside or selectors.quote_name(name, selectors.NAME) != name):  # {"my.metric", ...}
        return "{" + ",".join([selectors.quote(name), *([inner] if inner else [])]) + "}"
    return f"{name}{{{inner}}}" if inner else name


@dataclass
class Snapshot:
    url: str
    content_type: str
    families: dict = field(default_factory=dict)  # family name -> prometheus_client Metric
    scraped_at: float = 0.0

    def __str__(self) -> str:
        return f"<scrape of {mask_url(self.url)}: {len(self.families)} metrics>"

    def family(self, name: str):
        """The family ``name`` belongs to (a family name or one of its sample names)."""
        if name in self.families:
            return self.families[name]
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in self.families:
                return self.families[name[: -len(suffix)]]
        return None

    def require_family(self, name: str):
        fam = self.family(name)
        if fam is None:
            close = sorted(n for n in self.families if name.split("_")[0] in n)[:8]
            hint = f" Similar: {', '.join(close)}." if close else ""
            raise CrosscheckError(f"Metric '{name}' is not exposed at {mask_url(self.url)}.{hint}")
        return fam

    def sample_name(self, name: str, wanted: list[Matcher] | None = None) -> str:
        """The sample name a value lookup reads: ``x_total`` for a counter family ``x``, ``x_count``
        for a histogram or summary, and a summary's own quantile series when ``wanted`` selects a ``quantile``."""
        fam = self.require_family(name)
        if name != fam.name:
            return name
        if fam.type == "counter":  # x_total, or x where the text format typed x itself a counter
            total = f"{fam.name}_total"
            return total if any(s.name == total for s in fam.samples) or not fam.samples else fam.name
        if fam.type == "summary" and any(m.label == "quantile" for m in wanted or []):
            return fam.name
        if fam.type in ("histogram", "summary"):
            return f"{fam.name}_count"
        return fam.name

    def series(self, name: str, wanted: list[Matcher] | None = None) -> dict[tuple, float]:
        """``{label tuple: value}`` of the samples of ``name`` that the matchers ``wanted`` select."""
        fam = self.require_family(name)
        sample_name = self.sample_name(name, wanted)
        out = {}
        for sample in fam.samples:
            if sample.name == sample_name and selectors.matches(wanted or [], sample.labels, sample.name):
                out[tuple(sorted(sample.labels.items()))] = float(sample.value)
        return out

    def value(self, name: str, labels: list[Matcher] | None = None) -> float:
        """The sum of the matching series' values; fails if none matches."""
        found = self.series(name, labels)
        if not found:
            raise CrosscheckError(self.no_series_message(name, labels))
        return sum(found.values())

    def no_series_message(self, name: str, labels: list[Matcher] | None) -> str:
        sample_name = self.sample_name(name, labels)
        fam = self.require_family(name)
        same = [s for s in fam.samples if s.name == sample_name] or fam.samples  # else the family's other names
        present = [format_series(s.name, s.labels) for s in same][:6]
        return (
            f"No series {format_series(sample_name, labels or [])} at {mask_url(self.url)}; "
            f"present: {', '.join(present) or 'none'}."
        )

    def buckets(self, name: str, labels: list[Matcher] | None = None) -> dict[tuple, list[tuple[float, float]]]:
        """Histogram buckets of ``name`` per series (labels without ``le``): ``[(le, count), ...]``."""
        fam = self.require_family(name)
        if fam.type not in ("histogram", "gaugehistogram"):
            raise CrosscheckError(f"Metric '{fam.name}' at {mask_url(self.url)} is a {fam.type}, not a histogram.")
        out: dict[tuple, list] = {}
        for sample in fam.samples:
            if sample.name != f"{fam.name}_bucket":
                continue
            rest = {k: v for k, v in sample.labels.items() if k != "le"}
            if selectors.matches(labels or [], rest, sample.name):
                out.setdefault(tuple(sorted(rest.items())), []).append(
                    (float(sample.labels["le"]), float(sample.value))
                )
        return out


def parse(text: str, content_type: str, url: str = "") -> Snapshot:
    """A snapshot from exposition ``text``, parsed by ``content_type``."""
    try:
        if content_type.startswith(OPENMETRICS):
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
        else:
            from prometheus_client.parser import text_string_to_metric_families
        families: dict = {}
        bare_counters = set() if content_type.startswith(OPENMETRICS) else _bare_counters(text)
        for fam in text_string_to_metric_families(text):
            _normalized(fam)
            if fam.type == "counter" and fam.name in bare_counters:  # the parser renamed x to x_total
                fam.samples = [sample._replace(name=fam.name) for sample in fam.samples]
            if fam.name in families:  # series of one metric split up (no TYPE line, or not grouped): one family
                families[fam.name].samples.extend(fam.samples)
            else:
                families[fam.name] = fam
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        kind = "OpenMetrics" if content_type.startswith(OPENMETRICS) else "Prometheus text"
        detail = str(exc) or f"{type(exc).__name__} (the parser names no line)"
        raise CrosscheckError(f"{mask_url(url) or 'Input'} is not valid {kind} exposition: {detail}") from None
    return Snapshot(url, content_type, families, time.time())


_FLOAT_LABELS = {"histogram": "le", "summary": "quantile"}
_COUNTER_TYPE = re.compile(r'^[ \t]*#[ \t]+TYPE[ \t]+("(?:[^"\\]|\\.)*"|\S+)[ \t]+counter[ \t]*$', re.MULTILINE)


def _bare_counters(text: str) -> set[str]:
    """Names the text format types as counters without ``_total`` (``# TYPE x counter``): their series
    are named ``x``, as Prometheus stores them, where ``prometheus_client``'s parser renames them ``x_total``."""
    names = set()
    for m in _COUNTER_TYPE.finditer(text):
        name = m.group(1)
        if name.startswith('"'):
            name = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), name[1:-1])
        if not name.endswith("_total"):
            names.add(name)
    return names


def _normalized(fam) -> None:
    """``fam`` with its ``le`` (histogram) or ``quantile`` (summary) values written as Prometheus
    stores them since 3.0: ``le="1"`` becomes ``le="1.0"``, so ``{le="1.0"}`` selects it there and here."""
    label = _FLOAT_LABELS.get(fam.type)
    if label is None:
        return
    fam.samples = [
        sample._replace(labels={**sample.labels, label: openmetrics_float(sample.labels[label])})
        if label in sample.labels
        else sample
        for sample in fam.samples
    ]


def openmetrics_float(text: str) -> str:
    """A float label value in Prometheus's canonical form (Go's shortest ``%g``, with ``.0`` on integers);
    text that is not a number is returned as it is."""
    if text.strip() != text or "_" in text:
        return text
    try:
        f = float(text)
    except ValueError:
        return text
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0.0"
    sign, digits, exponent = Decimal(repr(f)).normalize().as_tuple()
    mantissa = "".join(map(str, digits))
    power = len(mantissa) + int(exponent) - 1
    if power < -4 or power >= 6:  # Go's shortest %g switches to an exponent here
        body = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "") + f"e{power:+03d}"
    elif power >= len(mantissa) - 1:
        body = mantissa + "0" * (power - len(mantissa) + 1) + ".0"
    elif power >= 0:
        body = mantissa[: power + 1] + "." + mantissa[power + 1 :]
    else:
        body = "0." + "0" * (-power - 1) + mantissa
    return ("-" if sign else "") + body


def scrape(url: str, openmetrics: bool = False, timeout: float = 5.0, headers: dict | None = None) -> Snapshot:
    """GET ``url`` and parse it; ``openmetrics`` asks for OpenMetrics via ``Accept``."""
    accept = (
        f"{OPENMETRICS}; version=1.0.0, text/plain; version=0.0.4; q=0.5"
        if openmetrics
        else "text/plain; version=0.0.4"
    )
    shown = mask_url(url)
    try:
        response = requests.get(url, headers={"Accept": accept, **(headers or {})}, timeout=timeout)
    except requests.RequestException as exc:
        raise ServiceUnavailable(
            f"Cannot scrape {shown}: {type(exc).__name__}. Check that the service is running and exposes /metrics."
        ) from None
    if response.status_code != 200:
        raise CrosscheckError(f"Scraping {shown} returned HTTP {response.status_code}, expected 200.")
    content_type = response.headers.get("Content-Type", "text/plain")
    if "html" in content_type or "json" in content_type:
        raise ConfigurationError(f"{shown} returned {content_type}, not a Prometheus exposition format.")
    return parse(response.text, content_type, url)
