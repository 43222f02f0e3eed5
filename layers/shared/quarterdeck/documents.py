"""Documents kept in the data bucket (signed waivers): written once, never overwritten.

A write is a PutObject with `If-None-Match: *`, so S3 itself refuses to replace an object
that already exists under the key. Writing the same document again (a retry after a
failure further on) is therefore harmless and reported as "already there".
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from quarterdeck.clients import client
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import ConfigurationError, ServiceUnavailableError
from quarterdeck.observability import logger

_UNREACHABLE = "The document store could not be reached; please try again."


class DocumentStore(Protocol):
    def put_new(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str = "text/plain; charset=utf-8",
        metadata: Mapping[str, str] | None = None,
    ) -> bool:
        """Store `body` under `key` unless something is already there. True if written now,
        False if the key already held a document (which is left untouched)."""
        ...

    def read(self, key: str) -> bytes | None:
        """The document under `key`, or None."""
        ...

    def head(self, key: str) -> dict[str, str] | None:
        """The metadata of the document under `key` (empty if it has none), or None if there is
        no document there. Raises ServiceUnavailableError when the store cannot say."""
        ...


@dataclass
class S3DocumentStore:
    """The data bucket (settings.data_bucket)."""

    settings: Settings = field(default_factory=get_settings)
    attempts: int = 3

    @property
    def bucket(self) -> str:
        if not self.settings.data_bucket:
            raise ConfigurationError("DATA_BUCKET is not set: signed documents have nowhere to go.")
        return self.settings.data_bucket

    def put_new(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str = "text/plain; charset=utf-8",
        metadata: Mapping[str, str] | None = None,
    ) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        for attempt in range(1, self.attempts + 1):
            try:
                client("s3").put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentType=content_type,
                    Metadata=dict(metadata or {}),
                    IfNoneMatch="*",
                )
                logger.info("document stored", extra={"key": key, "bytes": len(body)})
                return True
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if code == "PreconditionFailed" or status == 412:
                    logger.info("document already stored", extra={"key": key})
                    return False
                # 409 ConditionalRequestConflict: another write of this key is in flight; asking
                # again settles it (412 if that one won). 5xx and throttling: retry too.
                retryable = code in ("ConditionalRequestConflict", "SlowDown") or status == 409 or status >= 500
                if not retryable or attempt == self.attempts:
                    raise ServiceUnavailableError(
                        "The document store could not be reached; please try again."
                    ) from error
            except BotoCoreError as error:
                if attempt == self.attempts:
                    raise ServiceUnavailableError(
                        "The document store could not be reached; please try again."
                    ) from error
            time.sleep(0.1 * attempt)
        raise ServiceUnavailableError(_UNREACHABLE)

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = client("s3").get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") in ("NoSuchKey", "404"):
                return None
            raise ServiceUnavailableError(_UNREACHABLE) from error
        except BotoCoreError as error:
            raise ServiceUnavailableError(_UNREACHABLE) from error
        return bytes(answer["Body"].read())

    def head(self, key: str) -> dict[str, str] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = client("s3").head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            # A HEAD answer has no body, so a missing key is just 404. Without s3:ListBucket
            # (the functions are granted only Get/PutObject on their prefixes) S3 answers a
            # missing key with 403 instead; GetObject is granted, so an existing one is 200.
            if code in ("404", "NoSuchKey", "NotFound", "403", "Forbidden") or status in (403, 404):
                return None
            raise ServiceUnavailableError(_UNREACHABLE) from error
        except BotoCoreError as error:
            raise ServiceUnavailableError(_UNREACHABLE) from error
        # S3 returns user metadata with lower-cased keys.
        return {str(name).lower(): str(value) for name, value in (answer.get("Metadata") or {}).items()}


@lru_cache(maxsize=1)
def default_document_store() -> S3DocumentStore:
    return S3DocumentStore()
