-- Seed 001: daily OHLCV bars. Synthetic test rows use symbols with the TEST_ prefix.
CREATE TABLE IF NOT EXISTS historical_data (
    symbol     varchar(20)   NOT NULL,
    date       date          NOT NULL,
    open       numeric(12,4) NOT NULL,
    high       numeric(12,4) NOT NULL,
    low        numeric(12,4) NOT NULL,
    close      numeric(12,4) NOT NULL,
    volume     bigint        NOT NULL DEFAULT 0,
    created_at timestamp     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (symbol, date),
    CONSTRAINT historical_data_prices_check CHECK (low <= high AND volume >= 0)
);

CREATE INDEX IF NOT EXISTS idx_historical_data_date ON historical_data (date DESC);
