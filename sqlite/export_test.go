package sqlite

import "github.com/hookline/hookline"

// SealedTables is the store's hookline.SealedTables, for the storetest
// cases that come between its reads and its writes.
func SealedTables(s *Store) hookline.SealedTables { return sealedTables{s} }
