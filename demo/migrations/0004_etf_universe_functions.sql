-- Seed 001: the four ETF universe functions.

-- One universe as a JSON object, or NULL when there is none of that name.
CREATE OR REPLACE FUNCTION get_etf_universe(p_universe_name text)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'name', c.name,
        'category', c.universe_category,
        'symbols', COALESCE(c.value -> 'symbols', '[]'::jsonb),
        'liquidity_filter', COALESCE(c.liquidity_filter, '{}'::jsonb),
        'metadata', COALESCE(c.universe_metadata, '{}'::jsonb),
        'updated_at', to_char(c.last_universe_update, 'YYYY-MM-DD"T"HH24:MI:SS.US')
    )
    FROM cache_entries c
    WHERE c.type = 'etf_universe' AND c.name = p_universe_name AND c.environment = 'DEFAULT'
$$;

-- Create or change a universe and return it as get_etf_universe does.
-- A NULL argument keeps the stored value. A call that changes nothing
-- leaves last_universe_update as it was.
CREATE OR REPLACE FUNCTION update_etf_universe(
    p_universe_name    text,
    p_symbols          jsonb,
    p_category         varchar(50) DEFAULT NULL,
    p_liquidity_filter jsonb DEFAULT NULL,
    p_metadata         jsonb DEFAULT NULL
)
RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF p_universe_name IS NULL OR length(p_universe_name) = 0 THEN
        RAISE EXCEPTION 'universe name must not be empty';
    END IF;
    IF p_symbols IS NOT NULL AND jsonb_typeof(p_symbols) <> 'array' THEN
        RAISE EXCEPTION 'symbols must be a JSON array, got %', jsonb_typeof(p_symbols);
    END IF;

    INSERT INTO cache_entries AS c (type, name, value, universe_category, liquidity_filter,
                                    universe_metadata, last_universe_update)
    VALUES ('etf_universe', p_universe_name,
            jsonb_build_object('symbols', COALESCE(p_symbols, '[]'::jsonb)),
            COALESCE(p_category, 'etf'), COALESCE(p_liquidity_filter, '{}'::jsonb),
            COALESCE(p_metadata, '{}'::jsonb), CURRENT_TIMESTAMP)
    ON CONFLICT (type, name, environment) DO UPDATE SET
        value = CASE WHEN p_symbols IS NULL THEN c.value
                     ELSE jsonb_set(c.value, '{symbols}', p_symbols) END,
        universe_category = COALESCE(p_category, c.universe_category),
        liquidity_filter = COALESCE(p_liquidity_filter, c.liquidity_filter),
        universe_metadata = COALESCE(p_metadata, c.universe_metadata),
        last_universe_update = CURRENT_TIMESTAMP,
        updated_at = CURRENT_TIMESTAMP
    WHERE (p_symbols IS NOT NULL AND c.value -> 'symbols' IS DISTINCT FROM p_symbols)
       OR (p_category IS NOT NULL AND c.universe_category IS DISTINCT FROM p_category)
       OR (p_liquidity_filter IS NOT NULL AND c.liquidity_filter IS DISTINCT FROM p_liquidity_filter)
       OR (p_metadata IS NOT NULL AND c.universe_metadata IS DISTINCT FROM p_metadata);

    RETURN get_etf_universe(p_universe_name);
END;
$$;

-- One row per universe: name, category, symbol count, last update.
CREATE OR REPLACE FUNCTION get_etf_universes_summary()
RETURNS TABLE (universe_name text, universe_category varchar(50), symbol_count integer,
               last_universe_update timestamp)
LANGUAGE sql STABLE AS $$
    SELECT c.name::text, c.universe_category,
           COALESCE(jsonb_array_length(c.value -> 'symbols'), 0),
           c.last_universe_update
    FROM cache_entries c
    WHERE c.type = 'etf_universe' AND c.environment = 'DEFAULT'
    ORDER BY c.last_universe_update DESC, c.name
$$;

-- Check a JSON array of symbols: format (upper case ticker, TEST_ prefix allowed),
-- duplicates, and whether historical_data holds bars for the symbol.
CREATE OR REPLACE FUNCTION validate_etf_universe_symbols(p_symbols jsonb)
RETURNS TABLE (symbol text, is_valid boolean, has_history boolean, reason text)
LANGUAGE sql STABLE AS $$
    WITH given AS (
        SELECT s.value AS item, s.ordinality AS pos,
               CASE WHEN jsonb_typeof(s.value) = 'string' THEN s.value #>> '{}' END AS sym
        FROM jsonb_array_elements(p_symbols) WITH ORDINALITY AS s(value, ordinality)
    ), checked AS (
        SELECT g.pos, COALESCE(g.sym, g.item::text) AS sym,
               CASE
                   WHEN g.sym IS NULL THEN 'not a string'
                   WHEN g.sym !~ '^[A-Z][A-Z0-9._-]{0,19}$' THEN 'invalid format'
                   WHEN count(*) OVER (PARTITION BY g.sym) > 1
                        AND g.pos > min(g.pos) OVER (PARTITION BY g.sym) THEN 'duplicate'
               END AS reason
        FROM given g
    )
    SELECT c.sym, c.reason IS NULL,
           EXISTS (SELECT 1 FROM historical_data h WHERE h.symbol = c.sym),
           c.reason
    FROM checked c
    ORDER BY c.pos
$$;
