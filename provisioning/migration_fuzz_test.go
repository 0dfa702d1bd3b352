package provisioning

import (
	"errors"
	"testing"
)

// FuzzDecodeMigration feeds arbitrary text to DecodeMigration. It must never panic; a
// page it cannot read must give ErrInvalidMigration and no keys; the keys it returns
// must be valid and must re-encode (EncodeMigration) to pages that decode back to
// equal keys. Seeds in testdata/fuzz/FuzzDecodeMigration are real encoded pages in
// several encodings, truncated pages, and pages with accounts that must be skipped.
func FuzzDecodeMigration(f *testing.F) {
	f.Add(migrationURI(wirePayload([]wireAccount{{secret: helloSecret, name: "Example:alice@google.com", issuer: "Example", typ: 2}}, 1, 1, 0, 0)))
	f.Add("otpauth-migration://offline?data=")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := DecodeMigration(s)
		if err != nil && !errors.Is(err, ErrSkippedKeys) {
			if !errors.Is(err, ErrInvalidMigration) || m.Keys != nil {
				t.Fatalf("error %v: not ErrInvalidMigration, or keys came with it (%d)", err, len(m.Keys))
			}
			return
		}
		if err == nil && len(m.Keys) == 0 {
			t.Fatal("no error and no keys")
		}
		if len(m.Keys) == 0 {
			return
		}
		for _, k := range m.Keys {
			if err := k.Validate(); err != nil {
				t.Fatalf("decoded a key that does not validate: %v", err)
			}
		}
		uris, err := EncodeMigration(m.Keys)
		if err != nil {
			t.Fatalf("decoded keys do not re-encode: %v", err)
		}
		var again []Key
		for _, uri := range uris {
			page, err := DecodeMigration(uri)
			if err != nil {
				t.Fatalf("re-encoded page does not decode: %v", err)
			}
			again = append(again, page.Keys...)
		}
		if len(again) != len(m.Keys) {
			t.Fatalf("re-encoding gave %d keys, want %d", len(again), len(m.Keys))
		}
		for i := range again {
			if !again[i].Equal(m.Keys[i]) {
				t.Fatalf("key %d changed in a round trip: %v (label issuer %q) became %v (label issuer %q)",
					i, m.Keys[i], m.Keys[i].LabelIssuer, again[i], again[i].LabelIssuer)
			}
		}
	})
}
