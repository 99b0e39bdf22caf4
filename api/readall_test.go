package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAll(t *testing.T) {
	body := strings.Repeat("x", 1500)
	for _, tc := range []struct {
		name     string
		declared int64
	}{
		{"declared exactly", 1500},
		{"unknown length", -1},
		{"declared shorter than sent", 10},
		{"declared longer than sent", 4000},
		{"declared beyond the hint", maxBodyHint + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte a read, so that every growth path runs.
			got, err := readAll(iotest.OneByteReader(strings.NewReader(body)), tc.declared)
			if err != nil || string(got) != body {
				t.Fatalf("readAll = %d bytes, %v; want the %d bytes sent", len(got), err, len(body))
			}
		})
	}
	boom := errors.New("boom")
	if _, err := readAll(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(boom)), 5); !errors.Is(err, boom) {
		t.Fatalf("a failing read: %v", err)
	}
	// The body limit still applies, with its own error.
	rec := httptest.NewRecorder()
	limited := http.MaxBytesReader(rec, io.NopCloser(bytes.NewReader(make([]byte, 100))), 50)
	var mbe *http.MaxBytesError
	if _, err := readAll(limited, 100); !errors.As(err, &mbe) {
		t.Fatalf("over the limit: %v, want a MaxBytesError", err)
	}
}
