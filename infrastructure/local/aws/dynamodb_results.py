"""DynamoDB answers in the emulator, serialized without moto's key search.

Why: moto's response serializer looks each member of each shape up on the result under every alias it knows
(the model's name, its snake_case form, class- and shape-prefixed forms), one probe object per alias; an
``AttributeValue`` has ten members, so a Query of five small items made over a hundred failed lookups and the
serializer was most of the emulator's CPU for every request the API serves (each one reads the caller's
memberships: docs/performance.md, "Local API"). A DynamoDB result is already in the wire's shape: moto builds it
as plain dicts named as the model names them (``dynamo_to_dict``), so a dict's member is under its own name or is
absent. While ``dynamodb_results_by_name`` is active, members of dicts are read by name only; anything else (a
model object, an error) goes through moto's own picker. The JSON is moto's serializer's either way, with
binary attributes encoded by it as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto import settings
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionContext
from moto.core.serialize import AttributePickerContext, XFormedAttributePicker
from moto.dynamodb.responses import DynamoResult

from infrastructure.local.aws.replaced import replaced


class MembersByName(XFormedAttributePicker):
    """A plain dict's member by its model name; any other object, or any response with transformers, as moto
    picks it."""

    def __call__(self, context: AttributePickerContext) -> Any:
        if type(context.obj) is dict and not self.response_transformers:
            return context.obj.get(context.key)
        return super().__call__(context)


def _execute_result(self: DynamoResult, context: ActionContext) -> TYPE_RESPONSE:
    # moto's ActionResult.execute_result, with the picker above.
    picker = MembersByName(response_transformers=getattr(context.response, "RESPONSE_KEY_PATH_TO_TRANSFORMER", None))
    serializer = context.serializer_class(
        operation_model=context.operation_model, pretty_print=settings.PRETTIFY_RESPONSES, value_picker=picker
    )
    serialized = serializer.serialize(self.result)
    return serialized["status_code"], serialized["headers"], serialized["body"]  # type: ignore[return-value]


@contextmanager
def dynamodb_results_by_name() -> Iterator[None]:
    """Serialize this process's moto DynamoDB results with ``MembersByName`` until the block ends."""
    with replaced(DynamoResult, "execute_result", _execute_result):
        yield
