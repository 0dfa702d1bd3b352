package provisioning

import (
	"encoding/base32"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The URI scheme of a provisioning key.
const schemeOTPAuth = "otpauth://"

// ParseURI parses an otpauth:// provisioning URI (Google's Key URI format) as the apps
// that people actually scan it with accept it, and refuses what would give wrong codes.
//
// Accepted: the type totp or hotp in any case, and an upper-case scheme
// (OTPAUTH://TOTP/…). The label may be percent-encoded; a "+" in it is a literal plus
// (labels are paths, and e-mail accounts use "+"), and a "#" is part of the label, not
// a fragment. The secret may be lower case, padded with "=", and broken up by spaces or
// dashes. algorithm is SHA1, SHA256 or SHA512 in any case (also spelt SHA-256),
// default SHA1; digits 6, 7 or 8, default 6; period any positive number of seconds up
// to 2^31-1, default 30. An empty parameter value counts as absent, except for secret.
// Parameter names match in any case.
//
// Issuer: the issuer parameter wins, else the label prefix before the first ":" (or
// "%3A"); spaces around the prefix and the account are trimmed. When both are present
// and differ (Apple's guidance makes the parameter a domain and the prefix a name),
// the prefix is kept in Key.LabelIssuer so URI writes back what was read.
//
// HOTP: a missing counter means 0, where RFC 4226 counters start (pquerna/otp does
// the same; the spec calls the parameter required). A period on an HOTP key, or a
// counter on a TOTP key, means nothing for codes and is kept in Extra like any
// parameter otpair does not interpret (FreeOTP's image, Ente's codeDisplay, …), which
// URI writes back.
//
// Steam Guard keys are read in both forms apps write: otpauth://steam/… (Aegis, 2FAS,
// Ente, Proton) and a totp URI with encoder=steam (KeePassXC, pquerna/otp). Their
// digits are 5 (the default); any other count is an error, as is another encoder.
//
// Limits: a URI longer than MaxURIBytes, and a key over the limits CheckLimits applies
// (a secret of more than MaxSecretBytes, names, parameters), are refused, naming the
// field and the limit; the length is checked before any work is spent on it.
//
// Errors are *FieldError values (errors.Is(err, ErrInvalidKey)) naming the parameter
// that is wrong; they never contain the secret. A known parameter given twice with
// different values is an error, since it is unclear which one the issuer meant.
func ParseURI(s string) (Key, error) { return parseURIWrapped(s, false) }

// ParseURILenient is ParseURI that also takes a secret whose length ends inside a
// byte, read as DecodeSecretLenient reads it: the URIs in Ente's and Proton's exports
// hold such secrets, and their apps show the codes of the bytes that fit.
func ParseURILenient(s string) (Key, error) { return parseURIWrapped(s, true) }

func parseURIWrapped(s string, partialByte bool) (Key, error) {
	k, err := parseURI(s, partialByte)
	if err != nil {
		return Key{}, fmt.Errorf("parse otpauth uri: %w", err)
	}
	return k, nil
}

func parseURI(s string, partialByte bool) (Key, error) {
	s = strings.TrimSpace(s)
	if len(s) < len(schemeOTPAuth) || !strings.EqualFold(s[:len(schemeOTPAuth)], schemeOTPAuth) {
		return Key{}, fieldErr("scheme", "must be otpauth://")
	}
	if err := checkURILen("uri", len(s)); err != nil {
		return Key{}, err
	}
	rest := s[len(schemeOTPAuth):]
	// The query starts at the first "?": splitting by hand rather than with url.Parse
	// keeps a "#" in the label or a parameter (2FAS found that url parsers drop
	// everything after it, secret included).
	path, query, _ := strings.Cut(rest, "?")
	typ, label, _ := strings.Cut(path, "/")

	var k Key
	switch {
	case strings.EqualFold(typ, "totp"):
		k.Type = TOTP
	case strings.EqualFold(typ, "hotp"):
		k.Type = HOTP
	case strings.EqualFold(typ, "steam"):
		k.Type = Steam
	case typ == "":
		return Key{}, fieldErr("type", "missing (want otpauth://totp/… or otpauth://hotp/…)")
	default:
		return Key{}, fieldErr("type", "unsupported type %s (want totp, hotp or steam)", quoteShort(typ))
	}

	var (
		secret, issuer, algorithm, digits, period, counter string
		seen                                               uint8
	)
	for query != "" {
		var param string
		param, query, _ = strings.Cut(query, "&")
		rawName, rawValue, _ := strings.Cut(param, "=")
		name := unescapeLenient(rawName)
		if name == "" {
			continue
		}
		value := unescapeLenient(rawValue)
		var slot *string
		var bit uint8
		switch {
		case strings.EqualFold(name, "secret"):
			slot, bit = &secret, 1
			if v, err := url.QueryUnescape(rawValue); err == nil {
				value = v
			} else {
				return Key{}, fieldErr("secret", "has a bad percent-escape")
			}
		case strings.EqualFold(name, "issuer"):
			slot, bit = &issuer, 2
		case strings.EqualFold(name, "algorithm"):
			slot, bit = &algorithm, 4
		case strings.EqualFold(name, "digits"):
			slot, bit = &digits, 8
		case strings.EqualFold(name, "period") && k.Type != HOTP:
			slot, bit = &period, 16
		case strings.EqualFold(name, "counter") && k.Type == HOTP:
			slot, bit = &counter, 32
		case strings.EqualFold(name, "encoder") && value != "":
			// KeePassXC and pquerna/otp write encoder=steam on a totp URI for Steam's
			// letter codes; any other encoder would make digits the wrong codes.
			if !strings.EqualFold(value, "steam") || k.Type == HOTP {
				return Key{}, fieldErr("encoder", "%s codes are not supported on a %s key (otpair makes RFC 6238 digit codes and Steam Guard codes)",
					quoteShort(value), k.Type)
			}
			k.Type = Steam
			continue
		default:
			if k.Extra == nil {
				k.Extra = url.Values{}
			}
			k.Extra[name] = append(k.Extra[name], value)
			continue
		}
		if bit > 2 {
			value = strings.TrimSpace(value)
		}
		if seen&bit != 0 && *slot != value {
			if bit == 1 {
				return Key{}, fieldErr("secret", "is given twice with different values")
			}
			return Key{}, fieldErr(strings.ToLower(name), "is given twice with different values (%s and %s)",
				quoteShort(*slot), quoteShort(value))
		}
		seen |= bit
		*slot = value
	}

	var err error
	if k.Secret, err = decodeBase32Secret(secret, partialByte); err != nil {
		return Key{}, err
	}
	k.Issuer, k.LabelIssuer, k.Account = splitLabel(unescapeLabel(label), strings.TrimSpace(issuer))
	if k.Algorithm, err = parseAlgorithm(algorithm); err != nil {
		return Key{}, err
	}
	k.Digits = DefaultDigits
	if k.Type == Steam {
		k.Digits = SteamDigits
	}
	if digits != "" {
		n, err := strconv.Atoi(digits)
		if err != nil {
			return Key{}, fieldErr("digits", "%s is not a number", quoteShort(digits))
		}
		if k.Type == Steam && n != SteamDigits {
			return Key{}, fieldErr("digits", "steam codes have %d characters, got %d", SteamDigits, n)
		}
		if k.Type != Steam && (n < MinDigits || n > MaxDigits) {
			return Key{}, fieldErr("digits", "must be %d to %d, got %d", MinDigits, MaxDigits, n)
		}
		k.Digits = n
	}
	switch k.Type {
	case TOTP, Steam:
		k.Period = DefaultPeriod
		if period != "" {
			n, err := strconv.ParseInt(period, 10, 64)
			switch {
			case err != nil && !isDigits(period):
				return Key{}, fieldErr("period", "%s is not a whole number of seconds", quoteShort(period))
			case err != nil && period[0] == '-':
				n = -1
			case err != nil || n > math.MaxInt32:
				return Key{}, fieldErr("period", "%s seconds is too long (at most %d)", quoteShort(period), math.MaxInt32)
			}
			if n <= 0 {
				return Key{}, fieldErr("period", "must be a positive number of seconds, got %s", quoteShort(period))
			}
			k.Period = int(n)
		}
	case HOTP:
		if counter != "" {
			n, err := strconv.ParseUint(counter, 10, 64)
			if err != nil {
				return Key{}, fieldErr("counter", "%s is not a whole number from 0 to 2^64-1", quoteShort(counter))
			}
			k.Counter = n
		}
	}
	if err := k.CheckLimits(); err != nil {
		return Key{}, err
	}
	return k, nil
}

// URI writes the key as an otpauth:// URI that ParseURI reads back to an equal key.
// Every parameter is written explicitly (algorithm, digits and period or counter too,
// since apps disagree about defaults), then Extra in name order. Spaces are written
// as %20, as Google's examples do. The URI contains the secret: never log it.
func (k Key) URI() string { return k.uri(false) }

// CompactURI is URI without the parameters that hold their defaults: algorithm SHA1,
// 6 digits and, for TOTP, a 30 s period. The Key URI format makes those the defaults,
// and an app that does not read a parameter (older Google Authenticator ignored all
// three) assumes exactly them, so leaving them out loses nothing and makes a QR code
// a version smaller. A key with other values keeps them. ParseURI reads it back to an
// equal key.
func (k Key) CompactURI() string { return k.uri(true) }

func (k Key) uri(compact bool) string {
	var b strings.Builder
	b.Grow(96 + len(k.Issuer)*2 + len(k.Account) + len(k.Secret)*8/5)
	b.WriteString(schemeOTPAuth)
	b.WriteString(string(k.Type))
	b.WriteByte('/')
	prefix := k.labelPrefix()
	switch {
	case prefix != "" && !strings.Contains(prefix, ":"):
		b.WriteString(escapeLabel(prefix))
		b.WriteByte(':')
	case strings.Contains(k.Account, ":") || prefix != "":
		// An empty prefix keeps the account whole (its colons are not a prefix), and
		// stands in for an issuer a label cannot hold: the parameter carries it.
		b.WriteByte(':')
	}
	b.WriteString(escapeLabel(k.Account))
	b.WriteString("?secret=")
	b.WriteString(k.SecretBase32())
	if k.Issuer != "" {
		b.WriteString("&issuer=")
		b.WriteString(escapeQuery(k.Issuer))
	}
	if !compact || k.Algorithm != SHA1 {
		b.WriteString("&algorithm=")
		b.WriteString(escapeQuery(string(k.Algorithm)))
	}
	if !compact || k.Digits != DefaultDigits {
		b.WriteString("&digits=")
		b.WriteString(strconv.Itoa(k.Digits))
	}
	switch {
	case k.Type == HOTP:
		b.WriteString("&counter=")
		b.WriteString(strconv.FormatUint(k.Counter, 10))
	case !compact || k.Period != DefaultPeriod:
		b.WriteString("&period=")
		b.WriteString(strconv.Itoa(k.Period))
	}
	if k.Type == Steam {
		// The otpauth://steam/ type is what Aegis, 2FAS, Ente and Proton read; KeePassXC
		// reads the encoder; Google Authenticator refuses both rather than show digits.
		b.WriteString("&encoder=steam")
	}
	names := make([]string, 0, len(k.Extra))
	for name := range k.Extra {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range k.Extra[name] {
			b.WriteByte('&')
			b.WriteString(escapeQuery(name))
			b.WriteByte('=')
			b.WriteString(escapeQuery(v))
		}
	}
	return b.String()
}

// splitLabel applies the issuer rule to an unescaped label: the parameter wins, else
// the prefix before the first colon; a prefix that differs from the parameter is
// returned as labelIssuer. A label that starts with the parameter and a colon has the
// parameter as its prefix even when the issuer holds a colon itself ("Ex:ample:alice"
// with issuer "Ex:ample" is account "alice"), unless it starts with a colon: that is
// an empty prefix, which URI writes for an issuer with a colon. Google Authenticator
// exports use the same rule for their name and issuer fields.
func splitLabel(label, param string) (issuer, labelIssuer, account string) {
	var prefix string
	var found bool
	trimmed := strings.TrimLeft(label, " ")
	if rest, ok := strings.CutPrefix(trimmed, param+":"); ok && param != "" && !strings.HasPrefix(trimmed, ":") {
		prefix, account, found = param, rest, true
	} else {
		prefix, account, found = strings.Cut(label, ":")
	}
	if !found {
		prefix, account = "", label
	}
	prefix, account = strings.TrimSpace(prefix), strings.TrimSpace(account)
	if param == "" {
		return prefix, "", account
	}
	if prefix != param {
		labelIssuer = prefix
	}
	return param, labelIssuer, account
}

// labelPrefix is the prefix a label or export name is written with: the label issuer
// that was read, else the issuer.
func (k Key) labelPrefix() string {
	if k.LabelIssuer != "" {
		return k.LabelIssuer
	}
	return k.Issuer
}

// decodeSecret reads a base32 secret as people and apps write it: any case, spaces or
// dashes between groups, with or without "=" padding. Its errors never quote the
// secret.
func decodeSecret(s string) ([]byte, error) { return decodeBase32Secret(s, false) }

// DecodeSecretLenient reads a base32 secret as decodeSecret does, and also one whose
// length does not end on a whole byte: the last character's spare bits are dropped, as
// the decoders of Ente, Proton, Bitwarden and LastPass drop them, so the codes are the
// ones those apps showed. Other apps' backups hold such secrets (provisioning/backup);
// an otpauth URI is still read strictly. Errors are *FieldError and never quote the
// secret.
func DecodeSecretLenient(s string) ([]byte, error) { return decodeBase32Secret(s, true) }

// decodeBase32Secret is decodeSecret, and with partialByte DecodeSecretLenient.
func decodeBase32Secret(s string, partialByte bool) ([]byte, error) {
	var stack [128]byte
	clean := stack[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		clean = append(clean, c)
	}
	for len(clean) > 0 && clean[len(clean)-1] == '=' {
		clean = clean[:len(clean)-1]
	}
	if len(clean) == 0 {
		return nil, fieldErr("secret", "is missing")
	}
	if n := len(clean) * 5 / 8; n > MaxSecretBytes {
		return nil, secretTooLong(n) // before decoding it: a 70 MB secret costs nothing
	}
	switch len(clean) % 8 {
	case 1, 3, 6: // no whole number of bytes is written with these lengths
		if !partialByte {
			return nil, fieldErr("secret", "is not valid base32 (%d characters cannot encode whole bytes)", len(clean))
		}
		if clean = clean[:len(clean)-1]; len(clean) == 0 {
			return nil, fieldErr("secret", "is missing")
		}
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	secret := make([]byte, enc.DecodedLen(len(clean)))
	n, err := enc.Decode(secret, clean)
	if err != nil {
		return nil, fieldErr("secret", "is not valid base32 (letters A-Z and digits 2-7)")
	}
	return secret[:n], nil
}

// parseAlgorithm accepts the three RFC 6238 hashes in any case, with or without a dash.
func parseAlgorithm(s string) (Algorithm, error) {
	if s == "" {
		return SHA1, nil
	}
	for _, a := range [...]Algorithm{SHA1, SHA256, SHA512} {
		if strings.EqualFold(s, string(a)) || (len(s) == len(a)+1 && strings.EqualFold(s[:3], "SHA") &&
			s[3] == '-' && s[4:] == string(a)[3:]) {
			return a, nil
		}
	}
	return "", fieldErr("algorithm", "unsupported algorithm %s (want SHA1, SHA256 or SHA512)", quoteShort(s))
}

// unescapeLenient is url.QueryUnescape ("+" is a space) that keeps the text as written
// when it holds a stray "%": a parameter otpair does not need must not sink the key.
func unescapeLenient(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if v, err := url.QueryUnescape(s); err == nil {
		return v
	}
	return s
}

// unescapeLabel is url.PathUnescape ("+" stays a plus), lenient like unescapeLenient.
func unescapeLabel(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if v, err := url.PathUnescape(s); err == nil {
		return v
	}
	return s
}

// escapeLabel percent-encodes a label part. PathEscape keeps ":" "@" and "+" readable;
// "?" "#" "%" "/" and spaces are escaped.
func escapeLabel(s string) string { return url.PathEscape(s) }

// escapeQuery is url.QueryEscape with spaces as %20 (a literal "+" is already %2B).
func escapeQuery(s string) string {
	e := url.QueryEscape(s)
	if strings.Contains(e, "+") {
		e = strings.ReplaceAll(e, "+", "%20")
	}
	return e
}

// isDigits reports whether s is a non-empty run of ASCII digits, maybe signed.
func isDigits(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quoteShort quotes outside text for an error message, cut to 40 characters so a
// hostile URI cannot flood a log. Only non-secret parameters are ever quoted.
func quoteShort(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:limit])) + "…"
}
