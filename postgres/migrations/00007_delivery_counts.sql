-- +goose Up
-- held marks a pending delivery that a dispatcher deferred without
-- attempting it (an open circuit breaker, a rate or concurrency limit) until
-- it is claimed again: CountDeliveries counts it apart from those pending.
-- A constant default: adding the column rewrites no row.
ALTER TABLE deliveries ADD COLUMN held boolean NOT NULL DEFAULT false;

-- deliveries_idle holds the deliveries out of the queue but not done: failed
-- ones, and those parked while their endpoint is disabled. With
-- deliveries_due, it lets CountDeliveries count every delivery that has not
-- succeeded without reading one that has. Rows enter it only on failing or
-- parking, so the hot path pays nothing for it but testing its condition.
CREATE INDEX deliveries_idle ON deliveries (status, held) WHERE due_at IS NULL AND status <> 0;

-- traceparent is the W3C trace context of the span that accepted the
-- message, when tracing is on: the spans of its attempts are its children.
ALTER TABLE messages ADD COLUMN traceparent text;

-- +goose Down
ALTER TABLE messages DROP COLUMN traceparent;
DROP INDEX deliveries_idle;
ALTER TABLE deliveries DROP COLUMN held;
