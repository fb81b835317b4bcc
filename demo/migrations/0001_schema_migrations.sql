-- The version table: one row per applied migration file.
-- crosscheck_demo.migrate creates it before anything else and records each file here.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     varchar(20) PRIMARY KEY,
    name        text        NOT NULL,
    checksum    char(64)    NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
