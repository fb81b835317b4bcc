-- Seed 001: the cache_entries table and its ETF universe columns.
-- A universe is one row with type 'etf_universe'; its symbols are in value->'symbols'.
CREATE TABLE IF NOT EXISTS cache_entries (
    id          bigserial    PRIMARY KEY,
    type        varchar(50)  NOT NULL,
    name        varchar(255) NOT NULL,
    value       jsonb        NOT NULL DEFAULT '{}'::jsonb,
    environment varchar(20)  NOT NULL DEFAULT 'DEFAULT',
    created_at  timestamp    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  timestamp    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT cache_entries_type_name_env_key UNIQUE (type, name, environment)
);

-- The Phase 3 enhancements, exactly as seed 001 states them.
ALTER TABLE cache_entries
ADD COLUMN IF NOT EXISTS universe_category VARCHAR(50),
ADD COLUMN IF NOT EXISTS liquidity_filter JSONB,
ADD COLUMN IF NOT EXISTS universe_metadata JSONB,
ADD COLUMN IF NOT EXISTS last_universe_update TIMESTAMP DEFAULT CURRENT_TIMESTAMP;

CREATE INDEX IF NOT EXISTS idx_cache_entries_category ON cache_entries (universe_category);
CREATE INDEX IF NOT EXISTS idx_cache_entries_updated ON cache_entries (last_universe_update DESC);
