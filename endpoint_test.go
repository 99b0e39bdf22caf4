package hookline

import (
	"strings"
	"testing"
)

func TestValidHeaderName(t *testing.T) {
	for name, want := range map[string]bool{
		"X-Api-Key": true, "x_custom.1~!#$%&'*+^`|": true, strings.Repeat("a", 256): true,
		"": false, strings.Repeat("a", 257): false, "X Key": false, "X:Key": false, "X\tKey": false,
		"Ké": false, "X\x7fKey": false, "X(Key)": false, "\xff": false,
	} {
		if got := validHeaderName(name); got != want {
			t.Errorf("validHeaderName(%q) = %v, want %v", name, got, want)
		}
	}
}
