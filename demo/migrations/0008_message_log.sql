-- What the consumer received: one row per message (pub-sub and stream deliveries of
-- the same message are one row), with the contract check's outcome.
CREATE TABLE IF NOT EXISTS message_log (
    id          bigserial   PRIMARY KEY,
    channel     text        NOT NULL,
    seq         bigint,
    sent_at     double precision,
    payload     jsonb       NOT NULL,
    valid       boolean     NOT NULL,
    error       text,
    via         varchar(10) NOT NULL CHECK (via IN ('pubsub', 'stream')),
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS message_log_channel_seq_sent_key
    ON message_log (channel, seq, sent_at);
CREATE INDEX IF NOT EXISTS idx_message_log_received ON message_log (received_at DESC);
