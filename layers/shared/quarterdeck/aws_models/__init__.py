"""botocore, told where our trimmed service models are and asked less, so a client is cheap to create.

Creating a client parses its service's whole model (every operation, every shape, all the
documentation: DynamoDB's is ~500 KB of JSON) and, before that, lists every service botocore
has (~420 folders scanned, once for the model and once for the endpoint rules). On a cold
start that is ~15 ms of the first request here, for the handful of calls we make. So:

- `<service>/<api version>/service-2.json` here is botocore's model of that version with only
  the operations we call (`trim.OPERATIONS`) and the shapes they reach, no documentation;
  the loader reads this folder before botocore's own (`data_path`, the documented way to add
  models). Endpoint rules, retries and the sdk extras are still botocore's. A service missing
  here, or a newer API version in botocore, is read from botocore as before: only slower.
- `Loader.list_available_services` answers "is this service known?" (the one question botocore
  asks it while creating a client) by looking at that service's folders only; listing the
  services, or an unknown one, scans everything as botocore does.

`python -m quarterdeck.aws_models` writes the files from the installed botocore; a unit test
checks they are what it would write now, and that the app calls no operation left out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from botocore.loaders import Loader

HERE = Path(__file__).resolve().parent


class _KnownServices(Sequence[str]):
    """botocore's sorted list of the services that have a `type_name` file, built only if
    something iterates it; `in` checks one service the way the full scan does."""

    def __init__(self, loader: Loader, type_name: str) -> None:
        self._loader = loader
        self._type_name = type_name
        self._every: list[str] | None = None

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not name or os.sep in name:
            return name in self._all()
        for root in self._loader.search_paths:
            folder = os.path.join(root, name)
            if os.path.isdir(folder) and any(
                self._loader.file_loader.exists(os.path.join(folder, version, self._type_name))
                for version in os.listdir(folder)
            ):
                return True
        return False

    def _all(self) -> list[str]:
        if self._every is None:
            self._every = list(Loader.list_available_services(self._loader, self._type_name))
        return self._every

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class TrimmedModelsLoader(Loader):  # type: ignore[misc]  # botocore is untyped
    """botocore's Loader with this folder first on its search path (then any AWS_DATA_PATH)."""

    def __init__(self, named_paths: str | None = None) -> None:
        named = [os.path.expanduser(os.path.expandvars(p)) for p in (named_paths or "").split(os.pathsep) if p]
        super().__init__(extra_search_paths=[str(HERE), *named])

    def list_available_services(self, type_name: str) -> Any:
        return _KnownServices(self, type_name)
