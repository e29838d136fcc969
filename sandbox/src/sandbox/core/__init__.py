"""What every imitated system shares: the HTTP(S) server and app, the document store, realism
(rate limits, faults, latency), TLS, settings, data folders, live activity and record pages."""
