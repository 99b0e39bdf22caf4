package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookline/hookline"
)

const (
	sqliteBUSY     = sqlite3.SQLITE_BUSY
	sqliteLOCKED   = sqlite3.SQLITE_LOCKED
	sqliteCANTOPEN = sqlite3.SQLITE_CANTOPEN
	sqliteIOERR    = sqlite3.SQLITE_IOERR
	sqliteFULL     = sqlite3.SQLITE_FULL
	sqliteNOTADB   = sqlite3.SQLITE_NOTADB
	sqliteCORRUPT  = sqlite3.SQLITE_CORRUPT
	sqlitePERM     = sqlite3.SQLITE_PERM
	sqliteREADONLY = sqlite3.SQLITE_READONLY
)

// isUnique reports whether err is the violation of a unique key.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isFatal reports whether err is a failure of the database rather than of
// one statement (a full disk, an I/O error, a lock, no memory, corruption):
// SQLite may have rolled the whole transaction back by itself, and no op of
// the batch can succeed.
func isFatal(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqliteBUSY, sqliteLOCKED, sqliteIOERR, sqliteFULL, sqliteCORRUPT, sqliteNOTADB, sqlite3.SQLITE_NOMEM,
		sqlite3.SQLITE_INTERRUPT, sqliteREADONLY, sqliteCANTOPEN:
		return true
	}
	return false
}

// dbErr gives err a code: errors that already carry one, and context errors,
// pass unchanged; a missing row is ENOTFOUND; a taken unique key ECONFLICT;
// a database that cannot be reached (locked, I/O, full, closed)
// EUNAVAILABLE; anything else stays uncoded (EINTERNAL).
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	var he *hookline.Error
	if errors.As(err, &he) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return hookline.Errorf(hookline.ENOTFOUND, "Not found.")
	}
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") {
		return fmt.Errorf("sqlite: %w: %w", errClosed, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT:
			if isUnique(err) {
				return fmt.Errorf("sqlite: %w: %w", hookline.Errorf(hookline.ECONFLICT, "A unique key is taken."), err)
			}
		case sqliteBUSY, sqliteLOCKED, sqliteCANTOPEN, sqliteIOERR, sqliteFULL, sqlitePERM, sqliteREADONLY:
			return fmt.Errorf("sqlite: %w: %w", hookline.Errorf(hookline.EUNAVAILABLE, "The database is unavailable."), err)
		}
	}
	return fmt.Errorf("sqlite: %w", err)
}

// notFound is ErrNoRows as the ENOTFOUND of what.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return hookline.Errorf(hookline.ENOTFOUND, "%s not found.", what)
	}
	return dbErr(err)
}

// Times are stored as Unix microseconds.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// now is the current time at the precision stored.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// norm is t as it reads back: UTC, in microseconds.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := norm(*t)
	return &v
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

func nullTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

func timeOf(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

func timePtrOf(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func stringPtrOf(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	s := v.String
	return &s
}

func nullInt(i *int) any {
	if i == nil {
		return nil
	}
	return int64(*i)
}

func intPtrOf(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	i := int(v.Int64)
	return &i
}

// jsonList stores nil as NULL and any other list as a JSON array.
func jsonList(l []string) any {
	if l == nil {
		return nil
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func listOf(v sql.NullString) ([]string, error) {
	if !v.Valid {
		return nil, nil
	}
	l := []string{}
	if err := json.Unmarshal([]byte(v.String), &l); err != nil {
		return nil, fmt.Errorf("sqlite: bad list %q: %w", v.String, err)
	}
	return l, nil
}

// jsonMap stores nil as NULL and any other map as a JSON object.
func jsonMap(m map[string]string) any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func mapOf(v sql.NullString) (map[string]string, error) {
	if !v.Valid {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(v.String), &m); err != nil {
		return nil, fmt.Errorf("sqlite: bad map: %w", err)
	}
	return m, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (s *Store) sealSecret(secret []byte) []byte { return s.box.Seal(secret) }

func (s *Store) openSecret(b []byte) ([]byte, error) {
	secret, err := s.box.Open(b)
	if err != nil {
		return nil, fmt.Errorf("sqlite: endpoint secret: %w", err)
	}
	return secret, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// listQuery builds the query of one page of a keyset-paginated list.
type listQuery struct {
	where []string
	args  []any
}

func (q *listQuery) add(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

// addIn adds "col IN (?, ...)" for vals; nothing when vals is empty.
func (q *listQuery) addIn(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString(col)
	b.WriteString(" IN (")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
		q.args = append(q.args, v)
	}
	b.WriteByte(')')
	q.where = append(q.where, b.String())
}

// limit is the page size of opts: 50 when unset, at most MaxListLimit.
func limit(opts hookline.ListOptions) int {
	switch {
	case opts.Limit <= 0:
		return 50
	case opts.Limit > hookline.MaxListLimit:
		return hookline.MaxListLimit
	}
	return opts.Limit
}

// sql returns "SELECT <sel> WHERE ... AND key >/< iterator ORDER BY key
// LIMIT n+1" and its arguments. sel holds everything up to the WHERE.
func (q *listQuery) sql(sel, key string, opts hookline.ListOptions) (string, []any, int) {
	n := limit(opts)
	if opts.Iterator != "" {
		if opts.Descending {
			q.add(key+" < ?", opts.Iterator)
		} else {
			q.add(key+" > ?", opts.Iterator)
		}
	}
	var b strings.Builder
	b.WriteString(sel)
	for i, w := range q.where {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(w)
	}
	b.WriteString(" ORDER BY ")
	b.WriteString(key)
	if opts.Descending {
		b.WriteString(" DESC")
	}
	b.WriteString(" LIMIT ?")
	return b.String(), append(q.args, n+1), n
}

// list runs a page query and scans its rows.
func list[T any](ctx context.Context, db *sql.DB, query string, args []any, n int, scan func(scanner) (T, error)) (hookline.Page[T], error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return hookline.Page[T]{}, dbErr(err)
	}
	defer rows.Close()
	items := make([]T, 0, min(n+1, 64))
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return hookline.Page[T]{}, dbErr(err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return hookline.Page[T]{}, dbErr(err)
	}
	p := hookline.Page[T]{Items: items, Done: len(items) <= n}
	if !p.Done {
		p.Items = items[:n]
	}
	return p, nil
}

// storedAuth is an endpoint's authentication settings as stored: each
// column NULL (nil) when the setting is unset, else the SecretBox seal of
// its JSON form (the URL: of its text). Scanned, it holds what was read.
type storedAuth struct {
	previous, url, mtls, oauth []byte
}

// sealedAuth holds the arguments that write an endpoint's authentication
// settings: its URL as shown (credentials redacted) and the sealed columns,
// nil for NULL.
type sealedAuth struct {
	shownURL                   string
	previous, url, mtls, oauth any
}

// The JSON forms of the sealed settings. They are this store's format: add
// fields, never rename them.
type (
	previousSecretJSON struct {
		Kind    int    `json:"kind"`
		Key     []byte `json:"key"`
		Expires int64  `json:"expires"` // Unix microseconds
	}
	mtlsJSON struct {
		Certificate   []byte `json:"certificate"`
		Key           []byte `json:"key"`
		ServerCACerts []byte `json:"serverCaCerts"`
	}
	oauthJSON struct {
		TokenURL     string            `json:"tokenUrl"`
		ClientID     string            `json:"clientId"`
		ClientSecret string            `json:"clientSecret"`
		AuthMethod   string            `json:"authMethod"`
		GrantType    string            `json:"grantType"`
		Scopes       []string          `json:"scopes"`
		ExtraParams  map[string]string `json:"extraParams"`
		ExtraHeaders map[string]string `json:"extraHeaders"`
	}
)

// sealAuth prunes ep's expired previous secrets, brings their expiry to the
// precision stored, and seals its authentication settings.
func (s *Store) sealAuth(ep *hookline.Endpoint) sealedAuth {
	ep.PruneSecrets(now())
	a := sealedAuth{shownURL: ep.URL}
	if hookline.HasURLCredentials(ep.URL) {
		a.shownURL = hookline.RedactURL(ep.URL)
		a.url = s.box.Seal([]byte(ep.URL))
	}
	if ep.PreviousSecrets != nil {
		prev := make([]hookline.EndpointSecret, len(ep.PreviousSecrets))
		list := make([]previousSecretJSON, len(ep.PreviousSecrets))
		for i, p := range ep.PreviousSecrets {
			p.Expires = norm(p.Expires)
			prev[i] = p
			list[i] = previousSecretJSON{Kind: int(p.Kind), Key: p.Key, Expires: micros(p.Expires)}
		}
		ep.PreviousSecrets = prev
		a.previous = s.sealJSON(list)
	}
	if m := ep.MTLS; m != nil {
		a.mtls = s.sealJSON(mtlsJSON{Certificate: m.Certificate, Key: m.Key, ServerCACerts: m.ServerCACerts})
	}
	if o := ep.OAuth; o != nil {
		a.oauth = s.sealJSON(oauthJSON{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			AuthMethod: o.AuthMethod, GrantType: o.GrantType, Scopes: o.Scopes, ExtraParams: o.ExtraParams,
			ExtraHeaders: o.ExtraHeaders})
	}
	return a
}

func (s *Store) sealJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sqlite: cannot encode a sealed setting: " + err.Error()) // strings, bytes and maps of strings only
	}
	return s.box.Seal(b)
}

// openAuth sets the authentication settings of ep from what was read,
// dropping the previous secrets that have expired.
func (s *Store) openAuth(a *storedAuth, ep *hookline.Endpoint) error {
	if a.url != nil {
		u, err := s.openColumn(a.url, "URL")
		if err != nil {
			return err
		}
		ep.URL = string(u)
	}
	if a.previous != nil {
		var list []previousSecretJSON
		if err := s.openJSON(a.previous, "previous secrets", &list); err != nil {
			return err
		}
		ep.PreviousSecrets = make([]hookline.EndpointSecret, len(list))
		for i, p := range list {
			ep.PreviousSecrets[i] = hookline.EndpointSecret{Kind: hookline.SecretKind(p.Kind), Key: p.Key, Expires: fromMicros(p.Expires)}
		}
		ep.PruneSecrets(now())
	}
	if a.mtls != nil {
		var m mtlsJSON
		if err := s.openJSON(a.mtls, "mTLS settings", &m); err != nil {
			return err
		}
		ep.MTLS = &hookline.EndpointMTLS{Certificate: m.Certificate, Key: m.Key, ServerCACerts: m.ServerCACerts}
	}
	if a.oauth != nil {
		var o oauthJSON
		if err := s.openJSON(a.oauth, "OAuth settings", &o); err != nil {
			return err
		}
		ep.OAuth = &hookline.EndpointOAuth{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			AuthMethod: o.AuthMethod, GrantType: o.GrantType, Scopes: o.Scopes, ExtraParams: o.ExtraParams,
			ExtraHeaders: o.ExtraHeaders}
	}
	return nil
}

func (s *Store) openColumn(b []byte, what string) ([]byte, error) {
	v, err := s.box.Open(b)
	if err != nil {
		return nil, fmt.Errorf("sqlite: endpoint %s: %w", what, err)
	}
	return v, nil
}

func (s *Store) openJSON(b []byte, what string, v any) error {
	plain, err := s.openColumn(b, what)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("sqlite: endpoint %s: %w", what, err)
	}
	return nil
}
