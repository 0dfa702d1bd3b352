package provisioning

import "errors"

// ParseURI parses an otpauth:// provisioning URI. (Placeholder: being written now.)
func ParseURI(s string) (Key, error) { return Key{}, errors.New("parse uri: not implemented yet") }

// URI writes the key as an otpauth:// URI that ParseURI reads back to an equal key.
func (k Key) URI() string { return "" }
