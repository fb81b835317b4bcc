-- Seed 004: API keys. Only the SHA-256 of a key is stored; key_prefix identifies it in logs.
CREATE TABLE IF NOT EXISTS api_keys (
    id             bigserial    PRIMARY KEY,
    name           varchar(100) NOT NULL,
    key_prefix     varchar(12)  NOT NULL,
    key_hash       char(64)     NOT NULL UNIQUE,
    rate_limit     integer      NOT NULL CHECK (rate_limit > 0),
    window_seconds integer      NOT NULL CHECK (window_seconds > 0),
    created_at     timestamptz  NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);
