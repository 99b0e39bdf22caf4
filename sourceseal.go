package hookline

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
)

// SealedSource is what a Store keeps of a source's secrets: its config (in
// JSON) and its token sealed, and the hash of the token it is looked up by.
type SealedSource struct {
	Config, Token, TokenHash []byte
}

// TokenHash is the form in which stores look a source's token up.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// SealNewSource readies src to be created by a store: it refuses what the
// stores cannot keep (CheckStorable), sets its create-time defaults
// (Prepare) and returns its secrets sealed.
func (b *SecretBox) SealNewSource(src *Source) (SealedSource, error) {
	if err := src.CheckStorable(); err != nil {
		return SealedSource{}, err
	}
	src.Prepare(Now())
	return b.SealSource(src), nil
}

// SealSource returns the secrets of src in their stored form, bound to
// its row: src.ID must be set.
func (b *SecretBox) SealSource(src *Source) SealedSource {
	config, err := json.Marshal(src.Config)
	if err != nil {
		panic("hookline: cannot encode a source config: " + err.Error())
	}
	return SealedSource{Config: b.Seal(config, sourceCell(src, colConfig)),
		Token: b.Seal([]byte(src.Token), sourceCell(src, colToken)), TokenHash: TokenHash(src.Token)}
}

// The cells of a source's secrets: the columns of the table ingest_sources
// that hold them, each bound to its source's id.
const (
	sourcesTable = "ingest_sources"
	colConfig    = "config"
	colToken     = "token"
)

// sourceSeals is the kind of the rows of sources, which Reseal and the
// rest go through.
var sourceSeals = &SealedKind{Noun: "source", Table: sourcesTable, Columns: []SealedColumn{{Name: colConfig}, {Name: colToken}}}

// sourceCell is where a Store keeps the column of a source's secrets: a
// value sealed there opens nowhere else.
func sourceCell(src *Source, column string) Cell {
	return Cell{Table: sourcesTable, Column: column, Row: src.ID}
}

// OpenSource sets the config and the token of src from their stored forms.
func (b *SecretBox) OpenSource(src *Source, config, token []byte) error {
	c, err := b.Open(config, sourceCell(src, colConfig))
	if err != nil {
		return fmt.Errorf("source %s: %w", src.ID, err)
	}
	if err := json.Unmarshal(c, &src.Config); err != nil {
		return fmt.Errorf("source %s: bad stored config: %w", src.ID, err)
	}
	t, err := b.Open(token, sourceCell(src, colToken))
	if err != nil {
		return fmt.Errorf("source %s: %w", src.ID, err)
	}
	src.Token = string(t)
	return nil
}
