"""The route modules, one per resource; each exposes ``routes(ctx) -> list[Route]``."""
