package hookline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// Sealing again: every endpoint's secrets opened and sealed anew, under the
// current master key and bound to their cells. A store does it when it
// opens a database marked as holding secrets in the forms of earlier
// versions (UpgradeSeals), and when rekey asks (SealedSecrets.Reseal). A
// driver gives its table (SealedTable); the rules are here.

// ResealBatch is how many endpoints SealedTable.SealedRows returns at once,
// which ResealRows then writes back in one transaction.
const ResealBatch = 100

// SealedRow is the sealed columns of one endpoint (ShownURL is unused).
type SealedRow struct {
	ID string
	SealedAuth
}

// SealedTable is a store's table of endpoints, and its mark of the forms
// it may hold, as CheckSeals, Reseal and UpgradeSeals use them.
type SealedTable interface {
	// SealedRows returns the sealed columns of up to ResealBatch endpoints
	// whose id follows after ("": from the first), in the order of ids.
	SealedRows(ctx context.Context, after string) ([]SealedRow, error)
	// ResealRows writes, in one transaction, the sealed columns of each
	// row of now, and NULL in the column of headers in clear, unless that
	// row's columns no longer hold what they held when was[i] was read (a
	// write came between). It returns how many rows it wrote.
	ResealRows(ctx context.Context, was, now []SealedRow) (int, error)
	// LegacySeals reports the mark: whether the database may hold secrets
	// in the forms earlier versions wrote, or in clear. The schema's
	// migration sets it, and so does every write of a store without a
	// master key (which writes secrets in clear); MarkSealsBound clears it.
	LegacySeals(ctx context.Context) (bool, error)
	// MarkSealsBound clears the mark.
	MarkSealsBound(ctx context.Context) error
}

// CheckSeals opens every secret of t's endpoints with b. It returns an
// error that wraps ErrSecretKey and names the endpoint when one does not
// open for want of its key, else nil: a secret that does not open for
// another reason (ErrSecretAltered, ErrSecretForm) is not the key's fault,
// and reading its endpoint fails with that reason. It writes nothing; a
// store's CheckSecretKey runs it.
func (b *SecretBox) CheckSeals(ctx context.Context, t SealedTable) error {
	return eachSealed(ctx, t, func(rows []SealedRow) error {
		for _, r := range rows {
			// reseal opens every setting; what it seals, in this copy
			// of the row, is dropped.
			if err := b.reseal(&r.SealedAuth, r.ID); errors.Is(err, ErrSecretKey) {
				return fmt.Errorf("endpoint %s: %w", r.ID, err)
			}
		}
		return nil
	})
}

// Reseal seals the secrets of every endpoint of t again, under b's current
// key and bound to their cells, and returns how many endpoints it wrote
// (an endpoint written meanwhile by someone else is not: it was sealed by
// that write). It first checks that b opens them all (CheckSeals), and
// writes nothing if not. An endpoint b cannot open for another reason is
// left as it is; the errors of those, each naming its endpoint, are
// returned joined once the others are written. When none is left so and b
// has a key, it clears the mark of t (MarkSealsBound).
func (b *SecretBox) Reseal(ctx context.Context, t SealedTable) (int, error) {
	n, skipped, err := b.resealAll(ctx, t)
	if err == nil {
		err = errors.Join(skipped...)
	}
	return n, err
}

// resealAll is Reseal, which returns the errors of the endpoints it
// skipped apart from its own.
func (b *SecretBox) resealAll(ctx context.Context, t SealedTable) (n int, skipped []error, err error) {
	if err := b.CheckSeals(ctx, t); err != nil {
		return 0, nil, err
	}
	err = eachSealed(ctx, t, func(rows []SealedRow) error {
		was, now := make([]SealedRow, 0, len(rows)), make([]SealedRow, 0, len(rows))
		for _, r := range rows {
			next := r
			if err := b.reseal(&next.SealedAuth, r.ID); err != nil {
				skipped = append(skipped, fmt.Errorf("endpoint %s: %w", r.ID, err))
				continue
			}
			was, now = append(was, r), append(now, next)
		}
		if len(now) == 0 {
			return nil
		}
		wrote, err := t.ResealRows(ctx, was, now)
		n += wrote
		return err
	})
	if err != nil || len(skipped) > 0 || b == nil {
		return n, skipped, err
	}
	return n, nil, t.MarkSealsBound(ctx)
}

// eachSealed calls fn with every page of t's rows, in order, and stops at
// the first error.
func eachSealed(ctx context.Context, t SealedTable, fn func(rows []SealedRow) error) error {
	after := ""
	for {
		rows, err := t.SealedRows(ctx, after)
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
// so), or some endpoints could not be read, which it logs as a warning
// prefixed with name, each error naming its endpoint. Only a failure of the
// store itself is an error.
func UpgradeSeals(ctx context.Context, box *SecretBox, t SealedTable, log *slog.Logger, name string) (*SecretBox, error) {
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
		log.Warn(name+": some endpoints' secrets are not sealed in the current form; secrets in clear or not bound to their row stay accepted until they are",
			"sealed", n, "err", errors.Join(skipped...))
		return box.Legacy(), nil
	}
	if n > 0 {
		log.Info(name+": sealed every endpoint's secrets in the current form, bound to their row; older forms are refused from now on",
			"endpoints", n)
	}
	return box, nil
}
