package background_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when they leave a goroutine running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
