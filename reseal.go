package hookline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// Sealing again: every secret a store holds, in every kind of row that
// holds some (SealedKind: endpoints, the inbound gateway's sources), opened
// and sealed anew under the current master key, bound to its cell. A store
// does it when it opens a database marked as holding secrets in the forms
// of earlier versions (UpgradeSeals), and when rekey asks
// (SealedSecrets.Reseal). A driver gives its rows (SealedTables); the rules
// are here.

// ResealBatch is how many rows SealedTables.SealedRows returns at once,
// which ResealRows then writes back in one transaction.
const ResealBatch = 100

// A SealedKind is a kind of row that holds sealed secrets: its table and
// the columns that hold them. Their names are those of the rows' cells
// (Cell.Table, Cell.Column) and those of the table and columns in the
// stores' schemas.
type SealedKind struct {
	// Noun names a row of the kind in errors and logs ("endpoint").
	Noun  string
	Table string
	// Columns are the sealed columns; a row's id is in column id.
	Columns []SealedColumn
}

// SealedColumn is a column of sealed secrets.
type SealedColumn struct {
	Name string
	// Clear, when set, is a column of text where versions before Name
	// existed kept the same secret in clear (not in a stored form). A
	// row's value there counts when Name is NULL, as a secret in clear
	// (see storedOrClear); sealing again moves it into Name and leaves
	// NULL in Clear.
	Clear string
}

// sealedKinds are the kinds of rows that hold sealed secrets, in the order
// CheckSeals and Reseal go through them.
var sealedKinds = []*SealedKind{endpointSeals, sourceSeals}

// Names returns the columns of k as stores read and write them, in the
// order of a SealedRow's Values: each column, followed by its Clear column
// when it has one.
func (k *SealedKind) Names() []string {
	var names []string
	for _, c := range k.Columns {
		names = append(names, c.Name)
		if c.Clear != "" {
			names = append(names, c.Clear)
		}
	}
	return names
}

// SealedRow is one row of a SealedKind as a store keeps it: its id, and
// the value of each column of the kind's Names, in that order (nil for
// NULL).
type SealedRow struct {
	ID     string
	Values [][]byte
}

// SealedTables is what a store holds of every SealedKind, and its mark of
// the forms it may hold, as CheckSeals, Reseal and UpgradeSeals use them.
type SealedTables interface {
	// SealedRows returns the columns of k (k.Names) of up to ResealBatch
	// rows of k's table whose id follows after ("": from the first), in
	// the order of ids.
	SealedRows(ctx context.Context, k *SealedKind, after string) ([]SealedRow, error)
	// ResealRows writes, in one transaction, the columns of each row of
	// now into k's table, unless that row's columns no longer hold what
	// they held when was[i] was read (a write came between). It returns
	// how many rows it wrote.
	ResealRows(ctx context.Context, k *SealedKind, was, now []SealedRow) (int, error)
	// LegacySeals reports the mark: whether the database may hold secrets
	// in the forms earlier versions wrote, or in clear. The schema's
	// migrations set it, and so does every write of a secret by a store
	// without a master key (which writes it in clear); MarkSealsBound
	// clears it.
	LegacySeals(ctx context.Context) (bool, error)
	// MarkSealsBound clears the mark.
	MarkSealsBound(ctx context.Context) error
}

// reseal opens every secret of r, a row of k, and returns the row with
// each sealed again under b's current key, bound to its cell, and NULL in
// the Clear columns (their secrets moved into their columns, sealed). Its
// error names the row and the column of the first secret that does not
// open.
func (b *SecretBox) reseal(k *SealedKind, r SealedRow) (SealedRow, error) {
	next := SealedRow{ID: r.ID, Values: make([][]byte, len(r.Values))}
	i := 0
	for _, c := range k.Columns {
		stored := r.Values[i]
		at, col := Cell{Table: k.Table, Column: c.Name, Row: r.ID}, i
		i++
		if c.Clear != "" {
			stored = storedOrClear(stored, r.Values[i])
			i++
		}
		if stored == nil {
			continue
		}
		plain, err := b.Open(stored, at)
		if err != nil {
			return SealedRow{}, fmt.Errorf("%s %s (column %s): %w", k.Noun, r.ID, c.Name, err)
		}
		next.Values[col] = b.Seal(plain, at)
	}
	return next, nil
}

// CheckSeals opens every secret of every kind of row of t with b. It
// returns an error that wraps ErrSecretKey and names the row when one does
// not open for want of its key, else nil: a secret that does not open for
// another reason (ErrSecretAltered, ErrSecretForm) is not the key's fault,
// and reading its row fails with that reason. It writes nothing; a store's
// CheckSecretKey runs it.
func (b *SecretBox) CheckSeals(ctx context.Context, t SealedTables) error {
	for _, k := range sealedKinds {
		err := eachSealed(ctx, t, k, func(rows []SealedRow) error {
			for _, r := range rows {
				// reseal opens every secret; what it seals is dropped.
				if _, err := b.reseal(k, r); errors.Is(err, ErrSecretKey) {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Reseal seals every secret of every kind of row of t again, under b's
// current key and bound to its cell, and returns how many rows it wrote (a
// row written meanwhile by someone else is not: it was sealed by that
// write). It first checks that b opens them all (CheckSeals), and writes
// nothing if not. A row b cannot open for another reason is left as it is;
// the errors of those, each naming its row, are returned joined once the
// others are written. When none is left so and b has a key, it clears the
// mark of t (MarkSealsBound).
func (b *SecretBox) Reseal(ctx context.Context, t SealedTables) (int, error) {
	n, skipped, err := b.resealAll(ctx, t)
	if err == nil {
		err = errors.Join(skipped...)
	}
	return n, err
}

// resealAll is Reseal, which returns the errors of the rows it skipped
// apart from its own.
func (b *SecretBox) resealAll(ctx context.Context, t SealedTables) (n int, skipped []error, err error) {
	if err := b.CheckSeals(ctx, t); err != nil {
		return 0, nil, err
	}
	for _, k := range sealedKinds {
		err := eachSealed(ctx, t, k, func(rows []SealedRow) error {
			was, now := make([]SealedRow, 0, len(rows)), make([]SealedRow, 0, len(rows))
			for _, r := range rows {
				next, err := b.reseal(k, r)
				if err != nil {
					skipped = append(skipped, err)
					continue
				}
				was, now = append(was, r), append(now, next)
			}
			if len(now) == 0 {
				return nil
			}
			wrote, err := t.ResealRows(ctx, k, was, now)
			n += wrote
			return err
		})
		if err != nil {
			return n, skipped, err
		}
	}
	if len(skipped) > 0 || b == nil {
		return n, skipped, nil
	}
	return n, nil, t.MarkSealsBound(ctx)
}

// eachSealed calls fn with every page of t's rows of k, in order, and stops
// at the first error.
func eachSealed(ctx context.Context, t SealedTables, k *SealedKind, fn func(rows []SealedRow) error) error {
	after := ""
	for {
		rows, err := t.SealedRows(ctx, k, after)
		if err != nil || len(rows) == 0 {
			return err
		}
		if err := fn(rows); err != nil {
			return err
		}
		if len(rows) < ResealBatch {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// UpgradeSeals is what a store opened with box does first: it returns the
// box the store then reads and writes with. Without a key that is nil:
// secrets stay in clear. With one, when t is marked as holding secrets in
// older forms (LegacySeals), it seals them all again in the current form
// (Reseal) and returns box, which refuses the older forms from then on. It
// returns box.Legacy(), which still reads them, when it could not: box does
// not open them (then it wrote nothing, and the store's CheckSecretKey says
// so), or some rows could not be read, which it logs as a warning prefixed
// with name, each error naming its row. Only a failure of the store itself
// is an error.
func UpgradeSeals(ctx context.Context, box *SecretBox, t SealedTables, log *slog.Logger, name string) (*SecretBox, error) {
	if box == nil {
		return nil, nil
	}
	legacy, err := t.LegacySeals(ctx)
	if err != nil || !legacy {
		return box, err
	}
	n, skipped, err := box.Legacy().resealAll(ctx, t)
	switch {
	case errors.Is(err, ErrSecretKey):
		return box.Legacy(), nil
	case err != nil:
		return nil, err
	case len(skipped) > 0:
		log.Warn(name+": some secrets are not sealed in the current form; secrets in clear or not bound to their row stay accepted until they are",
			"sealed", n, "err", errors.Join(skipped...))
		return box.Legacy(), nil
	}
	if n > 0 {
		log.Info(name+": sealed every secret in the current form, bound to its row; older forms are refused from now on",
			"rows", n)
	}
	return box, nil
}
