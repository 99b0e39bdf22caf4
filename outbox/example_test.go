package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/outbox"
)

// An application marks an invoice paid and announces it with a webhook, in
// one transaction: if the UPDATE rolls back, no webhook is ever sent; if it
// commits, the webhook is delivered by the 'hookline serve' nodes running on
// the same database (with --db postgres://...?search_path=hookline).
//
// This example is compiled, not run: it needs a server with an invoices
// table and Hookline's nodes. examples/outbox is the same transaction as a
// program that needs only a database, and plays the nodes' part itself:
//
//	go run ./examples/outbox -db 'postgres://user@127.0.0.1:5432/shop'
//
// Its test runs it in CI against HOOKLINE_TEST_POSTGRES.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://shop@127.0.0.1:5432/shop")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	var msgID string
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE invoices SET paid = true WHERE id = $1`, "in_123"); err != nil {
			return err
		}
		msgID, err = outbox.Send(ctx, tx, "hookline", "acme", outbox.Message{
			EventType: "invoice.paid",
			EventID:   "invoice-in_123-paid", // a retried transaction cannot send it twice
			Payload:   json.RawMessage(`{"invoice": "in_123", "amount": 4200}`),
		})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("webhook queued:", msgID)
}
