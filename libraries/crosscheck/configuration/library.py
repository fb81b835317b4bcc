"""The crosscheck.Configuration library class."""

from __future__ import annotations

from crosscheck.configuration.context import ConfigurationContext
from crosscheck.configuration.keywords.environments import EnvironmentKeywords
from crosscheck.configuration.keywords.isolation import IsolationKeywords
from crosscheck.configuration.keywords.loaders import LoaderKeywords
from crosscheck.configuration.keywords.migration import MigrationKeywords
from crosscheck.configuration.keywords.precedence import PrecedenceKeywords
from crosscheck.configuration.keywords.secrets import SecretKeywords
from crosscheck.configuration.keywords.validation import ValidationKeywords
from crosscheck.core import CrosscheckLibrary


class Configuration(CrosscheckLibrary):
    """Configuration checks a system's configuration through the system's own loader.

    = Loaders =
    A system is registered once with `Use Configuration Loader`: the command that prints its
    effective configuration as JSON (or a Python function that returns it), its folder, the
    prefix of its environment variables and the layers it documents. Every keyword then runs
    that loader with the settings it needs and reads what the loader ended with, so what is
    checked is what the system would really use.

    | Use Configuration Loader    app    command=${PYTHON} app.py config    folder=${SYSTEM}
    | ...    prefix=APP_    env=development    env_argument=--env {env}
    | ...    layers=defaults, file:config/app.toml, file:config/app.{env}.toml, dotenv:.env, environment, argument:--set {key}={value}
    | Get Configuration Value    app    port    ==    8000

    The loader always runs in a temporary copy of the system's folder, with a copy of
    crosscheck's environment from which every variable of the system's prefix is removed: the
    user's files are never edited and no variable is ever set in crosscheck's own process.

    = Layers =
    Layers are listed lowest precedence first, separated by commas:

    | *layer* | *what a keyword sets there* |
    | ``defaults`` | nothing: the loader's own defaults |
    | ``file:<path>`` | the key in a copy of that file (TOML, JSON, YAML, INI or .env, by extension), created when absent; nested keys with dots |
    | ``dotenv:<path>`` | ``<PREFIX><KEY>=value`` in a copy of that .env file |
    | ``environment`` | the variable ``<PREFIX><KEY>`` (dots in the key become ``__``) |
    | ``argument:<template>`` | command-line arguments, ``{key}`` and ``{value}`` filled in |

    ``{env}`` in a path is the environment name of the run. Unnamed layers are called
    ``defaults``, ``file`` (``environment-file`` when the path has ``{env}``), ``dotenv``,
    ``environment`` and ``command-line``; ``name=<layer>`` names one (``shared=file:config/shared.toml``).
    Those names are used in `Configuration Precedence Should Be` and ``layer=`` arguments.

    = Checks =
    - Precedence: `Configuration Precedence Should Be` sets a value at each layer, cumulatively, and
      logs the matrix of who won.
    - Validation: `Loader Should Refuse`, `Missing Key Should Be Refused`, `Wrong Type Should Be Refused`,
      `Unknown Configuration Version Should Be Refused`.
    - Isolation: `Variable Should Not Change Configuration` (another system's variable).
    - Secrets: `Canary Secrets Should Not Leak`, with `Start Service With Configuration`.
    - Environments: `Environment Files Should Have The Same Keys`, `Production Configuration Should Be Safe`.
    - Migration: `Old Configuration Should Load The Same`.

    = Secrets =
    Values of keys named like secrets (``*password*``, ``*secret*``, ``*token*``, ``*pepper*``,
    ``*api_key*``) and passwords in URLs are shown as ``***`` in the log and in failure messages;
    a canary is shown as ``<canary of KEY>``.

    = Cleanup =
    Each keyword works in a temporary folder registered with the library's cleanup as soon as
    it is made, and removes it before returning. A service started by `Start Service With
    Configuration` is stopped, and its folder removed, when the test that started it ends,
    also after a failure.
    """

    COMPONENTS = (
        LoaderKeywords,
        PrecedenceKeywords,
        ValidationKeywords,
        IsolationKeywords,
        SecretKeywords,
        EnvironmentKeywords,
        MigrationKeywords,
    )

    def __init__(self) -> None:
        super().__init__(ConfigurationContext())
