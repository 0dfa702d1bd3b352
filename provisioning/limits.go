package provisioning

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits on a key read from outside (a URI, an export page, a backup file, a form).
// They are sized for real keys with room to spare, and they keep one hostile key from
// costing memory, disk or a vault that no longer opens: a 70 MB secret once made a
// vault too large to read.
const (
	// MaxURIBytes bounds an otpauth:// or otpauth-migration:// URI before it is parsed.
	// A QR code holds at most about 3 KB; the largest key within the field limits
	// below writes a URI of about 70 KB.
	MaxURIBytes = 128 << 10
	// MaxSecretBytes bounds the raw secret (410 base32 characters). Real keys are 10
	// to 64 bytes (RFC 4226 asks for at least 16, RFC 6238's SHA512 example has 64).
	MaxSecretBytes = 256
	// MaxNameBytes bounds the issuer, the account name and the label's issuer prefix,
	// each (an e-mail address is at most 254 bytes).
	MaxNameBytes = 512
	// MaxExtraParams bounds the parameters otpair keeps without interpreting them
	// (FreeOTP's image, Ente's codeDisplay, …), counting every value.
	MaxExtraParams = 20
	// MaxParamNameBytes and MaxParamValueBytes bound each such parameter.
	MaxParamNameBytes  = 64
	MaxParamValueBytes = 1024
)

// CheckLimits reports the first field of k that is larger than otpair accepts from
// outside, naming the field and the limit (a *FieldError, errors.Is ErrInvalidKey). It
// never quotes the secret. ParseURI and DecodeMigration apply it; the vault applies it
// to every key it adds, whatever its source. Validate does not, so a vault written
// before the limits existed still opens.
func (k Key) CheckLimits() error {
	if n := len(k.Secret); n > MaxSecretBytes {
		return secretTooLong(n)
	}
	for _, f := range [...]struct{ name, value string }{
		{"issuer", k.Issuer}, {"account", k.Account}, {"label issuer", k.LabelIssuer},
	} {
		if err := checkNameLen(f.name, f.value); err != nil {
			return err
		}
	}
	count := 0
	for name, values := range k.Extra {
		count += max(1, len(values))
		if len(name) > MaxParamNameBytes {
			return fieldErr("parameter "+quoteShort(name), "its name is %d bytes, more than the %d otpair keeps", len(name), MaxParamNameBytes)
		}
		for _, v := range values {
			if len(v) > MaxParamValueBytes {
				return fieldErr(name, "is %d bytes, more than the %d otpair keeps for a parameter it does not use", len(v), MaxParamValueBytes)
			}
		}
	}
	if count > MaxExtraParams {
		return fieldErr("parameters", "%d parameters otpair does not use, more than the %d it keeps", count, MaxExtraParams)
	}
	return nil
}

// secretTooLong is the error for a secret of n bytes, over MaxSecretBytes.
func secretTooLong(n int) error {
	return fieldErr("secret", "is %d bytes, more than the %d otpair accepts (real keys are 10 to 64 bytes)", n, MaxSecretBytes)
}

// checkNameLen is the limit on one name field.
func checkNameLen(field, value string) error {
	if len(value) > MaxNameBytes {
		return fieldErr(field, "is %d bytes, more than the %d otpair accepts", len(value), MaxNameBytes)
	}
	return nil
}

// checkURILen refuses a URI too long to be a key before any work is spent on it.
func checkURILen(what string, n int) error {
	if n > MaxURIBytes {
		return fieldErr(what, "is %s, more than the %s otpair reads", byteSize(n), byteSize(MaxURIBytes))
	}
	return nil
}

// byteSize writes a byte count for a message: "70 MB", "130 KiB", "12 bytes".
func byteSize(n int) string {
	switch {
	case n >= 10<<20:
		return strconv.Itoa(n>>20) + " MB"
	case n >= 10<<10:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}

// maxRangesShown bounds DescribeMissingPages's text, whatever the batch.
const maxRangesShown = 8

// DescribeMissingPages says which pages of a size-page export were not seen, as page
// numbers from 1 in ranges: "pages 3-7, 9 of 12 missing", "page 2 of 2 missing". It is
// "" when none is missing. The text is bounded: after a few ranges it says how many
// more pages are missing instead of listing them, so no batch size can make it long.
func DescribeMissingPages(size int, seen func(index int) bool) string {
	var b strings.Builder
	ranges, missing, unlisted := 0, 0, 0
	for i := 0; i < size; {
		if seen(i) {
			i++
			continue
		}
		j := i
		for j+1 < size && !seen(j+1) {
			j++
		}
		missing += j - i + 1
		if ranges < maxRangesShown {
			if ranges > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Itoa(i + 1))
			if j > i {
				b.WriteByte('-')
				b.WriteString(strconv.Itoa(j + 1))
			}
		} else {
			unlisted += j - i + 1
		}
		ranges++
		i = j + 1
	}
	if missing == 0 {
		return ""
	}
	noun := "pages"
	if missing == 1 {
		noun = "page"
	}
	list := b.String()
	if unlisted > 0 {
		list += fmt.Sprintf(" and %d more", unlisted)
	}
	return fmt.Sprintf("%s %s of %d missing", noun, list, size)
}
