"""The OpenAPI document, generated from the same marshmallow schemas the API uses."""
from __future__ import annotations

import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from schemas.case import CaseOutSchema
from schemas.errors import ErrorSchema
from schemas.search import SearchArgsSchema, SearchResultSchema

_ERRORS = {
    "400": {"description": "参数有误", "content": {"application/json": {"schema": "Error"}}},
    "404": {"description": "未找到", "content": {"application/json": {"schema": "Error"}}},
    "503": {"description": "搜索服务不可用", "content": {"application/json": {"schema": "Error"}}},
}


def _json(schema: str, description: str) -> dict:
    """A 200 response with a JSON body."""
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}, **_ERRORS}


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict:
    """Build (once) the OpenAPI 3.0 document."""
    spec = APISpec(title="以案释法案例库 API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], info={"description": "案例检索、案例详情与分类体系。"})
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("Case", schema=CaseOutSchema)
    spec.components.schema("SearchResult", schema=SearchResultSchema)
    spec.path("/api/v1/search", operations={"get": {
        "summary": "全文检索案例", "parameters": [{"in": "query", "schema": SearchArgsSchema}],
        "responses": _json("SearchResult", "检索结果")}})
    spec.path("/api/v1/cases/{case_id}", operations={"get": {
        "summary": "案例详情",
        "parameters": [{"in": "path", "name": "case_id", "required": True, "schema": {"type": "integer"}}],
        "responses": _json("Case", "案例")}})
    spec.path("/api/v1/cases", operations={"get": {
        "summary": "按交换格式编号（source_id）查找案例",
        "parameters": [{"in": "query", "name": "source_id", "required": True, "schema": {"type": "string"}}],
        "responses": _json("Case", "案例")}})
    spec.path("/api/v1/taxonomies", operations={"get": {
        "summary": "热点问题与法律部门分类", "responses": {"200": {"description": "分类体系"}}}})
    return spec.to_dict()
