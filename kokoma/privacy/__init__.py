"""Data protection across the instance: backups that restore (:mod:`.backup`), the daily jobs
of retention and the access trail (:mod:`.daily`), the documents for the data protection officer
(:mod:`.report`), and their commands (:mod:`.cli`). Uses the services; nothing uses this package
but the app factory, the runtime and the CLI."""
