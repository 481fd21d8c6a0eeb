-- The shop's tables. A new table locks nothing anyone uses: its indexes need no CONCURRENTLY.
CREATE TABLE products (
    sku text PRIMARY KEY,
    name text NOT NULL,
    price_cents bigint NOT NULL,
    stock integer NOT NULL DEFAULT 0
);

CREATE TABLE orders (
    id uuid PRIMARY KEY,
    customer_email text NOT NULL,
    total_cents bigint NOT NULL,
    status text NOT NULL
);

CREATE TABLE order_items (
    order_id uuid NOT NULL REFERENCES orders (id),
    sku text NOT NULL REFERENCES products (sku),
    quantity integer NOT NULL,
    unit_price_cents bigint NOT NULL
);
CREATE INDEX order_items_order_idx ON order_items (order_id);

CREATE TABLE order_jobs (
    id bigserial PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id),
    attempts integer NOT NULL DEFAULT 0,
    done boolean NOT NULL DEFAULT false
);
CREATE INDEX order_jobs_pending_idx ON order_jobs (id) WHERE NOT done;

CREATE TABLE order_events (
    order_id uuid NOT NULL,
    kind text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
