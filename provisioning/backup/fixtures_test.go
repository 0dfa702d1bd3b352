package backup

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/provisioning/backup/internal/secretstream"
)

// The project's own fixtures: every format otpair reads, written by test code in the
// shape the app writes, so the codecs are covered without ../shared/interop.

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// gcmSealNonce is AES-256-GCM ciphertext||tag under a given nonce.
func gcmSealNonce(key, nonce, plain, ad []byte) []byte {
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCMWithNonceSize(block, len(nonce))
	return aead.Seal(nil, nonce, plain, ad)
}

// writeEnte writes keys as Ente's encrypted export (Argon2id + secretstream).
func writeEnte(keys []provisioning.Key, password []byte, memLimit, opsLimit int64) []byte {
	var text strings.Builder
	for _, k := range keys {
		text.WriteString(k.URI() + "\n")
	}
	salt, header := random(16), random(secretstream.HeaderSize)
	key := argon2Params{MemoryKiB: memLimit / 1024, Passes: opsLimit, Threads: 1, Salt: salt}.key(password, secretstream.KeySize)
	st, err := secretstream.NewPush(key, header)
	if err != nil {
		panic(err)
	}
	ct := st.Push([]byte(text.String()), nil, secretstream.TagFinal)
	return mustJSON(map[string]any{
		"version":       1,
		"kdfParams":     map[string]any{"memLimit": memLimit, "opsLimit": opsLimit, "salt": b64(salt)},
		"encryptedData": b64(ct), "encryptionNonce": b64(header),
	})
}

// twoFASService is a key as a 2FAS service (schema 4).
func twoFASServiceOf(k provisioning.Key) map[string]any {
	otp := map[string]any{"account": k.Account, "issuer": k.Issuer, "digits": k.Digits, "algorithm": string(k.Algorithm), "tokenType": strings.ToUpper(string(k.Type))}
	if k.Type == provisioning.HOTP {
		otp["counter"] = k.Counter
	} else {
		otp["period"] = k.Period
	}
	return map[string]any{"name": k.Issuer, "secret": k.SecretBase32(), "otp": otp}
}

// write2FAS writes a .2fas backup, encrypted when password is not empty.
func write2FAS(keys []provisioning.Key, password string) []byte {
	services := make([]any, len(keys))
	for i, k := range keys {
		services[i] = twoFASServiceOf(k)
	}
	f := map[string]any{"schemaVersion": 4, "appOrigin": "android", "groups": []any{}}
	if password == "" {
		f["services"] = services
		return mustJSON(f)
	}
	salt := random(256)
	key, _ := pbkdf2Params{Hash: sha256.New, Iterations: twoFASIterations, Salt: salt}.key([]byte(password), 32)
	seal := func(plain []byte) string {
		iv := random(12)
		return b64(gcmSealNonce(key, iv, plain, nil)) + ":" + b64(salt) + ":" + b64(iv)
	}
	f["services"] = []any{}
	f["servicesEncrypted"] = seal(mustJSON(services))
	f["reference"] = seal([]byte("a reference text 2FAS checks the password with"))
	return mustJSON(f)
}

// andOTPEntryOf is a key as an andOTP entry.
func andOTPEntryOf(k provisioning.Key) map[string]any {
	e := map[string]any{"secret": k.SecretBase32(), "issuer": k.Issuer, "label": k.Account, "digits": k.Digits,
		"type": strings.ToUpper(string(k.Type)), "algorithm": string(k.Algorithm), "tags": []any{}}
	if k.Type == provisioning.HOTP {
		e["counter"] = k.Counter
	} else {
		e["period"] = k.Period
	}
	return e
}

// writeAndOTP writes an andOTP backup: plain (no password), encrypted with PBKDF2
// iterations, or in the old SHA-256(password) format (iterations 0).
func writeAndOTP(keys []provisioning.Key, password string, iterations int) []byte {
	entries := make([]any, len(keys))
	for i, k := range keys {
		entries[i] = andOTPEntryOf(k)
	}
	plain := mustJSON(entries)
	if password == "" {
		return plain
	}
	nonce := random(andOTPNonceLen)
	if iterations == 0 {
		key := sha256.Sum256([]byte(password))
		return append(nonce, gcmSealNonce(key[:], nonce, plain, nil)...)
	}
	salt := random(andOTPSaltLen)
	key, _ := pbkdf2Params{Hash: sha1.New, Iterations: int64(iterations), Salt: salt}.key([]byte(password), 32)
	out := binary.BigEndian.AppendUint32(nil, uint32(iterations))
	out = append(append(append(out, salt...), nonce...), gcmSealNonce(key, nonce, plain, nil)...)
	return out
}

// bitwardenTOTPOf is how Bitwarden writes a key in login.totp: steam://, else a URI.
func bitwardenTOTPOf(k provisioning.Key) string {
	if k.Type == provisioning.Steam {
		return "steam://" + k.SecretBase32()
	}
	return k.URI()
}

// writeBitwarden writes a Bitwarden JSON export; with a password, password-protected
// with PBKDF2 (kdfType 0) or Argon2id (1).
func writeBitwarden(keys []provisioning.Key, password string, kdfType int) []byte {
	items := []any{map[string]any{"type": 2, "name": "a secure note", "notes": "no login here"}}
	for _, k := range keys {
		items = append(items, map[string]any{"type": 1, "name": k.Issuer,
			"login": map[string]any{"username": k.Account, "password": "pw", "totp": bitwardenTOTPOf(k)}})
	}
	plain := mustJSON(map[string]any{"encrypted": false, "folders": []any{}, "items": items})
	if password == "" {
		return plain
	}
	salt := b64(random(16))
	var master []byte
	head := map[string]any{"encrypted": true, "passwordProtected": true, "salt": salt, "kdfType": kdfType}
	switch kdfType {
	case bitwardenPBKDF2:
		master, _ = pbkdf2Params{Hash: sha256.New, Iterations: 600, Salt: []byte(salt)}.key([]byte(password), 32)
		head["kdfIterations"], head["kdfMemory"], head["kdfParallelism"] = 600, nil, nil
	default:
		s := sha256.Sum256([]byte(salt))
		master = argon2Params{MemoryKiB: 1 << 10, Passes: 2, Threads: 2, Salt: s[:]}.key([]byte(password), 32)
		head["kdfIterations"], head["kdfMemory"], head["kdfParallelism"] = 2, 1, 2
	}
	encKey, _ := hkdf.Expand(sha256.New, master, "enc", 32)
	macKey, _ := hkdf.Expand(sha256.New, master, "mac", 32)
	encrypt := func(plain []byte) string {
		iv := random(16)
		pad := 16 - len(plain)%16
		plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
		block, _ := aes.NewCipher(encKey)
		ct := make([]byte, len(plain))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, plain)
		m := hmac.New(sha256.New, macKey)
		m.Write(iv)
		m.Write(ct)
		return "2." + b64(iv) + "|" + b64(ct) + "|" + b64(m.Sum(nil))
	}
	head["encKeyValidation_DO_NOT_EDIT"] = encrypt([]byte("3f9c1c56-0000-4000-8000-validation"))
	head["data"] = encrypt(plain)
	return mustJSON(head)
}

// writeBitwardenCSV writes a Bitwarden CSV export.
func writeBitwardenCSV(keys []provisioning.Key) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"folder", "favorite", "type", "name", "notes", "fields", "reprompt", "login_uri", "login_username", "login_password", "login_totp"})
	for _, k := range keys {
		w.Write([]string{"", "", "login", k.Issuer, "a note, with \"quotes\"\nand a line", "", "0", "https://example.com", k.Account, "pw", bitwardenTOTPOf(k)})
	}
	w.Flush()
	return buf.Bytes()
}

// writeProton writes a Proton Authenticator export, encrypted when password is set.
func writeProton(keys []provisioning.Key, password string) []byte {
	entries := make([]any, len(keys))
	for i, k := range keys {
		entries[i] = map[string]any{"id": fmt.Sprint(i), "content": map[string]any{"uri": k.URI(), "entry_type": "Totp", "name": k.Account}, "note": nil}
	}
	plain := mustJSON(map[string]any{"version": 1, "entries": entries})
	if password == "" {
		return plain
	}
	salt := random(16)
	kdf := protonKDF
	kdf.Salt = salt
	nonce := random(12)
	sealed := gcmSealNonce(kdf.key([]byte(password), 32), nonce, plain, []byte(protonAAD))
	return mustJSON(map[string]any{"version": 1, "salt": b64(salt), "content": b64(append(nonce, sealed...))})
}

// writeLastPass writes a LastPass Authenticator export (TOTP keys only).
func writeLastPass(keys []provisioning.Key) []byte {
	accounts := make([]any, len(keys))
	for i, k := range keys {
		accounts[i] = map[string]any{"accountID": fmt.Sprint(i), "issuerName": k.Issuer, "originalIssuerName": k.Issuer, "userName": k.Account,
			"secret": k.SecretBase32(), "timeStep": k.Period, "digits": k.Digits, "algorithm": string(k.Algorithm), "folderData": map[string]any{"folderId": 0}}
	}
	return mustJSON(map[string]any{"deviceName": "Pixel", "version": 3, "accounts": accounts})
}

// writeFreeOTPPlus writes a FreeOTP+ backup: signed-byte secrets, the HOTP counter of
// the last code shown.
func writeFreeOTPPlus(keys []provisioning.Key) []byte {
	tokens := make([]any, len(keys))
	var order []string
	for i, k := range keys {
		secret := make([]int, len(k.Secret))
		for j, b := range k.Secret {
			secret[j] = int(int8(b))
		}
		t := map[string]any{"algo": string(k.Algorithm), "digits": k.Digits, "issuerExt": k.Issuer, "issuerInt": k.Issuer, "label": k.Account,
			"period": k.Period, "secret": secret, "type": strings.ToUpper(string(k.Type)), "counter": 0}
		if k.Type == provisioning.HOTP {
			t["counter"], t["period"] = int64(k.Counter)-1, 30
		}
		tokens[i] = t
		order = append(order, k.Issuer+":"+k.Account)
	}
	return mustJSON(map[string]any{"tokenOrder": order, "tokens": tokens})
}

// writeCotp writes cotp's plaintext export.
func writeCotp(keys []provisioning.Key) []byte {
	elements := make([]any, len(keys))
	for i, k := range keys {
		e := map[string]any{"secret": k.SecretBase32(), "issuer": k.Issuer, "label": k.Account, "digits": k.Digits,
			"type": strings.ToUpper(string(k.Type)), "algorithm": string(k.Algorithm), "period": k.Period, "counter": nil, "pin": nil}
		if k.Type == provisioning.HOTP {
			e["counter"], e["period"] = k.Counter, 30
		}
		elements[i] = e
	}
	return mustJSON(map[string]any{"version": 2, "elements": elements})
}

// writeSteam writes a Steam Desktop Authenticator maFile, with its misleading uri.
func writeSteam(k provisioning.Key) []byte {
	return mustJSON(map[string]any{"shared_secret": b64(k.Secret), "account_name": k.Account, "serial_number": "1", "revocation_code": "R1",
		"uri": "otpauth://totp/Steam:" + k.Account + "?secret=" + k.SecretBase32() + "&issuer=Steam", "identity_secret": b64(random(20))})
}

// writeGoogleAuthDB writes Google Authenticator's database (SHA1, 6 digits, 30 s keys).
func writeGoogleAuthDB(t testing.TB, keys []provisioning.Key) []byte {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:gauth-fixture?mode=memory")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"CREATE TABLE android_metadata (locale TEXT)",
		"CREATE TABLE accounts (_id INTEGER PRIMARY KEY, email TEXT NOT NULL, secret TEXT NOT NULL, counter INTEGER DEFAULT 0, type INTEGER, provider INTEGER DEFAULT 0, issuer TEXT DEFAULT NULL, original_name TEXT DEFAULT NULL)"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		typ := 0
		if k.Type == provisioning.HOTP {
			typ = 1
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO accounts (email, secret, counter, type, issuer, original_name) VALUES (?, ?, ?, ?, ?, ?)",
			k.Issuer+":"+k.Account, k.SecretBase32(), int64(k.Counter), typ, k.Issuer, k.Issuer+":"+k.Account); err != nil {
			t.Fatal(err)
		}
	}
	var out []byte
	if err := conn.Raw(func(dc any) error {
		var err error
		out, err = dc.(interface{ Serialize() ([]byte, error) }).Serialize()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
