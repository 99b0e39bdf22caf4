// Package sqlitetest helps tests look at SQLite database files.
package sqlitetest

import (
	"database/sql"
	"testing"

	_ "modernc.org/sqlite" // the driver "sqlite"
)

// Pages reads what the database file at path holds: its pages, its free
// pages, and its auto-vacuum mode (0 none, 1 full, 2 incremental), through
// a connection of its own.
func Pages(t *testing.T, path string) (count, free, mode int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for q, v := range map[string]*int{"PRAGMA page_count": &count, "PRAGMA freelist_count": &free, "PRAGMA auto_vacuum": &mode} {
		if err := db.QueryRow(q).Scan(v); err != nil {
			t.Fatal(err)
		}
	}
	return count, free, mode
}
