package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier/flow"
)

// flowRunInteractive runs a flow on the terminal: each screen's text and QR code, a
// prompt per input, a choice of submit when there are several; the steps each call
// ran, and the branches they took, in between.
func flowRunInteractive(ctx context.Context, e *env, eng *flow.Engine, resp *flow.Response, tok string) error {
	in := bufio.NewReader(io.LimitReader(e.stdin, 1<<20))
	w := e.stdout
	for {
		printTrace(w, resp.Trace)
		switch resp.Status {
		case flow.StatusCompleted:
			safetext.Fprintln(w, "completed")
			if s := resp.Session; s != nil {
				safetext.Fprintf(w, "signed in as %s (user %s)\n", s.User.LoginID, s.SessionClaims.Subject)
				safetext.Fprintf(w, "refresh token: %s\n", s.RefreshJWT)
			}
			for k, v := range resp.Output {
				safetext.Fprintf(w, "output %s: %v\n", k, v)
			}
			return nil
		case flow.StatusFailed:
			return fmt.Errorf("the flow failed: %s (%s)", resp.Error.Text, resp.Error.Type)
		}
		sc := resp.Screen
		safetext.Fprintf(w, "\n== %s ==\n", firstNonEmpty(sc.Title, resp.StepName))
		if t, _ := sc.State["errorText"].(string); t != "" {
			safetext.Fprintf(w, "! %s (%v)\n", t, sc.State["errorType"])
		}
		var submits []flow.NodeView
		input := map[string]any{}
		for _, n := range sc.Nodes {
			switch n.Type {
			case flow.NodeText:
				safetext.Fprintln(w, n.Text)
			case flow.NodeLink:
				safetext.Fprintf(w, "%s: %s\n", firstNonEmpty(n.Label, "link"), n.Href)
			case flow.NodeImage:
				safetext.Fprintf(w, "[image %s]\n", firstNonEmpty(n.Label, n.ID))
			case flow.NodeTOTP:
				if n.TOTP != nil {
					if qr, err := provisioning.RenderQRTerminal(n.TOTP.ProvisionURL, provisioning.TerminalColor); err == nil {
						io.WriteString(w, qr) // our drawing, with its colour codes: not outside text
					}
					safetext.Fprintf(w, "key: %s\n", n.TOTP.Key)
				}
			case flow.NodeSubmit:
				submits = append(submits, n)
			}
		}
		for _, n := range sc.Nodes {
			if n.Type != flow.NodeInput {
				continue
			}
			safetext.Fprintf(w, "%s: ", firstNonEmpty(n.Label, n.Name))
			line, err := readOrCancel(ctx, func() (string, error) { return in.ReadString('\n') })
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil && line == "" {
				return fmt.Errorf("stdin ended on screen %s", sc.ID)
			}
			input[n.Name] = strings.TrimSpace(line)
		}
		choice := submits[0].ID
		if len(submits) > 1 {
			for i, s := range submits {
				safetext.Fprintf(w, "  %d) %s\n", i+1, firstNonEmpty(s.Label, s.ID))
			}
			safetext.Fprint(w, "choose: ")
			line, _ := readOrCancel(ctx, func() (string, error) { return in.ReadString('\n') })
			var i int
			if _, err := fmt.Sscan(strings.TrimSpace(line), &i); err == nil && i >= 1 && i <= len(submits) {
				choice = submits[i-1].ID
			}
		}
		next, err := eng.Next(ctx, flow.NextRequest{ExecutionID: resp.ExecutionID, StepID: resp.StepID, InteractionID: choice, Input: input, RefreshJWT: tok})
		if err != nil {
			return err
		}
		resp = next
	}
}

// printTrace shows the steps a call ran: the branch each took, and errors.
func printTrace(w io.Writer, trace []flow.TraceEntry) {
	for _, t := range trace {
		line := fmt.Sprintf("  %s %s: %s", t.Kind, t.Step, t.Outcome)
		if t.To != "" {
			line += " -> " + t.To
		}
		if t.Err != nil {
			line += fmt.Sprintf(" [%s: %s]", t.Err.Type, t.Err.Text)
		}
		safetext.Fprintln(w, line)
	}
}
