package pgtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Template is a schema migrated once per test binary, which Clone copies
// into a new schema for each test. A copy is one transaction of plain DDL,
// written once from the template's catalog; a migration is a transaction
// per migration and the migration tool's round trips. Make one Template
// per test binary and drop it after the tests:
//
//	var template = &pgtest.Template{Migrate: func(ctx context.Context, url string) error { ... }}
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		template.Drop()
//		os.Exit(code)
//	}
//
// A copy holds the template's tables: their columns (types, collations,
// NOT NULL, defaults, identities, stored generated columns), storage
// parameters, primary key, unique, exclusion and CHECK constraints and
// indexes, under the template's names; the rows of the tables that have
// any (the migration tool's version table, so that a store opened on the
// copy finds it up to date); and the positions of the identity sequences.
// A template that holds anything else (a view, a function, a trigger, a
// foreign key, a sequence of its own, a type...) makes Clone fail rather
// than hand out a schema unlike a migrated one: teach the copy to make it
// first.
type Template struct {
	// Migrate brings the empty schema at url, whose search_path names it,
	// up to date, as opening a store on it would.
	Migrate func(ctx context.Context, url string) error

	mu     sync.Mutex // held while conn is used
	conn   *pgx.Conn  // makes, copies and drops schemas; nil until the first Clone
	schema string     // the template's schema, once made
	script string     // the statements that copy it into the search_path's schema
	err    error      // why making it failed
}

// Clone creates a new schema on the test server holding a copy of the
// template (made by the first call), drops it when t ends, and returns its
// name and the server's URL with its search_path set to it, as Schema
// does. It skips or fails t as URL does when there is no test server.
func (tp *Template) Clone(t testing.TB) (schema, schemaURL string) {
	t.Helper()
	base := URL(t)
	schema = Name("hl_test_")
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if err := tp.make(base); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// One implicit transaction: the copy is all made, or not at all.
	tp.exec(t, "copy the template into "+schema, `CREATE SCHEMA `+schema+`; SET search_path TO `+schema+`;
`+tp.script)
	t.Cleanup(func() {
		tp.mu.Lock()
		defer tp.mu.Unlock()
		if tp.conn == nil { // Drop came first
			Exec(t, base, `DROP SCHEMA `+schema+` CASCADE`)
			return
		}
		tp.exec(t, "drop "+schema, `DROP SCHEMA `+schema+` CASCADE`)
	})
	u := WithParam(t, base, "search_path", schema)
	return schema, WithParam(t, u, "application_name", schema)
}

// exec runs the statements sql on tp.conn, and fails t, saying what it
// did, if they fail. The caller holds tp.mu.
func (tp *Template) exec(t testing.TB, what, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := tp.conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", what, err)
	}
}

// Drop drops the template schema, if Clone made one. Call it once the
// tests are done, from TestMain.
func (tp *Template) Drop() error {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if tp.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	defer func() {
		tp.conn.Close(ctx)
		tp.conn = nil
	}()
	if tp.schema == "" {
		return nil
	}
	if _, err := tp.conn.Exec(ctx, `DROP SCHEMA `+tp.schema+` CASCADE`); err != nil {
		return fmt.Errorf("pgtest: drop the template schema %s: %w", tp.schema, err)
	}
	tp.schema = ""
	return nil
}

// make makes the template schema on the server at base, and the script
// that copies it, unless an earlier call did. The caller holds tp.mu.
func (tp *Template) make(base string) error {
	if tp.conn != nil || tp.err != nil {
		return tp.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tp.err = fmt.Errorf("connect to %s: %v", redact(base), err)
		return tp.err
	}
	tp.conn = conn
	schema := Name("hl_template_")
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		tp.err = fmt.Errorf("create the template schema: %w", err)
		return tp.err
	}
	tp.schema = schema
	u, err := withParam(base, "search_path", schema)
	if err != nil {
		tp.err = err
		return err
	}
	if err := tp.Migrate(ctx, u); err != nil {
		tp.err = fmt.Errorf("migrate the template schema %s: %w", schema, err)
		return tp.err
	}
	tp.script, tp.err = copyScript(ctx, conn, schema)
	return tp.err
}

// copyScript returns the statements that copy schema into the schema first
// on the search_path, or why it cannot be copied.
func copyScript(ctx context.Context, conn *pgx.Conn, schema string) (string, error) {
	uncopied, err := texts(ctx, conn, uncopiedSQL, schema)
	if err != nil {
		return "", err
	}
	if len(uncopied) > 0 {
		return "", fmt.Errorf("the template schema %s holds %s, which Clone does not copy", schema, strings.Join(uncopied, ", "))
	}
	script, err := texts(ctx, conn, ddlSQL, schema)
	if err != nil {
		return "", err
	}
	tables, err := texts(ctx, conn, `SELECT relname FROM pg_class WHERE relnamespace = $1::text::regnamespace AND relkind = 'r'`, schema)
	if err != nil {
		return "", err
	}
	for _, table := range tables {
		from := pgx.Identifier{schema, table}.Sanitize()
		var hasRows bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+from+`)`).Scan(&hasRows); err != nil {
			return "", err
		}
		if hasRows {
			script = append(script, `INSERT INTO `+pgx.Identifier{table}.Sanitize()+` OVERRIDING SYSTEM VALUE SELECT * FROM `+from)
		}
	}
	setvals, err := texts(ctx, conn, identitySQL, schema)
	if err != nil {
		return "", err
	}
	return strings.Join(append(script, setvals...), ";\n"), nil
}

// strings_ returns the one text column of the rows sql selects.
func texts(ctx context.Context, conn *pgx.Conn, sql string, args ...any) ([]string, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// uncopiedSQL lists what the schema $1 holds that copyScript does not copy.
const uncopiedSQL = `
	SELECT format('a relation %s (relkind %s)', c.relname, c.relkind) FROM pg_class c
	WHERE c.relnamespace = $1::text::regnamespace AND c.relkind NOT IN ('r', 'i')
		AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
			WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i'))
	UNION ALL
	SELECT format('a function %s', p.proname) FROM pg_proc p WHERE p.pronamespace = $1::text::regnamespace
	UNION ALL
	SELECT format('a type %s', y.typname) FROM pg_type y
	WHERE y.typnamespace = $1::text::regnamespace AND y.typrelid = 0
		AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = y.oid AND e.typrelid <> 0)
	UNION ALL
	SELECT format('a trigger %s', g.tgname) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
	WHERE c.relnamespace = $1::text::regnamespace AND NOT g.tgisinternal
	UNION ALL
	SELECT format('a constraint %s (contype %s)', n.conname, n.contype) FROM pg_constraint n
	WHERE n.connamespace = $1::text::regnamespace AND n.contype NOT IN ('p', 'u', 'x', 'c', 'n')
	UNION ALL
	SELECT format('a policy %s', o.polname) FROM pg_policy o JOIN pg_class c ON c.oid = o.polrelid
	WHERE c.relnamespace = $1::text::regnamespace
	UNION ALL
	SELECT format('a rule %s', w.rulename) FROM pg_rewrite w JOIN pg_class c ON c.oid = w.ev_class
	WHERE c.relnamespace = $1::text::regnamespace
	UNION ALL
	SELECT format('a column %s.%s with settings of its own', c.relname, a.attname) FROM pg_attribute a
	JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type y ON y.oid = a.atttypid
	WHERE c.relnamespace = $1::text::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		AND (a.attstorage <> y.typstorage OR a.attcompression <> '')`

// ddlSQL writes the CREATE TABLE and CREATE INDEX statements of the tables
// of the schema $1, without the schema's name.
const ddlSQL = `
	SELECT stmt FROM (
		SELECT 1 AS ord, c.relname AS name, format('CREATE TABLE %I (%s)%s', c.relname,
			concat_ws(', ',
				(SELECT string_agg(format('%I %s%s%s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
						CASE WHEN a.attcollation <> y.typcollation THEN ' COLLATE ' || quote_ident(co.collname) END,
						CASE WHEN a.attnotnull THEN ' NOT NULL' END,
						CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid) || ') STORED'
							WHEN ad.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid) END,
						CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY'
							WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' END),
					', ' ORDER BY a.attnum)
				FROM pg_attribute a JOIN pg_type y ON y.oid = a.atttypid
				LEFT JOIN pg_collation co ON co.oid = a.attcollation
				LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
				WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
				(SELECT string_agg(format('CONSTRAINT %I %s', n.conname, pg_get_constraintdef(n.oid)), ', ' ORDER BY n.conname)
				FROM pg_constraint n WHERE n.conrelid = c.oid AND n.contype IN ('p', 'u', 'x', 'c'))),
			' WITH (' || array_to_string(c.reloptions, ', ') || ')') AS stmt
		FROM pg_class c WHERE c.relnamespace = $1::text::regnamespace AND c.relkind = 'r'
		UNION ALL
		SELECT 2, ic.relname, replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident($1::text) || '.', ' ON ')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
		WHERE c.relnamespace = $1::text::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_constraint n
			WHERE n.conrelid = c.oid AND n.conindid = i.indexrelid AND n.contype IN ('p', 'u', 'x'))
	) s ORDER BY ord, name`

// identitySQL writes the statements that set the identity sequences of
// the copy of the schema $1 where the template's stand.
const identitySQL = `
	SELECT format('SELECT setval(pg_get_serial_sequence(%L, %L), last_value, is_called) FROM %I.%I',
		quote_ident(c.relname), a.attname, $1::text, s.relname)
	FROM pg_depend d
	JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
	JOIN pg_class c ON c.oid = d.refobjid
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
	WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'i' AND c.relnamespace = $1::text::regnamespace
	ORDER BY c.relname, a.attname`
