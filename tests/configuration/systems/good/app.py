"""A small system under test with a layered configuration loader (crosscheck's configuration tests use it).

    app.py config [--env E] [--config-dir D] [--set key=value]...   print the effective configuration
    app.py serve --port P [same options]                              serve /health and /metrics
    app.py migrate FILE                                               print a version-1 file as version 2

Layers, lowest first: defaults < config/app.toml < config/app.<env>.toml < ./.env (APP_KEY=value)
< environment APP_KEY (APP_CACHE__TTL for cache.ttl) < --set key=value. The environment is --env,
else APP_ENV, else development; the config folder --config-dir, else APP_CONFIG_DIR, else ./config.
"""

import argparse
import http.server
import json
import os
import sys
import tomllib
from pathlib import Path

DEFAULTS = {
    "port": 8000,
    "workers": 2,
    "debug": False,
    "log_level": "info",
    "public_url": "http://localhost:8000",
    "api_token": "",
    "cache": {"ttl": 60},
}
REQUIRED = ("database_url",)
SECRETS = ("api_token",)
KNOWN = {"port", "workers", "debug", "log_level", "public_url", "api_token", "database_url", "cache.ttl"}
V1_NAMES = {"listen_port": "port", "db_url": "database_url"}


class Refused(Exception):
    pass


def flat(data, prefix=""):
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def read_toml(path):
    data = flat(tomllib.loads(path.read_text())) if path.exists() else {}
    version = data.pop("config_version", 2)
    if version == 1:
        data = {V1_NAMES.get(k, k): v for k, v in data.items()}
    elif version != 2:
        raise Refused(f"config_version {version} in {path.name} is not supported (1 or 2)")
    unknown = sorted(set(data) - KNOWN)
    if unknown:
        raise Refused(f"{', '.join(unknown)}: unknown key in {path.name}")
    return data


def convert(key, value, where):
    default = flat(DEFAULTS).get(key, "")
    if isinstance(default, bool) and isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise Refused(f"{key}: expected true or false, got {value!r} ({where})")
        return value.lower() in ("true", "1", "yes")
    if isinstance(default, int) and not isinstance(default, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise Refused(f"{key}: expected an integer, got {value!r} ({where})") from None
    return value


def load(args):
    env = args.env or os.environ.get("APP_ENV") or "development"
    folder = Path(args.config_dir or os.environ.get("APP_CONFIG_DIR") or "config")
    values, sources = dict(flat(DEFAULTS)), {k: "defaults" for k in flat(DEFAULTS)}
    layers = [("file", read_toml(folder / "app.toml")), ("environment-file", read_toml(folder / f"app.{env}.toml"))]
    dotenv = {}
    if Path(".env").exists():
        for line in Path(".env").read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and name.startswith("APP_") and not line.startswith("#"):
                dotenv[name[4:].lower().replace("__", ".")] = value.strip().strip('"')
    layers.append(("dotenv", dotenv))
    variables = {n[4:].lower().replace("__", "."): v for n, v in os.environ.items() if n.startswith("APP_")}
    layers.append(("environment", {k: v for k, v in variables.items() if k in KNOWN}))
    layers.append(("command-line", dict(item.split("=", 1) for item in args.set)))
    for source, layer in layers:
        for key, value in layer.items():
            where = (
                f"from environment variable APP_{key.upper().replace('.', '__')}"
                if source == "environment"
                else f"from {source}"
            )
            values[key], sources[key] = convert(key, value, where), source
    for key in REQUIRED:
        if not values.get(key):
            raise Refused(f"{key}: required, set it in config/app.toml or APP_{key.upper()}")
    return env, values, sources


def masked(values):
    out = {k: ("***" if k in SECRETS and v else v) for k, v in values.items()}
    url = out.get("database_url", "")
    if "@" in url and ":" in url.split("//", 1)[-1].split("@")[0]:
        out["database_url"] = (
            url.split("//")[0] + "//" + url.split("//", 1)[1].split(":")[0] + ":***@" + url.split("@", 1)[1]
        )
    return out


def serve(args, env, values):
    print(f"app listening on 127.0.0.1:{args.port} ({env}, {values['workers']} workers)", flush=True)
    Path("logs").mkdir(exist_ok=True)
    Path("logs/app.log").write_text(f"started in {env} with log level {values['log_level']}\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body, status = {"/health": ('{"status": "ok"}', 200), "/metrics": ("app_up 1\n", 200)}.get(
                self.path, ("no such page", 404)
            )
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *a):
            print("request", self.path, flush=True)

    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


def effective(argv):
    """The loader as a Python function (``app:effective``): the printed document as a dict."""
    args = argparse.Namespace(env=None, config_dir=None, set=[], port=None)
    for option, value in zip(argv[::2], argv[1::2]):
        setattr(args, option.lstrip("-").replace("-", "_"), value if option != "--set" else args.set + [value])
    env, values, sources = load(args)
    return {"config_version": 2, "environment": env, "values": masked(values), "sources": sources}


def main(argv):
    parser = argparse.ArgumentParser(prog="app")
    parser.add_argument("command", choices=("config", "serve", "migrate"))
    parser.add_argument("file", nargs="?")
    parser.add_argument("--env")
    parser.add_argument("--config-dir")
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    try:
        if args.command == "migrate":
            data = read_toml(Path(args.file))
            print("config_version = 2\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in data.items()))
            return 0
        env, values, sources = load(args)
    except Refused as exc:
        print(f"app: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        serve(args, env, values)
    print(json.dumps({"config_version": 2, "environment": env, "values": masked(values), "sources": sources}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
