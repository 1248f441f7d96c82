"""One lint rule per module: CODE, NAME, SEVERITY, a docstring with what it catches, why, a bad
and a good example, and `check(ctx)` yielding Findings (generator.lint.registry lists them)."""
