package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/otpair/otpair/verifier"
)

// TestUserSearch: the management user search lists the backend's users (a sign-up
// still waiting for its first code as "invited"), filters, pages, and refuses a call
// without the management key; Remote.Users reads it back to the same users.
func TestUserSearch(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{SigningAlg: verifier.ES256})
	r := s.remote(t)
	ctx := context.Background()
	if _, err := s.local.CreateUser(ctx, "carol@example.com", verifier.UserInfo{Name: "Carol", Email: "c@example.org"}); err != nil {
		t.Fatal(err)
	}
	e, err := s.local.SignUp(ctx, "alice@example.com", verifier.UserInfo{Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.local.SignIn(ctx, "alice@example.com", enrolCode(t, e, s.clock.Now(), 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.local.SignUp(ctx, "bob@example.com", verifier.UserInfo{}); err != nil {
		t.Fatal(err)
	}

	users, err := r.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := s.users(t)
	if len(users) != 3 || len(want) != 3 {
		t.Fatalf("Remote.Users = %+v, want the 3 users %+v", users, want)
	}
	for i, u := range users {
		w := want[i]
		if u.LoginID != w.LoginID || u.ID != w.ID || u.TOTP != w.TOTP || u.Pending != w.Pending || u.SigningUp != w.SigningUp {
			t.Errorf("user %d over HTTP %+v, want %+v", i, u, w)
		}
	}
	if !users[0].TOTP || !users[1].SigningUp || !users[1].Pending || users[2].SigningUp || users[2].TOTP {
		t.Errorf("alice enrolled, bob signing up, carol without a seed: %+v", users)
	}

	search := func(body string) (int, userSearchResponse) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.url+"/v1/mgmt/user/search", bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+testPID+":"+testMgmtKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out userSearchResponse
		if resp.StatusCode == 200 {
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
		}
		return resp.StatusCode, out
	}
	logins := func(r userSearchResponse) []string {
		var out []string
		for _, u := range r.Users {
			out = append(out, u.LoginIDs[0])
		}
		return out
	}
	for _, c := range []struct {
		body  string
		want  []string
		total int
	}{
		{`{}`, []string{"alice@example.com", "bob@example.com", "carol@example.com"}, 3},
		{`{"loginIds":["bob@example.com"]}`, []string{"bob@example.com"}, 1},
		{`{"loginIds":["Bob@Example.COM"]}`, []string{"bob@example.com"}, 1}, // as sign-in matches it
		{`{"text":"CAROL"}`, []string{"carol@example.com"}, 1},
		{`{"emails":["c@example.org"]}`, []string{"carol@example.com"}, 1},
		{`{"statuses":["invited"]}`, []string{"bob@example.com"}, 1},
		{`{"limit":1,"page":1}`, []string{"bob@example.com"}, 3},
		{`{"limit":2,"page":5}`, nil, 3},
		{`{"tenantIds":["T1"]}`, nil, 0},
		{`{"roleNames":null,"tenantIds":null,"customAttributes":null,"sort":null,"withTestUser":false,"limit":0}`,
			[]string{"alice@example.com", "bob@example.com", "carol@example.com"}, 3},
	} {
		status, got := search(c.body)
		if status != 200 || got.Total != c.total || !slices.Equal(logins(got), c.want) {
			t.Errorf("search %s: %d %v (total %d), want %v (total %d)", c.body, status, logins(got), got.Total, c.want, c.total)
		}
	}
	for _, bad := range []string{`{"limit":-1}`, `{"nope":1}`} {
		if status, _ := search(bad); status != 400 {
			t.Errorf("search %s: status %d, want 400", bad, status)
		}
	}
	noKey, err := NewRemote(s.url, testPID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noKey.Users(ctx); !errors.Is(err, verifier.ErrBadToken) {
		t.Errorf("Users without a management key: %v, want ErrBadToken", err)
	}
	wrongKey, _ := NewRemote(s.url, testPID, "wrong-management-key-0123")
	if _, err := wrongKey.Users(ctx); !errors.Is(err, verifier.ErrBadToken) {
		t.Errorf("Users with a wrong management key: %v, want ErrBadToken", err)
	}
}
