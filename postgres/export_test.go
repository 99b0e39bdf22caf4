package postgres

// ClaimQuery is claimQuery, for the plan test.
var ClaimQuery = claimQuery

// ForgetPayload is forgetPayload, for the tests that make a store forget
// its caches.
const ForgetPayload = forgetPayload
