"""The business layer: plain async use cases, no Strawberry imports."""
