"""One module per imitated system; each exposes `routes(ctx)` and optionally `is_incremental(path)`."""
