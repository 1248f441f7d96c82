"""Versioned migrations: authoring (`migrate new`: diff the last snapshot against the spec,
safety review, up/down scripts, snapshot, gen.sum), the runner (up/down/status with a
history table and an advisory lock), verify on a scratch database, drift, seed and reset."""
