-- A small shop that uses every kind of object the expected-schema file covers: an enum, domains
-- with CHECKs, a sequence owned by a column, an identity column, a partitioned table with range
-- partitions (a foreign key on the partitioned table and one declared on a single partition),
-- triggers, a view, a materialized view with an index, a function with an SQL-standard body, an
-- aggregate, comments and grants.
-- Run with search_path set to the schema to fill; __reader__ stands for a role the caller created.

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');

CREATE DOMAIN positive_int AS integer CONSTRAINT positive_int_check CHECK (VALUE > 0);
CREATE DOMAIN email AS text NOT NULL CONSTRAINT email_has_at CHECK (VALUE LIKE '%_@_%');

CREATE SEQUENCE order_no_seq AS bigint START WITH 1000;

CREATE TABLE customers (
    id serial PRIMARY KEY,
    email email,
    mood mood DEFAULT 'ok',
    updated_at timestamptz
);
COMMENT ON COLUMN customers.email IS 'where receipts go';

CREATE TABLE products (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    price positive_int
);

CREATE TABLE orders (
    id bigint NOT NULL DEFAULT nextval('order_no_seq'),
    customer_id integer NOT NULL REFERENCES customers (id),
    product_id integer,
    ordered_on date NOT NULL,
    quantity positive_int,
    PRIMARY KEY (id, ordered_on)
) PARTITION BY RANGE (ordered_on);
ALTER SEQUENCE order_no_seq OWNED BY orders.id;
COMMENT ON TABLE orders IS 'one row per order, partitioned by year';
CREATE INDEX orders_customer_idx ON orders (customer_id);

CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE orders_2025 PARTITION OF orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE orders_rest PARTITION OF orders DEFAULT;
-- since 2024 an order names its product: a key and an index of that partition only
ALTER TABLE orders_2024 ADD CONSTRAINT orders_2024_product_id_fkey
    FOREIGN KEY (product_id) REFERENCES products (id);
CREATE INDEX orders_2024_product_idx ON orders_2024 (product_id);

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER customers_touch BEFORE UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION order_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE OF quantity ON orders
    FOR EACH ROW WHEN (NEW.quantity IS NOT NULL) EXECUTE FUNCTION order_noted('audit');

CREATE FUNCTION order_total(p_quantity integer, p_price integer) RETURNS integer
    LANGUAGE sql IMMUTABLE RETURN p_quantity * p_price;

CREATE FUNCTION larger(state integer, value integer) RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT greatest(state, value)';
CREATE AGGREGATE largest(integer) (SFUNC = larger, STYPE = integer);

CREATE VIEW customer_orders AS
    SELECT c.id, c.email, count(o.id) AS orders
    FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
    GROUP BY c.id, c.email;

CREATE MATERIALIZED VIEW monthly_quantities AS
    SELECT date_trunc('month', ordered_on)::date AS month, sum(quantity)::bigint AS quantity
    FROM orders GROUP BY 1
    WITH NO DATA;
CREATE UNIQUE INDEX monthly_quantities_month ON monthly_quantities (month);

GRANT SELECT ON customers, products, customer_orders TO __reader__;
GRANT SELECT, INSERT ON orders TO __reader__;
GRANT USAGE ON SEQUENCE order_no_seq TO __reader__;
GRANT EXECUTE ON FUNCTION order_total(integer, integer) TO __reader__;
