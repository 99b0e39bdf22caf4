package telemetry

// RegisterStoreAt is RegisterStore on a clock of the test's.
var RegisterStoreAt = registerStore
