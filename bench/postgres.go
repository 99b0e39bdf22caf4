package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// createSchema creates a schema of a random name in the database at dbURL.
func createSchema(ctx context.Context, dbURL string) (string, error) {
	b := make([]byte, 6)
	rand.Read(b)
	name := "hookline_bench_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", fmt.Errorf("bench: connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", fmt.Errorf("bench: create a schema: %w", err)
	}
	return name, nil
}

// dropSchema drops the schema name and all it holds.
func dropSchema(dbURL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("bench: connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
		return fmt.Errorf("bench: drop schema %s: %w", name, err)
	}
	return nil
}

// withSearchPath returns dbURL with its search_path set to schema.
func withSearchPath(dbURL, schema string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL // the server reports the bad URL
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
