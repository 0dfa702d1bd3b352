package provisioning

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/otpair/otpair/provisioning/internal/migrationpb"
)

// protoc-gen-go v1.36.12 must be on PATH (go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12).
//go:generate protoc --go_out=. --go_opt=paths=source_relative internal/migrationpb/migration.proto

// The URI scheme of a Google Authenticator export page.
const schemeMigration = "otpauth-migration://"

// MigrationPageSize is the most accounts EncodeMigration puts in one export page (one
// QR code): Google Authenticator and Aegis both use 10.
const MigrationPageSize = 10

// Limits on an export page read from outside, generous for real exports: Google
// Authenticator puts 10 accounts in a page, so 1000 pages hold 10 000 accounts. The
// batch size bounds what an importer tracks per export (a page claiming 2^31-1 pages
// once made the list of missing pages exhaust memory).
const (
	MaxMigrationBatch    = 1000 // pages in one export
	MaxMigrationAccounts = 1000 // accounts in one page
)

// ErrInvalidMigration is wrapped by every error about an export page that cannot be
// read at all: not an otpauth-migration URI, no data, data that is not base64 or not a
// MigrationPayload.
var ErrInvalidMigration = errors.New("invalid google authenticator export")

// ErrSkippedKeys is wrapped by DecodeMigration's error when the page was read but some
// accounts in it could not be imported (an MD5 key, an unknown enum value, no secret).
// The Migration returned alongside holds the accounts that could; the error names each
// skipped one and why (wrapping its *FieldError), never its secret.
var ErrSkippedKeys = errors.New("accounts skipped")

// Migration is one decoded page of a Google Authenticator export
// (otpauth-migration://offline?data=…): its accounts and where it sits in its batch.
type Migration struct {
	Keys []Key

	Version    int // the payload version (1 in every known export)
	BatchSize  int // how many pages (QR codes) the export has
	BatchIndex int // this page's place among them, from 0
	BatchID    int // the same on every page of one export (0 in some exporters)
}

// DecodeMigration reads one page of a Google Authenticator export. The data parameter
// may be standard or URL-safe base64, padded or not, percent-encoded or not, and may
// have had its "+" turned into spaces by a URL decoder on the way (they are put back).
//
// Accounts map as Google Authenticator reads them: an unspecified algorithm is SHA1,
// unspecified digits are 6, an unspecified type is TOTP, and every TOTP key has a 30 s
// period (the format has no period field). The name is a label: "Issuer:account" is
// split by ParseURI's rule, so a prefix repeating the issuer field is dropped and a
// different one is kept in LabelIssuer.
//
// A page that cannot be read gives an error wrapping ErrInvalidMigration, as does one
// longer than MaxURIBytes, holding more than MaxMigrationAccounts accounts, or claiming
// a batch of more than MaxMigrationBatch pages or an index outside its batch. Accounts
// that cannot be imported (MD5, unknown enum values, no secret, a negative counter, a
// field over the limits of Key.CheckLimits) are left out of Keys and named in an error wrapping ErrSkippedKeys, returned together with the
// Migration: a caller that stops at any error loses nothing silently, and one that wants
// the rest checks errors.Is(err, ErrSkippedKeys).
func DecodeMigration(uri string) (Migration, error) {
	payload, err := decodeMigrationPayload(uri)
	if err != nil {
		return Migration{}, fmt.Errorf("decode migration: %w: %w", ErrInvalidMigration, err)
	}
	m := Migration{
		Version:    int(payload.GetVersion()),
		BatchSize:  int(payload.GetBatchSize()),
		BatchIndex: int(payload.GetBatchIndex()),
		BatchID:    int(payload.GetBatchId()),
	}
	if err := checkBatch(m); err != nil {
		return Migration{}, fmt.Errorf("decode migration: %w: %w", ErrInvalidMigration, err)
	}
	params := payload.GetOtpParameters()
	switch {
	case len(params) == 0:
		return Migration{}, fmt.Errorf("decode migration: %w: the page holds no accounts", ErrInvalidMigration)
	case len(params) > MaxMigrationAccounts:
		return Migration{}, fmt.Errorf("decode migration: %w: the page holds %d accounts, more than the %d otpair reads from one page",
			ErrInvalidMigration, len(params), MaxMigrationAccounts)
	}
	var skipped skippedErrors
	for i, p := range params {
		k, err := keyFromMigration(p)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("account %d (%s): %w", i+1, quoteShort(p.GetName()), err))
			continue
		}
		m.Keys = append(m.Keys, k)
	}
	if len(skipped) > 0 {
		return m, fmt.Errorf("decode migration: %d of %d %w: %w", len(skipped), len(params), ErrSkippedKeys, skipped)
	}
	return m, nil
}

// checkBatch refuses batch fields no export writes: a size beyond MaxMigrationBatch or
// below 0, or an index outside the batch.
func checkBatch(m Migration) error {
	switch {
	case m.BatchSize > MaxMigrationBatch:
		return fmt.Errorf("the page says its export has %d pages, more than the %d an export can have", m.BatchSize, MaxMigrationBatch)
	case m.BatchSize < 0:
		return fmt.Errorf("the page says its export has %d pages", m.BatchSize)
	case m.BatchIndex < 0 || m.BatchSize > 0 && m.BatchIndex >= m.BatchSize:
		return fmt.Errorf("page index %d is outside a batch of %d", m.BatchIndex, m.BatchSize)
	}
	return nil
}

// decodeMigrationPayload finds the data parameter and unmarshals it.
func decodeMigrationPayload(uri string) (*migrationpb.MigrationPayload, error) {
	uri = strings.TrimSpace(uri)
	if len(uri) < len(schemeMigration) || !strings.EqualFold(uri[:len(schemeMigration)], schemeMigration) {
		return nil, errors.New("not an otpauth-migration:// URI")
	}
	if len(uri) > MaxURIBytes {
		return nil, fmt.Errorf("the URI is %s, more than the %s otpair reads", byteSize(len(uri)), byteSize(MaxURIBytes))
	}
	_, query, _ := strings.Cut(uri[len(schemeMigration):], "?")
	raw, found := "", false
	for query != "" {
		var param string
		param, query, _ = strings.Cut(query, "&")
		name, value, _ := strings.Cut(param, "=")
		if strings.EqualFold(unescapeLenient(name), "data") {
			if found && value != raw {
				return nil, errors.New("data is given twice with different values")
			}
			raw, found = value, true
		}
	}
	if !found {
		return nil, errors.New("no data parameter")
	}
	data, err := decodeMigrationData(raw)
	if err != nil {
		return nil, err
	}
	var payload migrationpb.MigrationPayload
	if err := proto.Unmarshal(data, &payload); err != nil {
		return nil, fmt.Errorf("data is not an export payload (%v)", err)
	}
	return &payload, nil
}

// decodeMigrationData undoes the percent-encoding and the base64 of the data
// parameter, whichever base64 alphabet and padding it uses.
func decodeMigrationData(raw string) ([]byte, error) {
	// PathUnescape, not QueryUnescape: a literal "+" is base64, not a space.
	s, err := url.PathUnescape(raw)
	if err != nil {
		return nil, errors.New("data has a bad percent-escape")
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ': // a "+" that a URL decoder made a space
			b = append(b, '+')
		case '\n', '\r', '\t':
		case '-': // URL-safe alphabet
			b = append(b, '+')
		case '_':
			b = append(b, '/')
		default:
			b = append(b, c)
		}
	}
	for len(b) > 0 && b[len(b)-1] == '=' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return nil, errors.New("data is empty")
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(b)))
	n, err := base64.RawStdEncoding.Decode(out, b)
	if err != nil {
		return nil, errors.New("data is not valid base64")
	}
	return out[:n], nil
}

// keyFromMigration maps one account to a Key, or says which field cannot be imported.
func keyFromMigration(p *migrationpb.MigrationPayload_OtpParameters) (Key, error) {
	k := Key{Type: TOTP, Period: DefaultPeriod, Algorithm: SHA1, Digits: DefaultDigits}
	switch t := p.GetType(); t {
	case migrationpb.MigrationPayload_OTP_TYPE_UNSPECIFIED, migrationpb.MigrationPayload_OTP_TYPE_TOTP:
	case migrationpb.MigrationPayload_OTP_TYPE_HOTP:
		k.Type, k.Period = HOTP, 0
		c := p.GetCounter()
		if c < 0 {
			return Key{}, fieldErr("counter", "is negative (%d)", c)
		}
		k.Counter = uint64(c)
	default:
		return Key{}, fieldErr("type", "unknown type %d", int32(t))
	}
	switch a := p.GetAlgorithm(); a {
	case migrationpb.MigrationPayload_ALGORITHM_UNSPECIFIED, migrationpb.MigrationPayload_ALGORITHM_SHA1:
	case migrationpb.MigrationPayload_ALGORITHM_SHA256:
		k.Algorithm = SHA256
	case migrationpb.MigrationPayload_ALGORITHM_SHA512:
		k.Algorithm = SHA512
	case migrationpb.MigrationPayload_ALGORITHM_MD5:
		return Key{}, fieldErr("algorithm", "MD5 is not supported (want SHA1, SHA256 or SHA512)")
	default:
		return Key{}, fieldErr("algorithm", "unknown algorithm %d", int32(a))
	}
	switch d := p.GetDigits(); d {
	case migrationpb.MigrationPayload_DIGIT_COUNT_UNSPECIFIED, migrationpb.MigrationPayload_DIGIT_COUNT_SIX:
	case migrationpb.MigrationPayload_DIGIT_COUNT_EIGHT:
		k.Digits = 8
	default:
		return Key{}, fieldErr("digits", "unknown digit count %d", int32(d))
	}
	if len(p.GetSecret()) == 0 {
		return Key{}, fieldErr("secret", "is missing")
	}
	k.Secret = p.GetSecret()
	k.Issuer, k.LabelIssuer, k.Account = splitLabel(p.GetName(), strings.TrimSpace(p.GetIssuer()))
	if err := k.CheckLimits(); err != nil {
		return Key{}, err
	}
	return k, nil
}

// EncodeMigration writes keys as Google Authenticator export pages of at most
// MigrationPageSize accounts each, with the batch size, index and a random batch id
// set, so that DecodeMigration (and Google Authenticator) read them back. The format
// cannot hold every key: a TOTP period other than 30 s, 7 digits or a counter above
// 2^63-1 is an error naming the account (never silently changed codes); Extra
// parameters have no place in it and are left out. The URIs contain the secrets.
func EncodeMigration(keys []Key) ([]string, error) {
	if len(keys) == 0 {
		return nil, errors.New("encode migration: no accounts to export")
	}
	params := make([]*migrationpb.MigrationPayload_OtpParameters, len(keys))
	for i, k := range keys {
		p, err := migrationParams(k)
		if err != nil {
			return nil, fmt.Errorf("encode migration: account %d (%s): %w", i+1, quoteShort(k.Label()), err)
		}
		params[i] = p
	}
	id, err := batchID()
	if err != nil {
		return nil, fmt.Errorf("encode migration: %w", err)
	}
	pages := (len(params) + MigrationPageSize - 1) / MigrationPageSize
	uris := make([]string, 0, pages)
	for i := range pages {
		payload := &migrationpb.MigrationPayload{
			OtpParameters: params[i*MigrationPageSize : min(len(params), (i+1)*MigrationPageSize)],
			Version:       1,
			BatchSize:     int32(pages),
			BatchIndex:    proto.Int32(int32(i)),
			BatchId:       id,
		}
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(payload)
		if err != nil {
			return nil, fmt.Errorf("encode migration: page %d: %w", i+1, err)
		}
		uris = append(uris, schemeMigration+"offline?data="+url.QueryEscape(base64.StdEncoding.EncodeToString(data)))
	}
	return uris, nil
}

// FitsMigration says why k cannot be an account of a Google Authenticator export (a
// period other than 30 s, 7 digits, a Steam key…), or nil when it can: an exporter
// leaves such keys out by name instead of failing the whole export.
func FitsMigration(k Key) error {
	_, err := migrationParams(k)
	return err
}

// migrationParams maps a key to one account of the payload, or says why it cannot be.
func migrationParams(k Key) (*migrationpb.MigrationPayload_OtpParameters, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	p := &migrationpb.MigrationPayload_OtpParameters{
		Secret: k.Secret,
		Issuer: k.Issuer,
		Name:   migrationName(k),
	}
	switch k.Type {
	case TOTP:
		if k.Period != DefaultPeriod {
			return nil, fieldErr("period", "the export format has no period and means 30 s; this key's is %d s", k.Period)
		}
		p.Type = migrationpb.MigrationPayload_OTP_TYPE_TOTP
	case HOTP:
		if k.Counter > math.MaxInt64 {
			return nil, fieldErr("counter", "%d does not fit the export format (at most 2^63-1)", k.Counter)
		}
		p.Type, p.Counter = migrationpb.MigrationPayload_OTP_TYPE_HOTP, int64(k.Counter)
	default:
		return nil, fieldErr("type", "the export format holds totp and hotp keys, not %s", k.Type)
	}
	switch k.Algorithm {
	case SHA1:
		p.Algorithm = migrationpb.MigrationPayload_ALGORITHM_SHA1
	case SHA256:
		p.Algorithm = migrationpb.MigrationPayload_ALGORITHM_SHA256
	case SHA512:
		p.Algorithm = migrationpb.MigrationPayload_ALGORITHM_SHA512
	}
	switch k.Digits {
	case 6:
		p.Digits = migrationpb.MigrationPayload_DIGIT_COUNT_SIX
	case 8:
		p.Digits = migrationpb.MigrationPayload_DIGIT_COUNT_EIGHT
	default:
		return nil, fieldErr("digits", "the export format holds 6 or 8 digits, not %d", k.Digits)
	}
	if strings.Contains(k.LabelIssuer, ":") {
		return nil, fieldErr("label issuer", "%s contains a colon, which a name cannot hold", quoteShort(k.LabelIssuer))
	}
	return p, nil
}

// migrationName is the account's name field. Without a label issuer it is the bare
// account, as Google Authenticator shows the issuer beside it (a repeated "Issuer:"
// prefix shows twice in Aegis); a colon in the account gets a prefix so that reading
// it back does not split the account.
func migrationName(k Key) string {
	switch {
	case k.LabelIssuer != "":
		return k.LabelIssuer + ":" + k.Account
	case !strings.Contains(k.Account, ":"):
		return k.Account
	case k.Issuer != "" && !strings.Contains(k.Issuer, ":"):
		return k.Issuer + ":" + k.Account
	default:
		return ":" + k.Account
	}
}

// batchID is a random positive id shared by the pages of one export, so an importer
// gathering pages can tell two exports apart.
func batchID() (int32, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("batch id: %w", err)
	}
	return int32(binary.BigEndian.Uint32(b[:])>>1) | 1, nil
}

// skippedErrors lists the accounts DecodeMigration left out, on one line.
type skippedErrors []error

// maxSkippedShown bounds how many skipped accounts the message names one by one.
const maxSkippedShown = 10

// Error joins the accounts' errors with "; ", the first few only: a page of a thousand
// bad accounts says how many more there are rather than naming each.
func (s skippedErrors) Error() string {
	msgs := make([]string, 0, min(len(s), maxSkippedShown)+1)
	for _, err := range s[:min(len(s), maxSkippedShown)] {
		msgs = append(msgs, err.Error())
	}
	if len(s) > maxSkippedShown {
		msgs = append(msgs, fmt.Sprintf("and %d more", len(s)-maxSkippedShown))
	}
	return strings.Join(msgs, "; ")
}

// Unwrap lets errors.As find each account's *FieldError.
func (s skippedErrors) Unwrap() []error { return s }

// MergeMigration joins decoded pages of one export into its accounts, in batch order,
// and names the pages (batch indexes, from 0) still missing, so an importer can ask for
// them rather than import half an export unawares (Aegis#1748). A page scanned twice
// counts once. Pages of different exports (batch ids or sizes differ) are an error
// wrapping ErrInvalidMigration. Pages without batch information (size 0, as some
// exporters write) are taken as whole exports of their own and simply joined.
func MergeMigration(pages []Migration) (keys []Key, missing []int, err error) {
	if len(pages) == 0 {
		return nil, nil, nil
	}
	first := pages[0]
	byIndex := map[int]Migration{}
	var loose []Key
	for _, p := range pages {
		if p.BatchSize <= 0 {
			loose = append(loose, p.Keys...)
			continue
		}
		if p.BatchID != first.BatchID || p.BatchSize != first.BatchSize {
			return nil, nil, fmt.Errorf("merge migration: %w: pages of different exports (batch %d of %d pages and batch %d of %d)",
				ErrInvalidMigration, first.BatchID, first.BatchSize, p.BatchID, p.BatchSize)
		}
		if p.BatchIndex < 0 || p.BatchIndex >= p.BatchSize {
			return nil, nil, fmt.Errorf("merge migration: %w: page index %d is outside a batch of %d",
				ErrInvalidMigration, p.BatchIndex, p.BatchSize)
		}
		byIndex[p.BatchIndex] = p
	}
	for i := 0; i < first.BatchSize && len(byIndex) > 0; i++ {
		p, ok := byIndex[i]
		if !ok {
			missing = append(missing, i)
			continue
		}
		keys = append(keys, p.Keys...)
	}
	return append(keys, loose...), missing, nil
}
