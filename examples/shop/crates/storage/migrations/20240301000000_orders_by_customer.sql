-- no-transaction
-- The safe way to index a table in use: outside a transaction, CONCURRENTLY, with timeouts.
SET lock_timeout = '5s';
SET statement_timeout = '10min';
CREATE INDEX CONCURRENTLY orders_customer_email_idx ON orders (customer_email);
