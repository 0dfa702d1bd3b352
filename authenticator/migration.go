package authenticator

import (
	"errors"

	"github.com/otpair/otpair/provisioning"
)

// decodeMigration reads the keys of a Google Authenticator export page.
// TODO: provisioning.DecodeMigration once it lands.
func decodeMigration(uri string) ([]provisioning.Key, error) {
	return nil, errors.New("otpauth-migration import is not available yet")
}
