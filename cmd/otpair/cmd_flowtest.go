package main

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
	"github.com/otpair/otpair/verifier/sqlite"
)

// flowTest runs the test cases of flow files: against a throwaway local backend (an
// in-memory database and a clock the tester moves on, so a user's second code comes
// from a later step without waiting), or --backend URL. TAP on stdout.
func newFlowTestCmd(e *env) *cobra.Command {
	var o flowTestOpts
	c := &cobra.Command{
		Use: "test FILE...", Short: "run the files' test cases: TAP on stdout, --junit FILE, exit 1 on any failure",
		Args: nArgs(1, -1, "flow test takes one or more flow files"),
		RunE: func(c *cobra.Command, pos []string) error { return fileErrors(e, flowTest(c.Context(), e, o, pos)) },
	}
	backendFlag(c, &o.bf.backend, backendThrowaway, backendLocal)
	o.bf.register(c.Flags(), true)
	flowDirFlag(c, &o.dir, "also the flow files of this `DIR` (sub-flows the tests run)")
	c.Flags().StringVar(&o.junit, "junit", "", "also write the results as JUnit XML to `FILE`")
	completeBackendFlags(c)
	c.Flags().StringVar(&o.frozen, "frozen-clock", "", "the backend's clock stands still at `TIME` (otpair serve --frozen-clock TIME; RFC 3339 or unix seconds): "+
		"codes are computed at TIME, and a user's next code comes from the next step of the verifier's window instead of a wait (3 codes of one user at most)")
	_ = c.MarkFlagFilename("junit")
	return c
}

// flowTestOpts are the flags of `otpair flow test`.
type flowTestOpts struct {
	bf     backendFlags
	dir    string
	junit  string
	frozen string
}

// flowTest runs the test cases of flow files: against a throwaway local backend (an
// in-memory database and a clock the tester moves on, so a user's second code comes
// from a later step without waiting), or --backend URL: with --frozen-clock, a server
// whose clock stands still, where a user's codes come from the steps of its window
// without waiting either. TAP on stdout.
func flowTest(ctx context.Context, e *env, o flowTestOpts, pos []string) error {
	bf := o.bf
	reg, files, err := flowRegistry(o.dir, pos...)
	if err != nil {
		return err
	}
	opts := flow.TestOptions{Now: e.now}
	if o.frozen != "" {
		if bf.backend == "throwaway" {
			return usageError("--frozen-clock is for --backend URL or local: the throwaway backend's clock moves on by itself")
		}
		at, err := parseTimeFlag(o.frozen)
		if err != nil {
			return usageError("--frozen-clock: %v", err)
		}
		// The backend's time for everything: the codes, and the remote client's checks
		// of the tokens the server signs (or the local backend's clock).
		fe := *e
		fe.now = func() time.Time { return at }
		e, opts.Now, opts.Frozen = &fe, fe.now, true
	}
	var b verifier.Backend
	var closeFn func()
	if bf.backend == "throwaway" {
		st, err := sqlite.Open(ctx, sqlite.MemoryDB)
		if err != nil {
			return err
		}
		closeFn = func() { st.Close() }
		clock := testclock.New(e.now())
		l, err := verifier.NewLocal(ctx, st, verifier.LocalOptions{Clock: clock.Now, SeedKey: verifier.NewSeedKey(), SigningAlg: verifier.ES256})
		if err != nil {
			st.Close()
			return err
		}
		b, opts.Now, opts.Advance = l, clock.Now, clock.Add
	} else {
		if b, closeFn, err = openBackend(ctx, e, bf); err != nil {
			return err
		}
		opts.RunID = strings.ToLower(rand.Text()[:8])
	}
	defer closeFn()
	eng, err := flow.New(flow.Options{Backend: b, Flows: reg, StateKey: verifier.NewSeedKey(), Clock: opts.Now})
	if err != nil {
		return err
	}
	tester := flow.NewTester(eng, opts)
	var results []flow.TestResult
	for _, f := range files {
		results = append(results, tester.Run(ctx, f)...)
	}
	failed := 0
	safetext.Fprintf(e.stdout, "TAP version 13\n1..%d\n", len(results))
	for i, r := range results {
		status := "ok"
		if r.Err != nil {
			status, failed = "not ok", failed+1
		}
		safetext.Fprintf(e.stdout, "%s %d - %s: %s\n", status, i+1, r.Flow, r.Name)
		if r.Err != nil {
			safetext.Fprintf(e.stdout, "  ---\n  message: %q\n  at: %s:%d\n  ...\n", r.Err.Error(), r.File, r.Pos.Line)
		}
	}
	safetext.Fprintf(e.stdout, "# %d passed, %d failed\n", len(results)-failed, failed)
	if o.junit != "" {
		if err := writeJUnit(o.junit, results); err != nil {
			return err
		}
	}
	if len(results) == 0 {
		return errors.New("the files have no test cases")
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d flow tests failed", failed, len(results))
	}
	return nil
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes one suite per flow.
func writeJUnit(path string, results []flow.TestResult) error {
	var out junitSuites
	index := map[string]int{}
	for _, r := range results {
		i, ok := index[r.Flow]
		if !ok {
			i = len(out.Suites)
			index[r.Flow] = i
			out.Suites = append(out.Suites, junitSuite{Name: r.Flow})
		}
		s := &out.Suites[i]
		c := junitCase{Name: r.Name, ClassName: r.Flow, File: r.File, Line: r.Pos.Line, Time: r.Duration.Seconds()}
		if r.Err != nil {
			c.Failure = &junitFailure{Message: r.Err.Error(), Text: r.Err.Error()}
			s.Failures++
		}
		s.Tests++
		s.Time += r.Duration.Round(time.Microsecond).Seconds()
		s.Cases = append(s.Cases, c)
	}
	b, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}
