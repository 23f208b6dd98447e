"""What a load did: per-model counts and the report the loaders print."""

from dataclasses import dataclass, field


@dataclass
class ModelCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass
class DataLoadReport:
    """What a load did: per model, how many rows were created, updated, deleted or left unchanged.

    Subclasses say what was loaded (``heading_lines``); ``models`` fixes the order of the table.
    """

    directory: str
    counts: dict[str, ModelCounts] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    deletions: list[str] = field(default_factory=list)

    @classmethod
    def for_models(cls, models, **kwargs):
        return cls(counts={m.__name__: ModelCounts() for m in models}, **kwargs)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.deleted for c in self.counts.values())

    def total(self, kind: str) -> int:
        return sum(getattr(c, kind) for c in self.counts.values())

    def heading_lines(self) -> list[str]:
        return [f"Data from {self.directory}"]

    def as_text(self) -> str:
        lines = self.heading_lines()
        width = max(len(name) for name in self.counts)
        lines.append(f"  {'model':<{width}}  created  updated  deleted  unchanged")
        for name, c in self.counts.items():
            lines.append(f"  {name:<{width}}  {c.created:>7}  {c.updated:>7}  {c.deleted:>7}  {c.unchanged:>9}")
        if self.changes:
            lines.append("Updated:")
            lines += [f"  {line}" for line in self.changes]
        if self.deletions:
            lines.append("Deleted:")
            lines += [f"  {line}" for line in self.deletions]
        if not self.changed:
            lines.append("Nothing changed.")
        return "\n".join(lines)
