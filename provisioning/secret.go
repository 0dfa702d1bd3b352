package provisioning

import (
	"crypto/rand"
	"fmt"
)

// Secret sizes in bits. RFC 4226 requires at least 128 and recommends 160.
const (
	DefaultSecretBits = 160
	MinSecretBits     = 128
)

// NewSecret returns bits of fresh randomness from crypto/rand. A bits of 0 means the
// default (160); fewer than 128 bits, or a count that is not whole bytes, is refused.
func NewSecret(bits int) ([]byte, error) {
	if bits == 0 {
		bits = DefaultSecretBits
	}
	if bits < MinSecretBits {
		return nil, fmt.Errorf("new secret: %d bits is below the minimum of %d", bits, MinSecretBits)
	}
	if bits%8 != 0 {
		return nil, fmt.Errorf("new secret: %d bits is not a whole number of bytes", bits)
	}
	secret := make([]byte, bits/8)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("new secret: %w", err)
	}
	return secret, nil
}
