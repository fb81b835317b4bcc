-- Seeds 002 and 004: each model's request log names the API key a request was made with. Keys are
-- revoked, never deleted, so the reference is declared: no request can name a key that does not exist.
DO $$
DECLARE
    m text;
BEGIN
    FOREACH m IN ARRAY ARRAY['deepcoder', 'deepseek', 'hermes', 'imp', 'mimo',
                             'mixtral', 'openchat', 'phi3', 'yi34'] LOOP
        IF NOT EXISTS (
            SELECT 1 FROM pg_constraint
            WHERE conname = 'requests_api_key_id_fkey' AND conrelid = format('%I.requests', m)::regclass
        ) THEN
            EXECUTE format(
                'ALTER TABLE %I.requests ADD CONSTRAINT requests_api_key_id_fkey
                     FOREIGN KEY (api_key_id) REFERENCES public.api_keys (id)', m);
        END IF;
    END LOOP;
END
$$;
