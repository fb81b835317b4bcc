-- Seed 002: one schema per model, each with the same request log table.
DO $$
DECLARE
    m text;
BEGIN
    FOREACH m IN ARRAY ARRAY['deepcoder', 'deepseek', 'hermes', 'imp', 'mimo',
                             'mixtral', 'openchat', 'phi3', 'yi34'] LOOP
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', m);
        EXECUTE format(
            'CREATE TABLE IF NOT EXISTS %I.requests (
                 id                bigserial   PRIMARY KEY,
                 api_key_id        bigint,
                 prompt_tokens     integer     NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
                 completion_tokens integer     NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
                 latency_ms        double precision,
                 status            varchar(20) NOT NULL DEFAULT ''ok'',
                 created_at        timestamptz NOT NULL DEFAULT now()
             )', m);
        EXECUTE format('CREATE INDEX IF NOT EXISTS requests_created_at_idx ON %I.requests (created_at DESC)', m);
    END LOOP;
END
$$;
