"""What the routers share for the lifetime of one application: settings, the query executor and the
facts about the loaded dataset. Lives on `app.state.services`; routers fetch it per request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request

from .config import Settings
from .dataset import DatasetInfo

if TYPE_CHECKING:  # the executor imports heavy machinery; routers only need the type
    from .executor import QueryExecutor

__all__ = ["Services", "get_services"]


@dataclass
class Services:
    settings: Settings
    executor: QueryExecutor
    dataset: DatasetInfo


def get_services(request: Request) -> Services:
    return request.app.state.services
