"""Liveness. (The API's own description, /api/openapi.json, is served by api_handler, which builds it.)"""

from __future__ import annotations

from api_light import ReadTable

router = ReadTable()


@router.get("/api/health", summary="Liveness check", tags=["meta"])
def health() -> dict[str, str]:
    return {"status": "ok"}
