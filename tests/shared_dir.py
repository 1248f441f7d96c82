"""Where the shared folder (seed cards, external corpus) lives: $GEN_SHARED, else `shared/` beside
the checkout (for a git worktree: beside the main checkout). None when it is not there."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _main_checkout(root: Path) -> Path:
    """The main checkout of a git worktree (its .git is a file naming .../.git/worktrees/NAME)."""
    git = root / ".git"
    if git.is_file():
        text = git.read_text().strip()
        if text.startswith("gitdir:"):
            gitdir = Path(text.split(":", 1)[1].strip())
            if gitdir.parent.name == "worktrees":
                return gitdir.parent.parent.parent
    return root


def shared_dir() -> Path | None:
    candidates = [Path(os.environ["GEN_SHARED"])] if os.environ.get("GEN_SHARED") else []
    candidates += [ROOT.parent / "shared", _main_checkout(ROOT).parent / "shared"]
    return next((c for c in candidates if c.is_dir()), None)


SHARED = shared_dir()
WHERE = "$GEN_SHARED or ../shared beside the repository"
