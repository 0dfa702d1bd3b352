// Package backup reads the backup and export files of other authenticator apps, and
// writes Aegis vaults: pure codecs, bytes and a password in, keys out. It stores
// nothing and touches no disk. A file's format is recognised by its content (Detect);
// a password-protected file has its KDF cost checked against Limits before the KDF runs,
// and its password is asked for (Options.Password) only after that check passed.
//
// A file is read whole or not at all: a wrong password, a damaged file or a cost over
// the limits is an error and gives no keys. Accounts otpair cannot hold (mOTP, Yandex,
// a missing secret, a digit count no app uses) are left out and listed in
// Backup.Skipped by name and reason; the rest of the file is read.
package backup

import (
	"errors"
	"fmt"
	"strings"

	"github.com/otpair/otpair/provisioning"
)

// Errors callers branch on; every error Read and Decode return wraps at most one.
var (
	// ErrUnknownFormat: the data is no backup format otpair reads. The error says what
	// the data looked like (see Describe).
	ErrUnknownFormat = errors.New("not a backup file otpair reads")
	// ErrPasswordNeeded: the file is encrypted and Options.Password gave no password
	// (it is nil, or returned this error itself to say it has none to give).
	ErrPasswordNeeded = errors.New("the file is encrypted: a password is needed")
	// ErrWrongPassword: the password did not open the file (or the file was changed).
	ErrWrongPassword = errors.New("wrong password (or the file was changed)")
	// ErrKDFLimit: the file asks its key derivation for more memory or work than
	// Limits allow. The error gives the figures.
	ErrKDFLimit = errors.New("the file asks for a costlier key derivation than otpair allows")
	// ErrInvalid: the file is of a known format but damaged, truncated, or of a version
	// otpair does not read. The error says which.
	ErrInvalid = errors.New("damaged or unsupported backup")
)

// Format is one backup format otpair reads.
type Format struct {
	Name   string // what --from takes: "aegis"
	Title  string // how messages name a file of it: "Aegis backup"
	Shapes string // what is read, for --list-formats

	detect func(*sniff) bool
	decode func(*decoder) error
}

// Options are what Read and Decode need beyond the data.
type Options struct {
	// Password returns the password of an encrypted file of format f. It is called at
	// most once per file, after the file's KDF cost passed Limits; nil means no
	// password can be had (ErrPasswordNeeded).
	Password func(f Format) ([]byte, error)
	// Limits caps the KDF cost a file may ask for; zero fields take DefaultLimits.
	Limits Limits
}

// Backup is what one file held.
type Backup struct {
	Format    Format
	Encrypted bool
	Keys      []provisioning.Key // the accounts, in the file's order
	Skipped   []Skipped          // accounts left out, in the file's order
}

// Total is how many accounts the file held: read and skipped.
func (b *Backup) Total() int { return len(b.Keys) + len(b.Skipped) }

// Skipped is an account of the file otpair could not take. It never holds the secret.
type Skipped struct {
	Name   string // "Issuer: account", or the entry's place ("entry 3") when it has none
	Kind   string // the kind of account ("mOTP", "Yandex") when that is why, else ""
	Reason string // "not supported", "digits: must be 6 to 8, got 0", …
}

// Why is the reason with its kind: "mOTP: not supported".
func (s Skipped) Why() string {
	if s.Kind == "" {
		return s.Reason
	}
	return s.Kind + ": " + s.Reason
}

// String is "Name (kind: reason)".
func (s Skipped) String() string { return s.Name + " (" + s.Why() + ")" }

// Formats lists the formats otpair reads, in the order Detect tries them.
func Formats() []Format {
	out := make([]Format, len(formats))
	for i, f := range formats {
		out[i] = *f
	}
	return out
}

// Lookup finds a format by its Name, case-insensitively.
func Lookup(name string) (Format, bool) {
	for _, f := range formats {
		if strings.EqualFold(f.Name, strings.TrimSpace(name)) {
			return *f, true
		}
	}
	return Format{}, false
}

// Detect names the format of data, by its content alone (never a password).
func Detect(data []byte) (Format, bool) {
	s := newSniff(data)
	for _, f := range formats {
		if f.detect(s) {
			return *f, true
		}
	}
	return Format{}, false
}

// Read detects data's format and decodes it. Data of no known format is an error
// wrapping ErrUnknownFormat that says what the data looked like.
func Read(data []byte, opts Options) (*Backup, error) {
	s := newSniff(data)
	for _, f := range formats {
		if f.detect(s) {
			return decode(s, *f, opts)
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownFormat, s.describe())
}

// Decode reads data as format f (as a user's --from forces it).
func Decode(data []byte, f Format, opts Options) (*Backup, error) {
	if f.decode == nil {
		g, ok := Lookup(f.Name)
		if !ok {
			return nil, fmt.Errorf("%w: no format named %q", ErrUnknownFormat, f.Name)
		}
		f = g
	}
	return decode(newSniff(data), f, opts)
}

func decode(s *sniff, f Format, opts Options) (*Backup, error) {
	d := &decoder{sniff: s, format: f, opts: opts, limits: opts.Limits.orDefault(), out: &Backup{Format: f}}
	if err := f.decode(d); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Title, err)
	}
	return d.out, nil
}

// decoder is one file being read: the format's decode function fills out.
type decoder struct {
	*sniff
	format   Format
	opts     Options
	limits   Limits
	out      *Backup
	asked    bool
	password []byte
}

// askPassword returns the file's password, asking for it once. Call it after the KDF
// cost was checked.
func (d *decoder) askPassword() ([]byte, error) {
	if d.asked {
		return d.password, nil
	}
	d.asked, d.out.Encrypted = true, true
	if d.opts.Password == nil {
		return nil, ErrPasswordNeeded
	}
	pw, err := d.opts.Password(d.format)
	switch {
	case errors.Is(err, ErrPasswordNeeded):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrPasswordNeeded, err)
	case len(pw) == 0:
		return nil, fmt.Errorf("%w (the password given was empty)", ErrPasswordNeeded)
	}
	d.password = pw
	return pw, nil
}

// add takes a key read from the file, or skips it (named) when it is not valid.
func (d *decoder) add(name string, k provisioning.Key) {
	k.Issuer, k.Account = strings.TrimSpace(k.Issuer), strings.TrimSpace(k.Account)
	if err := k.Validate(); err != nil {
		d.skip(nameOr(k.Label(), name), "", err.Error())
		return
	}
	d.out.Keys = append(d.out.Keys, k)
}

// skip records an account left out.
func (d *decoder) skip(name, kind, reason string) {
	d.out.Skipped = append(d.out.Skipped, Skipped{Name: name, Kind: kind, Reason: reason})
}

// skipErr records an account left out because reading it failed.
func (d *decoder) skipErr(name string, err error) { d.skip(name, "", err.Error()) }

// nameOr is the account's label, else the fallback ("entry 3").
func nameOr(label, fallback string) string {
	if strings.TrimSpace(label) != "" {
		return label
	}
	return fallback
}

// label is "issuer: account" for a skipped entry's name.
func label(issuer, account string) string {
	return provisioning.Key{Issuer: strings.TrimSpace(issuer), Account: strings.TrimSpace(account)}.Label()
}

// invalid is an ErrInvalid error saying what is wrong.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// unsupportedKind is the skip reason of account kinds otpair cannot compute (it makes
// TOTP, HOTP and Steam Guard codes).
const unsupportedKind = "not supported"

// formats is every format, in the order Detect tries them: the most specific shapes
// first.
var formats = []*Format{
	&aegisFormat,
	&twoFASFormat,
	&andOTPFormat,
	&bitwardenFormat,
	&enteFormat,
	&protonFormat,
	&lastPassFormat,
	&freeOTPPlusFormat,
	&cotpFormat,
	&steamFormat,
	&googleAuthFormat,
}
