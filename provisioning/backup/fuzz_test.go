package backup

import (
	"errors"
	"testing"
)

// fuzzLimits keep every KDF a fuzzed file can start cheap (the seeds' own costs fit).
var fuzzLimits = Limits{MaxMemory: 1 << 20, MaxArgon2Work: 1 << 22, MaxScryptWork: 1 << 10, MaxPBKDF2: 2000, MaxArgon2Threads: 2}

// fuzzSentinels are the errors Read may return; any other is a bug.
var fuzzSentinels = []error{ErrUnknownFormat, ErrPasswordNeeded, ErrWrongPassword, ErrKDFLimit, ErrInvalid}

// fuzzRead reads data as every format would and checks what comes out: no panic, an
// error wrapping one of the package's sentinels, or keys that are all valid.
func fuzzRead(t *testing.T, data []byte, read func(Options) (*Backup, error)) {
	opts := Options{Limits: fuzzLimits, Password: func(Format) ([]byte, error) { return []byte("fuzz"), nil }}
	b, err := read(opts)
	if err != nil {
		for _, s := range fuzzSentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("error wraps no sentinel: %v", err)
	}
	for _, k := range b.Keys {
		if err := k.Validate(); err != nil {
			t.Fatalf("an invalid key came out: %v: %v", k, err)
		}
	}
	_ = Describe(data)
}

// FuzzReadJSON: the JSON formats (Aegis, and every other JSON export) and anything
// else Read detects, from seeds of each shape.
func FuzzReadJSON(f *testing.F) {
	for _, s := range jsonSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, func(o Options) (*Backup, error) { return Read(data, o) })
	})
}

// jsonSeeds are files of each JSON shape otpair reads, written by its own code.
func jsonSeeds(tb testing.TB) [][]byte {
	keys := vectors
	plain, _, err := writeAegis(keys, nil, 16)
	if err != nil {
		tb.Fatal(err)
	}
	enc, _, err := writeAegis(keys[:2], []byte("fuzz"), 16)
	if err != nil {
		tb.Fatal(err)
	}
	return [][]byte{plain, enc, []byte(`{"version":1,"header":{"slots":null,"params":null},"db":{"version":3,"entries":[]}}`), []byte("[]"), []byte("{}")}
}
