"""``crosscheck sandbox-image``: build (or check) the local sandbox image."""

from __future__ import annotations

import argparse
import sys

from crosscheck.errors import CrosscheckError
from crosscheck.helptext import PlainHelpFormatter


def sandbox_image(argv: list[str] | None = None) -> int:
    """Build the sandbox image from this machine's Python; 0 on success, 1 on failure."""
    from crosscheck.sandbox import image
    from crosscheck.services import docker as docker_service

    parser = argparse.ArgumentParser(
        formatter_class=PlainHelpFormatter,
        prog="crosscheck sandbox-image",
        description="Build the minimal local sandbox image with 'docker import'.",
    )
    parser.add_argument(
        "--tag", default=None, help=f"image tag (default: CROSSCHECK_SANDBOX_IMAGE or {image.DEFAULT_TAG})"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if the image exists")
    args = parser.parse_args(argv)
    tag = args.tag or image.image_name()
    try:
        client = docker_service.connect()
        if args.force and tag.startswith("crosscheck-sandbox"):
            image_id = image.build(client, tag)
        else:
            image_id = image.ensure(client, tag)
        size = client.images.get(tag).attrs.get("Size", 0)
    except CrosscheckError as exc:
        print(f"crosscheck sandbox-image: {exc}", file=sys.stderr)
        return 1
    print(f"{tag} {image_id[:19]} {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(sandbox_image())
