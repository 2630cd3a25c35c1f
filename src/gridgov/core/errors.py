"""Errors that services raise; the API and the pages turn them into 4xx answers."""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """A business rule that does not hold ("dispatch needs an active department"): HTTP 400."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field


class ReferenceNotFoundError(DomainError):
    """A row named in a request body is missing or outside the caller's scope: HTTP 404 like
    any other object out of scope, but naming the field that points at it."""

    status_code = 404


class ConflictError(DomainError):
    """The object changed under the caller (a concurrent transition, a stale state): HTTP 409.

    `allowed` lists what may be done now, so a client can recover without another request."""

    status_code = 409

    def __init__(
        self,
        message: str,
        *,
        state: str | None = None,
        allowed: Iterable[str] = (),
    ) -> None:
        super().__init__(message)
        self.state = state
        self.allowed = list(allowed)


class ImportRowError(DomainError):
    """One bad row or feature of an import file, located so a person can fix it."""

    def __init__(self, message: str, *, source: str = "", location: str = "") -> None:
        super().__init__(message)
        self.source = source
        self.location = location

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.location) if part)
        return f"{where}: {self.message}" if where else self.message


class ImportRejectedError(DomainError):
    """An import that found problems; nothing of it was written."""

    def __init__(self, problems: list[ImportRowError]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems

    def report(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ThrottledError(DomainError):
    """Too many requests from one client for a public endpoint: HTTP 429."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
