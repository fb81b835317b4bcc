"""The crosscheck.Load library class."""

from __future__ import annotations

from crosscheck.core import CrosscheckLibrary
from crosscheck.load.context import LoadContext
from crosscheck.load.keywords.figures import FigureKeywords
from crosscheck.load.keywords.resources import ResourceKeywords
from crosscheck.load.keywords.stages import StageKeywords
from crosscheck.load.keywords.users import UserKeywords


class Load(CrosscheckLibrary):
    """Load puts an HTTP API under staged load with Locust and checks its figures per stage.

    = Users =
    Describe the users without Python: each `Add Load Request` adds a request (method,
    path on the target or full URL, headers, JSON body, a weight, a name to group by);
    every user picks its next request by weight. Or `Use Locustfile` to run your own
    Locust ``User`` classes. The target is the import argument ``url``, `Set Load Target`,
    else the API under test (``CROSSCHECK_API_URL`` or the embedded system under test).

    | Add Load Request    GET     /health    weight=5
    | Add Load Request    GET     /v1/universes/${name}    weight=3    name=GET universe    headers=${auth}
    | Add Load Request    POST    /v1/search    name=POST /v1/search    json=${body}    headers=${auth}

    = Stages =
    `Run Load Stages` runs the users in stages, ``users=10, 50, 100``: each stage starts
    (or stops) users at ``ramp`` users per second, then holds its count for ``hold``. The run
    stops by itself after the last stage. Locust runs in a child process (it patches the
    interpreter with gevent, so it is never imported into the Robot process), ``workers=N``
    runs a Locust master and N worker processes on 127.0.0.1. Every request is recorded by
    the generator, and the figures are computed from those raw samples: percentiles are
    exact, not Locust's rounded buckets.

    | Run Load Stages    users=10, 50, 100    hold=${LOAD_STAGE_HOLD}    ramp=10/s

    = Figures =
    A stage's figures are taken over its hold (after its ramp): requests, throughput (RPS),
    failures, error rate (%), response time p50 / p95 / p99 / max (ms), per request name
    and for all requests. A getter names the stage by its user count, ``stage=50``, by its
    position, ``stage=#2``, or ``stage=all`` for the whole run; ``request=`` names a request.
    The stage comes right after the statistic, before the operator:

    | Get Response Time    p95    stage=50    <    500 ms    request=POST /v1/search
    | Get Load Error Rate    stage=100    <    0.1 %
    | Get Throughput    stage=10    >=    10
    | Get Load Degradation    p95    stage=100    <    200 %

    `Get Load Statistics` returns every figure, also under stable names
    (``load.stage_100.all.p95_ms``) for comparison with a baseline.

    = Resource use =
    While the stages run, once a second and from outside the generator: CPU % and RSS of the
    processes listening on the target's port (when it is on this machine), connections in
    ``pg_stat_activity`` by application and state (``database=True``), Redis's connected
    clients (``redis=True``), and the CPU of every
    Locust process, with a warning in the log above 90 % of a core (its figures are then not
    trustworthy: add ``workers=``). See `Get Load Resource Usage`.

    = Times =
    A time-valued assertion target (the expected value of `Get Response Time`) must carry a
    unit: ``100 ms``, ``0.2 s``, ``1 min``, or a ``timedelta``. A bare number such as ``0.2`` or
    ``50`` is refused, because it could mean seconds or milliseconds: the failure names the
    figure, the value given and the fix (``Expected value '0.2' for p95 response time ...
    has no unit: write it as '0.2 ms' or '0.2 s'.``). Arguments that are not assertion targets
    (``hold=``, ``think=``) follow Robot Framework's own time format, where a bare number
    means seconds. An error rate is a percentage: ``0.1 %`` or ``0.1``.

    = Bad input =
    An unknown stage format, zero or negative users, a negative hold, a URL that is not HTTP,
    a locustfile that does not import: each fails before any load starts. An unreachable
    target fails within seconds, naming the URL (password masked) and what to do.

    = Cleanup =
    Load writes nothing to the system under test itself (what the requests change is the
    suite's to undo). The Locust processes of a run are killed when the run ends, and their
    kill is registered with the test's cleanup before they start, so none is left after a
    failure; they also die with the Robot process if it is killed.
    """

    COMPONENTS = (UserKeywords, StageKeywords, FigureKeywords, ResourceKeywords)

    def __init__(self, url: str | None = None) -> None:
        """``url`` is the load target (default: the API under test)."""
        super().__init__(LoadContext(url))
