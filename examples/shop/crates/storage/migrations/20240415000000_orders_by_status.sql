-- Deliberate problem (migration-index-lock): a plain CREATE INDEX holds a lock that stops every
-- INSERT and UPDATE on `orders` until the index is built; checkout waits for all of it.
SET lock_timeout = '5s';
SET statement_timeout = '10min';
CREATE INDEX orders_status_idx ON orders (status);
