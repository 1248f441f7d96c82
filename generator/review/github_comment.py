"""Post the review as one pull-request comment, or update the one posted before (found by the
`<!-- gen-review -->` marker), through GitHub's REST API; used by the GitHub Action's review mode:

    GITHUB_TOKEN=… python -m generator.review.github_comment review.md

It reads what the runner provides: GITHUB_REPOSITORY, GITHUB_EVENT_PATH (the pull request's
number), GITHUB_API_URL. Outside a pull request it says so and does nothing."""
from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

from generator.review.markdown import MARKER

PER_PAGE = 100


def _call(method: str, url: str, token: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read() or b"null")


def post_or_update(api: str, repo: str, number: int, token: str, body: str) -> tuple[str, int]:
    """("created" | "updated", comment id)."""
    base = f"{api.rstrip('/')}/repos/{repo}/issues"
    page = 1
    while True:
        comments = _call("GET", f"{base}/{number}/comments?per_page={PER_PAGE}&page={page}", token)
        mine = next((c for c in comments if (c.get("body") or "").startswith(MARKER)), None)
        if mine is not None:
            _call("PATCH", f"{base}/comments/{mine['id']}", token, {"body": body})
            return "updated", mine["id"]
        if len(comments) < PER_PAGE:
            break
        page += 1
    made = _call("POST", f"{base}/{number}/comments", token, {"body": body})
    return "created", made["id"]


def main(argv: list[str]) -> int:
    body = Path(argv[0]).read_text(encoding="utf-8")
    event = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text()) if os.environ.get("GITHUB_EVENT_PATH") \
        else {}
    number = (event.get("pull_request") or {}).get("number")
    if not number:
        print("::notice title=gen review::not a pull request: no comment posted")
        return 0
    how, ident = post_or_update(os.environ.get("GITHUB_API_URL", "https://api.github.com"),
                                os.environ["GITHUB_REPOSITORY"], int(number), os.environ["GITHUB_TOKEN"], body)
    print(f"gen review: comment {ident} {how} on pull request #{number}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
