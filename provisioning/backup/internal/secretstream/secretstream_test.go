package secretstream

import (
	"bytes"
	"testing"
)

// TestPushPullRoundTrip: messages pushed (with tags, additional data and a rekey) pull
// back in order; a changed byte, a wrong key or a message out of order fails.
func TestPushPullRoundTrip(t *testing.T) {
	key, header := bytes.Repeat([]byte{7}, KeySize), bytes.Repeat([]byte{9}, HeaderSize)
	push, _ := NewPush(key, header)
	msgs := [][]byte{[]byte("hello"), {}, bytes.Repeat([]byte("x"), 1000), []byte("last")}
	tags := []byte{TagMessage, TagPush, TagRekey, TagFinal}
	var cts [][]byte
	for i, m := range msgs {
		cts = append(cts, push.Push(m, []byte{byte(i)}, tags[i]))
	}
	pull, _ := NewPull(key, header)
	for i, ct := range cts {
		if _, _, err := pull.Pull(ct, []byte{byte(i + 1)}); err != ErrAuth {
			t.Fatalf("message %d with the wrong additional data: %v", i, err)
		}
		bad := append([]byte(nil), ct...)
		bad[len(bad)/2] ^= 1
		if _, _, err := pull.Pull(bad, []byte{byte(i)}); err != ErrAuth {
			t.Fatalf("message %d changed: %v", i, err)
		}
		m, tag, err := pull.Pull(ct, []byte{byte(i)})
		if err != nil || !bytes.Equal(m, msgs[i]) || tag != tags[i] {
			t.Fatalf("message %d: %q tag %d, %v", i, m, tag, err)
		}
	}
	other, _ := NewPull(bytes.Repeat([]byte{8}, KeySize), header)
	if _, _, err := other.Pull(cts[0], []byte{0}); err != ErrAuth {
		t.Fatal("a wrong key opened a message")
	}
	fresh, _ := NewPull(key, header)
	if _, _, err := fresh.Pull(cts[1], []byte{1}); err != ErrAuth {
		t.Fatal("a message out of order opened")
	}
}

// FuzzPull: whatever the bytes, pulling never panics, and what it opens was
// authenticated: it pushes back to the same ciphertext.
func FuzzPull(f *testing.F) {
	key, header := bytes.Repeat([]byte{1}, KeySize), bytes.Repeat([]byte{2}, HeaderSize)
	push, _ := NewPush(key, header)
	f.Add(push.Push([]byte("otpauth://totp/a?secret=AA\n"), nil, TagFinal))
	f.Add([]byte{})
	f.Add(make([]byte, Overhead))
	f.Fuzz(func(t *testing.T, data []byte) {
		pull, _ := NewPull(key, header)
		m, tag, err := pull.Pull(data, nil)
		if err != nil {
			return
		}
		again, _ := NewPush(key, header)
		if ct := again.Push(m, nil, tag); !bytes.Equal(ct, data) {
			t.Fatal("a message opened that its key did not write")
		}
	})
}
