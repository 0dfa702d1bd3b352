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

// jsonSeeds are files of each JSON shape otpair reads, written by its own code with
// cheap KDF costs.
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
	return [][]byte{
		plain, enc,
		write2FAS(keys, ""), write2FAS(keys[:2], "fuzz"),
		writeAndOTP(keys, "", 0),
		writeBitwarden(keys, "", 0), writeBitwarden(keys[:2], "fuzz", 0), writeBitwarden(keys[:1], "fuzz", 1),
		writeEnte(keys[:2], []byte("fuzz"), 16<<10, 1),
		writeProton(keys, ""), writeProton(keys[:1], "fuzz"),
		writeLastPass(keys[:3]), writeFreeOTPPlus(keys[:6]), writeCotp(keys), writeSteam(keys[6]),
		[]byte(`{"version":1,"header":{"slots":null,"params":null},"db":{"version":3,"entries":[]}}`),
		[]byte(`{"items":["otpauth://totp/a?secret=AA"]}`), []byte("[]"), []byte("{}"),
	}
}

// FuzzReadCSV: Bitwarden's CSV export, and Ente's text export, as text.
func FuzzReadCSV(f *testing.F) {
	f.Add(writeBitwardenCSV(vectors))
	f.Add([]byte("folder,favorite,type,name,login_uri,login_totp\n,,1,A,,steam://JBSWY3DP,x,y\n,,1,\"B\"\"\n\",,JBSWY3DPEHPK3PXP\n"))
	for _, k := range vectors {
		f.Add([]byte(k.URI() + "&codeDisplay=%7B%22trashed%22%3Afalse%7D\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, func(o Options) (*Backup, error) { return Read(data, o) })
		fuzzRead(t, data, func(o Options) (*Backup, error) { return Decode(data, bitwardenFormat, o) })
	})
}

// FuzzReadAndOTP: andOTP's binary encrypted backups, current and old, read as andOTP
// whatever their first bytes say.
func FuzzReadAndOTP(f *testing.F) {
	f.Add(writeAndOTP(vectors, "fuzz", 1000))
	f.Add(writeAndOTP(vectors[:2], "fuzz", 0))
	f.Add([]byte{0, 0, 3, 232})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, func(o Options) (*Backup, error) { return Decode(data, andOTPFormat, o) })
	})
}
