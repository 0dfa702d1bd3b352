package verifier

import "context"

// Row reading shared by SQLiteStore and PostgresStore: *sql.Rows and pgx.Rows both
// satisfy rowIter, and *sql.Row, *sql.Rows, pgx.Row and pgx.Rows all satisfy rowScanner.
// The SQL text stays with each store, since their placeholders differ.

// rowScanner is one result row.
type rowScanner interface{ Scan(dest ...any) error }

// rowIter is a result set read row by row.
type rowIter interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// userScanFunc reads the columns of userColumns from a row, then into more: scanUser
// for SQLite, scanPgUser for PostgreSQL.
type userScanFunc func(r rowScanner, more ...any) (UserRecord, error)

// readSeeds reads the rows of a user's seeds query (kind, seed_id, ciphertext, nonce,
// key_id, algorithm, digits, period, created_at) into the active and the pending seed.
// No seed at all asks st for the user, so that an unknown user is ErrUnknownUser.
func readSeeds(ctx context.Context, rows rowIter, st Store, userID string) (active, pending *SealedSeed, err error) {
	for rows.Next() {
		var (
			kind    string
			seed    SealedSeed
			created int64
		)
		if err := rows.Scan(&kind, &seed.ID, &seed.Ciphertext, &seed.Nonce, &seed.KeyID, &seed.Algorithm, &seed.Digits, &seed.Period, &created); err != nil {
			return nil, nil, err
		}
		seed.Created = fromMillis(created)
		if kind == "active" {
			active = &seed
		} else {
			pending = &seed
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if active == nil && pending == nil {
		if _, err := st.UserByID(ctx, userID); err != nil {
			return nil, nil, err
		}
	}
	return active, pending, nil
}

// scanUsers reads every row of a query of userColumns.
func scanUsers(rows rowIter, scan userScanFunc) ([]UserRecord, error) {
	var users []UserRecord
	for rows.Next() {
		u, err := scan(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return users, nil
}

// scanUserWithSeeds reads the rows of the sign-in query: userColumns, then the seed
// columns of a LEFT JOIN on seeds (one row per seed, or one row with NULL seed columns
// for a user without seeds). No row at all is ErrUnknownUser.
func scanUserWithSeeds(rows rowIter, scan userScanFunc) (u UserRecord, active, pending *SealedSeed, err error) {
	found := false
	for rows.Next() {
		var (
			kind, seedID, keyID, alg *string
			ct, nonce                []byte
			digits, period           *int
			created                  *int64
		)
		u, err = scan(rows, &kind, &seedID, &ct, &nonce, &keyID, &alg, &digits, &period, &created)
		if err != nil {
			return UserRecord{}, nil, nil, err
		}
		found = true
		if kind == nil || seedID == nil || keyID == nil || alg == nil || digits == nil || period == nil || created == nil {
			continue // the LEFT JOIN's row of a user without seeds
		}
		seed := &SealedSeed{ID: *seedID, Ciphertext: ct, Nonce: nonce, KeyID: *keyID, Algorithm: *alg,
			Digits: *digits, Period: *period, Created: fromMillis(*created)}
		if *kind == "active" {
			active = seed
		} else {
			pending = seed
		}
	}
	if err := rows.Err(); err != nil {
		return UserRecord{}, nil, nil, err
	}
	if !found {
		return UserRecord{}, nil, nil, ErrUnknownUser
	}
	return u, active, pending, nil
}
