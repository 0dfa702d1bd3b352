package backup

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/otpair/otpair/provisioning"
)

// googleAuthFormat is Google Authenticator's own database, copied from a rooted phone
// (databases/databases): a SQLite file with an accounts table. It is read in memory;
// nothing is written to disk.
var googleAuthFormat = Format{
	Name:   "google-authenticator-db",
	Title:  "Google Authenticator database",
	Shapes: "Google Authenticator's database from a rooted phone (SQLite, accounts table); its export QR codes are read as images",
	detect: func(s *sniff) bool { return s.isSQLite() && hasGoogleAuthTable(s.data) },
	decode: decodeGoogleAuth,
}

// googleAuthColumns are the accounts table's columns otpair reads.
var googleAuthColumns = []string{"email", "secret", "counter", "type", "issuer"}

func hasGoogleAuthTable(data []byte) bool {
	ctx := context.Background()
	db, err := openSQLite(ctx, data)
	if err != nil {
		return false
	}
	defer db.Close()
	cols, err := sqliteColumns(ctx, db, "accounts")
	if err != nil {
		return false
	}
	for _, c := range googleAuthColumns {
		if !cols[c] {
			return false
		}
	}
	return true
}

func decodeGoogleAuth(d *decoder) error {
	ctx := context.Background()
	db, err := openSQLite(ctx, d.data)
	if err != nil {
		return invalid("%v", err)
	}
	defer db.Close()
	cols, err := sqliteColumns(ctx, db, "accounts")
	if err != nil {
		return invalid("the accounts table: %v", err)
	}
	for _, c := range googleAuthColumns {
		if !cols[c] {
			return invalid("the accounts table has no %s column: not Google Authenticator's database", c)
		}
	}
	encrypted := "0"
	if cols["isencrypted"] {
		encrypted = "isencrypted"
	}
	rows, err := db.QueryContext(ctx, "SELECT email, secret, counter, type, issuer, "+encrypted+" FROM accounts ORDER BY _id")
	if err != nil {
		return invalid("read the accounts: %v", err)
	}
	defer rows.Close()
	for i := 1; rows.Next(); i++ {
		var email, secret, issuer sql.NullString
		var counter, typ, enc sql.NullInt64
		place := fmt.Sprintf("row %d", i)
		if err := rows.Scan(&email, &secret, &counter, &typ, &issuer, &enc); err != nil {
			d.skip(place, "", "a column holds the wrong kind of value")
			continue
		}
		// The name is "issuer:account" in older versions, the account alone in newer.
		account := email.String
		if _, after, ok := strings.Cut(account, ":"); ok && strings.Count(account, ":") == 1 {
			account = after
		}
		name := nameOr(label(issuer.String, account), place)
		if enc.Int64 > 0 {
			d.skip(name, "", "encrypted on the phone (Google Authenticator's newer storage): transfer it with an export QR code")
			continue
		}
		k := provisioning.Key{Issuer: issuer.String, Account: account, Algorithm: provisioning.SHA1, Digits: provisioning.DefaultDigits}
		switch typ.Int64 {
		case 0:
			k.Type, k.Period = provisioning.TOTP, provisioning.DefaultPeriod
		case 1:
			if counter.Int64 < 0 {
				d.skip(name, "", fmt.Sprintf("counter: is negative (%d)", counter.Int64))
				continue
			}
			k.Type, k.Counter = provisioning.HOTP, uint64(counter.Int64)
		default:
			d.skip(name, "", fmt.Sprintf("type: unknown type %d", typ.Int64))
			continue
		}
		if k.Secret, err = decodeSecret(secret.String); err != nil {
			d.skipErr(name, err)
			continue
		}
		d.add(name, k)
	}
	if err := rows.Err(); err != nil {
		return invalid("read the accounts: %v", err)
	}
	return nil
}
