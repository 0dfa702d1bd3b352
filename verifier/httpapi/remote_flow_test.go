package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/otpair/otpair/verifier/flow"
)

// TestFlowExportKeepsTheFileOrder: the export's dsl is the file with its keys in
// order, so a flow read back from it has the same steps in the same order and the
// same start (a flow without start: begins at its first step). A map, which JSON
// encoders sort, listed sign-in-totp's steps as code, done, has_login… (and a user's
// flow without start: began at whichever step sorted first).
func TestFlowExportKeepsTheFileOrder(t *testing.T) {
	url, _ := flowServer(t)
	for _, id := range flow.BuiltinIDs {
		body, _ := json.Marshal(map[string]string{"flowId": id})
		req, _ := http.NewRequest(http.MethodPost, url+"/v1/mgmt/flow/export", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testPID+":"+testMgmtKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var exp flowExportResponse // the client's shape: dsl stays raw, in order
		err = json.NewDecoder(resp.Body).Decode(&exp)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: export %d %v", id, resp.StatusCode, err)
		}
		back, err := flow.Parse(id+".json", exp.Flow.DSL)
		if err != nil {
			t.Fatalf("%s: the export does not parse back: %v", id, err)
		}
		orig, _ := flow.MustBuiltins().Get(id)
		if !slices.Equal(back.Order, orig.Order) || back.Start != orig.Start {
			t.Errorf("%s: exported steps %v start %q, want %v start %q", id, back.Order, back.Start, orig.Order, orig.Start)
		}
	}
}
