"""The store's API tokens."""

from __future__ import annotations

from sqlalchemy import Engine, delete, func, insert, select

from runner.store import tables as t
from runner.store.db import reading, writing
from runner.store.rows import TokenRecord, token_values


class TokenStore:
    """API tokens: their names, roles and secret hashes."""

    # Set in Store.__init__.
    engine: Engine

    def add_token(self, record: TokenRecord) -> None:
        with writing(self.engine) as conn:
            conn.execute(insert(t.tokens).values(token_values(record)))

    def get_token(self, token_id: str) -> TokenRecord | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.tokens).where(t.tokens.c.id == token_id)).first()
        return TokenRecord(**row._mapping) if row else None

    def list_tokens(self) -> list[TokenRecord]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(t.tokens).order_by(t.tokens.c.created_at)).all()
        return [TokenRecord(**r._mapping) for r in rows]

    def delete_token(self, token_id: str) -> bool:
        with writing(self.engine) as conn:
            return conn.execute(delete(t.tokens).where(t.tokens.c.id == token_id)).rowcount > 0

    def count_tokens(self, role: str | None = None) -> int:
        query = select(func.count()).select_from(t.tokens)
        if role is not None:
            query = query.where(t.tokens.c.role == role)
        with reading(self.engine) as conn:
            return int(conn.execute(query).scalar_one())
