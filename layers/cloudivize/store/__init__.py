"""The stores: the only code that knows how each record kind is laid out as a DynamoDB item and which of its
fields are sealed under which encryption context. Logic works with the typed records of ``records``."""
