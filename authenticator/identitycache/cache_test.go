package identitycache

import (
	"bytes"
	"testing"
	"time"
)

func TestPayloadRoundTrip(t *testing.T) {
	exp := time.Unix(1795000000, 0)
	secret, got, err := decodePayload(encodePayload([]byte("AGE-SECRET-KEY-1X\nsecond line"), exp))
	if err != nil || string(secret) != "AGE-SECRET-KEY-1X\nsecond line" || !got.Equal(exp) {
		t.Fatalf("decode(encode) = %q, %v, %v", secret, got, err)
	}
	for _, bad := range []string{"", "other 1\nx", payloadMagic + "12", payloadMagic + "x\nsecret"} {
		if _, _, err := decodePayload([]byte(bad)); err == nil {
			t.Errorf("decodePayload(%q): no error", bad)
		}
	}
}

// FuzzDecodePayload: whatever a key of the same name holds (any process in the session
// may plant one), decoding returns an error or a secret, never panics.
func FuzzDecodePayload(f *testing.F) {
	f.Add(encodePayload([]byte("AGE-SECRET-KEY-1X"), time.Unix(1, 0)))
	f.Add([]byte(payloadMagic + "-9223372036854775808\n"))
	f.Add([]byte(payloadMagic))
	f.Fuzz(func(t *testing.T, p []byte) {
		secret, _, err := decodePayload(p)
		if err == nil && !bytes.HasSuffix(p, secret) {
			t.Fatalf("the secret %q is not the payload's tail", secret)
		}
	})
}
