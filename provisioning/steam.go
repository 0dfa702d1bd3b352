package provisioning

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
)

// SteamAlphabet holds the 26 characters a Steam Guard code is written with: digits and
// upper-case consonants that cannot be mistaken for one another.
const SteamAlphabet = "23456789BCDFGHJKMNPQRTVWXY"

// steamCode is Steam Guard's code for a time step: RFC 4226's HMAC and dynamic
// truncation, then the 31-bit value written in SteamAlphabet, least significant
// character first, as Steam's app and Aegis (crypto/otp/OTP.java) do. The key must be
// valid (Validate).
func (k Key) steamCode(counter uint64) string {
	mac := hmac.New(k.hash(), k.Secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	offset := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[offset:offset+4]) & 0x7fffffff
	code := make([]byte, k.Digits)
	for i := range code {
		code[i] = SteamAlphabet[v%uint32(len(SteamAlphabet))]
		v /= uint32(len(SteamAlphabet))
	}
	return string(code)
}

// hash is the key's HMAC hash function.
func (k Key) hash() func() hash.Hash {
	switch k.Algorithm {
	case SHA256:
		return sha256.New
	case SHA512:
		return sha512.New
	default:
		return sha1.New
	}
}
