"""Holds real answers to the schema /openapi.json declares for them, so the documentation
cannot drift from what the endpoints send.

`WireContract(spec).problem(response)` finds the operation of the request (method and path
template), the response it documents for the status (or its `default`), and validates the
JSON body against that schema, `$ref`s resolved in the spec's own components.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from jsonschema import Draft202012Validator


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]


class WireContract:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        operations = [
            Operation(
                method.upper(),
                template,
                re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$"),
                operation["responses"],
            )
            for template, methods in spec["paths"].items()
            for method, operation in methods.items()
        ]
        # Literal segments first: /api/v0/customer/search before /api/v0/customer/{customerId}.
        self.operations = sorted(operations, key=lambda o: o.template.count("{"))
        self.validator = cache(self._validator)
        self.checked: set[tuple[str, str, int]] = set()

    def operation(self, method: str, path: str) -> Operation | None:
        return next(
            (o for o in self.operations if o.method == method and o.pattern.match(path)), None
        )

    def _validator(self, method: str, template: str, status: str, media: str) -> Any:
        operation = next(o for o in self.operations if (o.method, o.template) == (method, template))
        schema = operation.responses[status]["content"][media]["schema"]
        return Draft202012Validator({**schema, "components": self.spec["components"]})

    def problem(self, response: httpx.Response) -> str | None:
        """Why the answer does not match its documentation, or None when it does."""
        request = response.request
        operation = self.operation(request.method, request.url.path)
        if operation is None:
            return None  # no route: the app's own 404, not an operation's answer
        status = str(response.status_code)
        if status not in operation.responses:
            if response.status_code < 400 or "default" not in operation.responses:
                return f"status {status} is not documented"
            status = "default"
        content = operation.responses[status].get("content", {})
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media not in content:
            return f"media type {media!r} is not documented for {status}"
        if media != "application/json":
            return None
        validator = self.validator(operation.method, operation.template, status, media)
        errors = sorted(validator.iter_errors(json.loads(response.content)), key=str)
        self.checked.add((operation.method, operation.template, response.status_code))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path)
            return f"{status} body at {where or '(root)'}: {first.message}"
        return None

    def check(self, response: httpx.Response) -> None:
        problem = self.problem(response)
        assert problem is None, f"{response.request.method} {response.request.url.path}: {problem}"
