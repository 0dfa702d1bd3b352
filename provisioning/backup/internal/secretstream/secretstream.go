// Package secretstream is libsodium's crypto_secretstream_xchacha20poly1305, the
// stream encryption Ente Auth's encrypted export uses, on x/crypto's ChaCha20 and
// Poly1305 (x/crypto has no secretstream, and no well-kept Go module of it is served).
// It follows libsodium's secretstream.c, byte for byte, including its padding of the
// MAC input, and is held to Ente's real exports by the backup package's tests.
package secretstream

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"

	"golang.org/x/crypto/chacha20"
	//lint:ignore SA1019 secretstream's MAC is raw Poly1305 over its own padding, which no AEAD in x/crypto computes
	"golang.org/x/crypto/poly1305"
)

// Sizes, as libsodium names them.
const (
	KeySize    = 32 // crypto_secretstream_xchacha20poly1305_KEYBYTES
	HeaderSize = 24 // crypto_secretstream_xchacha20poly1305_HEADERBYTES
	Overhead   = 17 // crypto_secretstream_xchacha20poly1305_ABYTES: the tag byte and the MAC
)

// The tags a message carries.
const (
	TagMessage byte = 0
	TagPush    byte = 1
	TagRekey   byte = 2
	TagFinal   byte = 3
)

// ErrAuth is a message that does not authenticate: a wrong key, or changed or
// truncated data.
var ErrAuth = errors.New("secretstream: message authentication failed")

// State is one direction of a stream. Messages must be pulled in the order they were
// pushed.
type State struct {
	k     [KeySize]byte
	nonce [12]byte // a 32-bit little-endian counter, then the 8-byte inonce
}

// NewPull starts reading a stream with its key and header.
func NewPull(key, header []byte) (*State, error) {
	if len(key) != KeySize || len(header) != HeaderSize {
		return nil, errors.New("secretstream: the key must be 32 bytes and the header 24")
	}
	subkey, err := chacha20.HChaCha20(key, header[:16])
	if err != nil {
		return nil, err
	}
	s := &State{}
	copy(s.k[:], subkey)
	s.resetCounter()
	copy(s.nonce[4:], header[16:])
	return s, nil
}

// NewPush starts writing a stream; header is what the reader needs beside the key,
// and holds the random nonce the caller chose.
func NewPush(key, header []byte) (*State, error) { return NewPull(key, header) }

func (s *State) resetCounter() {
	clear(s.nonce[:4])
	s.nonce[0] = 1
}

// stream is the ChaCha20 keystream of the state's key and nonce from block counter.
func (s *State) stream(counter uint32) *chacha20.Cipher {
	c, err := chacha20.NewUnauthenticatedCipher(s.k[:], s.nonce[:])
	if err != nil {
		panic(err) // key and nonce sizes are fixed
	}
	c.SetCounter(counter)
	return c
}

var pad0 [16]byte

// mac is the Poly1305 tag of a message: its key from keystream block 0, over the
// additional data, the encrypted 64-byte tag block, the ciphertext and their lengths.
func (s *State) mac(ad, block, c []byte) []byte {
	var first [64]byte
	s.stream(0).XORKeyStream(first[:], first[:])
	var key [32]byte
	copy(key[:], first[:32])
	m := poly1305.New(&key)
	m.Write(ad)
	m.Write(pad0[:(16-len(ad)%16)%16])
	m.Write(block)
	m.Write(c)
	// libsodium pads by (0x10 - 64 + mlen) & 0xf, which is mlen mod 16 (not the
	// AEAD's 16 - mlen mod 16): this is why no AEAD construction can stand in.
	m.Write(pad0[:len(c)%16])
	var lens [16]byte
	binary.LittleEndian.PutUint64(lens[:8], uint64(len(ad)))
	binary.LittleEndian.PutUint64(lens[8:], uint64(64+len(c)))
	m.Write(lens[:])
	return m.Sum(nil)
}

// advance mixes the MAC into the nonce, steps the counter, and rekeys when told to or
// when the counter wraps.
func (s *State) advance(mac []byte, tag byte) {
	for i := range 8 {
		s.nonce[4+i] ^= mac[i]
	}
	binary.LittleEndian.PutUint32(s.nonce[:4], binary.LittleEndian.Uint32(s.nonce[:4])+1)
	if tag&TagRekey != 0 || binary.LittleEndian.Uint32(s.nonce[:4]) == 0 {
		s.Rekey()
	}
}

// Rekey derives the next key and inonce from the current ones, as libsodium's
// crypto_secretstream_xchacha20poly1305_rekey does.
func (s *State) Rekey() {
	var next [KeySize + 8]byte
	copy(next[:], s.k[:])
	copy(next[KeySize:], s.nonce[4:])
	s.stream(0).XORKeyStream(next[:], next[:])
	copy(s.k[:], next[:KeySize])
	copy(s.nonce[4:], next[KeySize:])
	s.resetCounter()
}

// Push encrypts one message with its tag.
func (s *State) Push(m, ad []byte, tag byte) []byte {
	var block [64]byte
	block[0] = tag
	s.stream(1).XORKeyStream(block[:], block[:])
	out := make([]byte, 1+len(m)+16)
	out[0] = block[0]
	c := out[1 : 1+len(m)]
	s.stream(2).XORKeyStream(c, m)
	mac := s.mac(ad, block[:], c)
	copy(out[1+len(m):], mac)
	s.advance(mac, tag)
	return out
}

// Pull decrypts and authenticates one message, returning it and its tag. On ErrAuth
// the state is unchanged and nothing is returned.
func (s *State) Pull(in, ad []byte) ([]byte, byte, error) {
	if len(in) < Overhead {
		return nil, 0, ErrAuth
	}
	mlen := len(in) - Overhead
	var block [64]byte
	block[0] = in[0]
	s.stream(1).XORKeyStream(block[:], block[:])
	tag := block[0]
	block[0] = in[0]
	c := in[1 : 1+mlen]
	want := s.mac(ad, block[:], c)
	if subtle.ConstantTimeCompare(want, in[1+mlen:]) != 1 {
		return nil, 0, ErrAuth
	}
	m := make([]byte, mlen)
	s.stream(2).XORKeyStream(m, c)
	s.advance(want, tag)
	return m, tag, nil
}
