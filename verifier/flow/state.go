package flow

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/otpair/otpair/verifier"
)

// state is what an execution keeps between steps, sealed before it is stored: the
// variables may hold an enrolment's secret and a session's tokens. It is kept compact:
// no images (a QR code is drawn again from the provisioning URL when a screen is
// shown again) and no one-time codes.
type state struct {
	Flow  string         `json:"f"`
	ETag  string         `json:"e"`           // the file version it started on
	Step  string         `json:"s"`           // the screen it waits on
	Vars  map[string]any `json:"v"`           // form, user, outputs, error variables
	Stack []frame        `json:"k,omitempty"` // the flows that called a sub-flow
	Sess  *sessionState  `json:"a,omitempty"` // a sign-in's session, until the end
	// Enrolled is the login id an update of this execution enrolled a new seed for:
	// a sign-in that follows must confirm that seed, not the old one.
	Enrolled string `json:"n,omitempty"`
}

// frame is a flow waiting for its sub-flow to end.
type frame struct {
	Flow   string         `json:"f"`
	ETag   string         `json:"e"`
	Return string         `json:"r"` // the step after the sub-flow
	Output string         `json:"o"` // the variable the sub-flow's output goes to
	Vars   map[string]any `json:"v"`
}

// sessionState is the part of a verifier.Session the response needs.
type sessionState struct {
	SessionJWT     string        `json:"s"`
	RefreshJWT     string        `json:"r"`
	SessionExpires int64         `json:"se"`
	RefreshExpires int64         `json:"re"`
	FirstSeen      bool          `json:"fs,omitempty"`
	User           verifier.User `json:"u"`
	AMR            []string      `json:"amr,omitempty"`
}

func sessionStateOf(s verifier.Session) *sessionState {
	return &sessionState{SessionJWT: s.SessionJWT, RefreshJWT: s.RefreshJWT, SessionExpires: s.SessionClaims.Expires.Unix(),
		RefreshExpires: s.RefreshExpires.Unix(), FirstSeen: s.FirstSeen, User: s.User, AMR: s.SessionClaims.AMR}
}

func (s *sessionState) session() verifier.Session {
	return verifier.Session{SessionJWT: s.SessionJWT, RefreshJWT: s.RefreshJWT, FirstSeen: s.FirstSeen, User: s.User,
		SessionClaims:  verifier.Claims{Subject: s.User.ID, Expires: time.Unix(s.SessionExpires, 0).UTC(), AMR: s.AMR},
		RefreshExpires: time.Unix(s.RefreshExpires, 0).UTC()}
}

// sealer seals states with AES-256-GCM under a key derived from the one the engine is
// given, the execution id as additional data, so a state cannot be moved to another
// execution.
type sealer struct{ aead cipher.AEAD }

// sealInfo labels the key derivation, so the derived key serves nothing else.
const sealInfo = "otpair flow execution state v1"

func newSealer(key []byte) (*sealer, error) {
	if len(key) < 32 {
		return nil, errors.New("flow state key: want at least 32 bytes")
	}
	k, err := hkdf.Key(sha256.New, key, nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("flow state key: %w", err)
	}
	block, err := aes.NewCipher(k)
	clear(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(id string, st *state) ([]byte, error) {
	plain, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode flow state: %w", err)
	}
	out := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(out)
	out = s.aead.Seal(out, out, plain, []byte(id))
	clear(plain)
	return out, nil
}

func (s *sealer) open(id string, sealed []byte) (*state, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("flow state: too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return nil, errors.New("flow state: cannot be opened with this key (another seed key?)")
	}
	st := &state{}
	err = json.Unmarshal(plain, st)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("flow state: %w", err)
	}
	return st, nil
}
