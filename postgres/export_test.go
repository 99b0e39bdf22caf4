package postgres

import "github.com/hookline/hookline"

// ClaimQuery is claimQuery, for the plan test.
var ClaimQuery = claimQuery

// ForgetPayload is forgetPayload, for the tests that make a store forget
// its caches.
const ForgetPayload = forgetPayload

// SealedTables is the store's hookline.SealedTables, for the storetest
// cases that come between its reads and its writes.
func SealedTables(s *Store) hookline.SealedTables { return sealedTables{s} }
