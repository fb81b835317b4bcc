-- The consumer owns its table: message_log moves from public to the schema consumer (the
-- consumer's db_schema). public stays the gateway's schema and the database's interface
-- (the universe functions), which the consumer still calls.
CREATE SCHEMA IF NOT EXISTS consumer;

DO $$
BEGIN
    IF to_regclass('public.message_log') IS NULL THEN
        RETURN;
    ELSIF to_regclass('consumer.message_log') IS NULL THEN
        ALTER TABLE public.message_log SET SCHEMA consumer;
    ELSE
        -- 0008 ran again after this file: keep what it received, in the consumer's table
        INSERT INTO consumer.message_log (channel, seq, sent_at, payload, valid, error, via, received_at)
            SELECT channel, seq, sent_at, payload, valid, error, via, received_at FROM public.message_log
            ON CONFLICT (channel, seq, sent_at) DO NOTHING;
        DROP TABLE public.message_log;
    END IF;
END $$;
