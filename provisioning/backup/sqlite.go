package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	_ "modernc.org/sqlite" // the "sqlite" driver, already the verifier's
)

// openSQLite opens a SQLite database held in memory: the bytes are copied into an
// in-memory database (sqlite3_deserialize), so no file is written and the caller's
// file is never opened for writing. Triggers, views and schema functions of the file
// are not trusted (trusted_schema off), and the connection is query-only.
func openSQLite(ctx context.Context, data []byte) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:otpair-backup?mode=memory&_pragma=trusted_schema(0)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // the deserialized database lives on this one connection
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	err = conn.Raw(func(dc any) error {
		d, ok := dc.(interface{ Deserialize([]byte) error })
		if !ok {
			return errors.New("the SQLite driver cannot load a database from memory")
		}
		return d.Deserialize(data)
	})
	if err == nil {
		_, err = conn.ExecContext(ctx, "PRAGMA query_only = 1")
	}
	conn.Close()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open the SQLite database: %w", err)
	}
	return db, nil
}

// sqliteTables lists the database's tables, in name order.
func sqliteTables(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// sqliteColumns lists a table's columns.
func sqliteColumns(ctx context.Context, db *sql.DB, table string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		cols[n] = true
	}
	return cols, rows.Err()
}

// describeSQLite names a SQLite database by its tables.
func describeSQLite(data []byte) string {
	ctx := context.Background()
	db, err := openSQLite(ctx, data)
	if err != nil {
		return "a SQLite database that cannot be opened"
	}
	defer db.Close()
	tables, err := sqliteTables(ctx, db)
	if err != nil {
		return "a SQLite database whose tables cannot be listed"
	}
	return "a SQLite database with tables " + quoteNames(tables)
}
