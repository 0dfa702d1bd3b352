package main

import (
	"context"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/verifier"
)

// `otpair verifier rotate-key` joins the verifier steps from here, so the rotation
// lives apart from the enrolment steps of cmd_verifier.go.
func init() {
	verifierSteps = append(verifierSteps, struct {
		name, args, summary string
		run                 func(v *verifierCmd, ctx context.Context, args []string) error
	}{"rotate-key", "", "sign new tokens with a new key (local; --signing-alg); prints its kid", (*verifierCmd).rotateKey})
}

// rotateKeyJSON is `verifier rotate-key --json`: the new key and every published key
// (newest first: the retired ones stay until their tokens have expired).
type rotateKeyJSON struct {
	Kid       string   `json:"kid"`
	Alg       string   `json:"alg"`
	Published []string `json:"published"`
}

// rotateKey creates the next signing key of the local backend's database. Instances
// serving the same database pick it up within a minute, or at once when they see a
// token it signed.
func (v *verifierCmd) rotateKey(ctx context.Context, _ []string) error {
	l, ok := v.b.(*verifier.Local)
	if !ok {
		return usageError("verifier rotate-key works on the local backend's database (--db), not on --backend URL")
	}
	kid, err := l.RotateSigningKey(ctx)
	if err != nil {
		return err
	}
	ks, err := l.Keys(ctx)
	if err != nil {
		return err
	}
	out := rotateKeyJSON{Kid: kid, Published: []string{}}
	for _, k := range ks.Keys {
		out.Published = append(out.Published, k.Kid)
		if k.Kid == kid {
			out.Alg = k.Alg
		}
	}
	if v.json {
		return v.printJSON(out)
	}
	safetext.Fprintln(v.e.stdout, kid)
	safetext.Fprintf(v.e.stderr, "new %s signing key; %d key(s) published, the retired ones until their tokens expire\n", out.Alg, len(out.Published))
	return nil
}
