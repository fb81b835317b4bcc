-- Seed 002: a small pgvector table for /v1/search, with a few seeded rows.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE IF NOT EXISTS documents (
    id        text PRIMARY KEY,
    title     text NOT NULL,
    body      text NOT NULL DEFAULT '',
    embedding vector(8) NOT NULL
);

INSERT INTO documents (id, title, body, embedding) VALUES
    ('doc-etf-basics', 'ETF basics', 'What an exchange-traded fund holds and how it trades.',
     '[0.9,0.1,0.0,0.0,0.1,0.0,0.0,0.0]'),
    ('doc-liquidity', 'Liquidity filters', 'Minimum volume and market cap for universe members.',
     '[0.1,0.9,0.1,0.0,0.0,0.0,0.0,0.0]'),
    ('doc-correlation', 'ETF correlation', 'Rolling correlation between sector ETFs.',
     '[0.0,0.1,0.9,0.1,0.0,0.0,0.0,0.0]'),
    ('doc-ipo', 'IPO assignment', 'How newly listed symbols join a universe.',
     '[0.0,0.0,0.1,0.9,0.1,0.0,0.0,0.0]'),
    ('doc-delisting', 'Delisting cleanup', 'Removing delisted symbols from every universe.',
     '[0.0,0.0,0.0,0.1,0.9,0.1,0.0,0.0]'),
    ('doc-cache-sync', 'End-of-day cache sync', 'The nightly job that refreshes cached universes.',
     '[0.0,0.0,0.0,0.0,0.1,0.9,0.1,0.0]'),
    ('doc-rate-limits', 'API rate limits', 'Per-key request limits in a fixed window.',
     '[0.0,0.0,0.0,0.0,0.0,0.1,0.9,0.1]'),
    ('doc-pooling', 'Connection pooling', 'A bounded pool: size 20, overflow 10, timeout 30 s.',
     '[0.1,0.0,0.0,0.0,0.0,0.0,0.1,0.9]')
ON CONFLICT (id) DO NOTHING;
