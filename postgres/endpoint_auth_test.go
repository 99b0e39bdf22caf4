package postgres_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/storetest"
)

// TestSecretsAtRest writes an endpoint with every kind of secret, rotates
// its signing secret, sends it a message, and finds none of the secrets in
// any column of any table of the schema, read as text.
func TestSecretsAtRest(t *testing.T) {
	t.Parallel()
	schema, url := template.Clone(t)
	key := bytes.Repeat([]byte{0x5a}, hookline.SecretKeyLen)
	s := open(t, url, postgres.WithSecretKey(key))
	ctx := t.Context()
	app := &hookline.Application{Name: "a"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	ep := storetest.FullAuthEndpoint(t, app.ID, "atrest")
	if err := s.CreateEndpoint(ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	rotated := *ep
	if err := rotated.RotateSecret(hookline.SecretHMAC, []byte("a-new-hmac-signing-secret-value!"), time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateEndpoint(ctx, &rotated); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMessage(ctx, &hookline.Message{AppID: app.ID, EventType: "a.b", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	forms := storetest.SecretForms(t, ep)
	for k, v := range storetest.SecretForms(t, &rotated) {
		forms["rotated: "+k] = v
	}
	got, err := s.Endpoint(ctx, app.ID, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != ep.URL || len(got.PreviousSecrets) != 3 || got.OAuth.ClientSecret != ep.OAuth.ClientSecret {
		t.Fatalf("the endpoint does not read back: %+v", got)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var raw strings.Builder
	for _, table := range tables {
		rows, err := conn.Query(ctx, `SELECT t::text FROM `+pgx.Identifier{schema, table}.Sanitize()+` AS t`)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range texts {
			raw.WriteString(r)
			raw.WriteByte('\n')
		}
	}
	dump := []byte(raw.String())
	// What is not secret is there: the dump holds the endpoint.
	for _, clear := range []string{ep.ID, "receiver.example.com/hooks", "hook-user:" + hookline.RedactedPassword + "@"} {
		if !bytes.Contains(dump, []byte(clear)) {
			t.Fatalf("%q is not in the tables %v: they do not hold the endpoint", clear, tables)
		}
	}
	for name, secret := range forms {
		if bytes.Contains(dump, secret) {
			t.Errorf("the %s is in the database", name)
		}
	}
}
