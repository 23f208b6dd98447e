"""The audit trail (21 CFR Part 11 §11.10(e)).

- ``guard``: the model base and the queryset guard that refuses writes skipping the history.
- ``writes``: the write path, the only way services create, change and delete audited records.
- ``trail``: reading a record's history as users see it, and the digest signatures fingerprint.
- ``integrity``: the nightly check that every record matches its latest history row.
- ``triggers``: the database triggers that make history tables append-only.
"""
