// Package bench is the harness of the verifier's benchmarks. Run drives one of two HTTP
// load generators (Wire, NetHTTP), which run in the benchmark's own process, and
// reports req/s, latency and CPU per request: BenchmarkServer in verifier/httpapi and
// BenchmarkServerStore in verifier use it. ProcessCPU is the process's CPU time, which
// the in-process sign-in benchmarks report too. Only benchmarks import it.
package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Clients is the number of concurrent clients: SetParallelism(Clients / GOMAXPROCS)
// goroutines per P, so 16 on a 2-core machine.
const Clients = 16

// Client is a load generator of Run: open gives one client goroutine its way of posting
// a JSON body to url with the Authorization header auth, answering the response's
// status.
type Client struct {
	Name string // the sub-benchmark's name: wire or nethttp
	open func(url, auth string) (post func(body string) (status int, failure string, err error), done func(), err error)
}

// The two load generators. Both run in the benchmark's process, on the same two cores
// as the server, so what a client spends is taken from the server:
//
//	wire     a lean HTTP/1.1 client (what wrk is in C): one kept-alive connection per
//	         client goroutine, the request written as bytes, the response's status
//	         line and Content-Length parsed and its body skipped
//	nethttp  Go's http.Client over a keep-alive Transport of its own
var (
	Wire    = Client{"wire", openWireClient}
	NetHTTP = Client{"nethttp", openNetHTTPClient}
	All     = []Client{Wire, NetHTTP}
)

func openNetHTTPClient(url, auth string) (func(string) (int, string, error), func(), error) {
	tr := &http.Transport{MaxIdleConnsPerHost: 2, MaxConnsPerHost: 2}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	post := func(body string) (int, string, error) {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			return resp.StatusCode, string(b), nil
		}
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, "", nil
	}
	return post, tr.CloseIdleConnections, nil
}

func openWireClient(rawURL, auth string) (func(string) (int, string, error), func(), error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil, nil, err
	}
	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nAuthorization: " + auth +
		"\r\nContent-Type: application/json\r\nContent-Length: "
	br := bufio.NewReaderSize(conn, 16<<10)
	var buf []byte
	post := func(body string) (int, string, error) {
		buf = append(buf[:0], head...)
		buf = strconv.AppendInt(buf, int64(len(body)), 10)
		buf = append(buf, "\r\n\r\n"...)
		buf = append(buf, body...)
		if _, err := conn.Write(buf); err != nil {
			return 0, "", err
		}
		return readWireResponse(br)
	}
	return post, func() { conn.Close() }, nil
}

// readWireResponse reads one HTTP/1.1 response that has a Content-Length (every
// answer of the server and of the echo handler here does) and returns its status, and
// its body when the status is not a success (for the benchmark's failure message).
func readWireResponse(br *bufio.Reader) (int, string, error) {
	status, length, err := readWireHead(br)
	if err != nil {
		return 0, "", err
	}
	if status >= 300 {
		body := make([]byte, length)
		if _, err := io.ReadFull(br, body); err != nil {
			return 0, "", err
		}
		return status, string(body), nil
	}
	if _, err := br.Discard(length); err != nil {
		return 0, "", err
	}
	return status, "", nil
}

// readWireHead reads a response's status line and headers: the status and the
// Content-Length, which every answer here has.
func readWireHead(br *bufio.Reader) (status, length int, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, 0, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	length = -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return 0, 0, fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if length < 0 {
		return 0, 0, errors.New("response without Content-Length")
	}
	return status, length, nil
}

// Run sends b.N requests from Clients goroutines through client, each a POST of body(i)
// to url as project projectID (Authorization: Bearer projectID) whose status must be
// want, and reports req/s, the p99 and the slowest latency, and the process's CPU per
// request.
func Run(b *testing.B, client Client, url, projectID string, body func(i int64) string, want int) {
	auth := "Bearer " + projectID
	var mu sync.Mutex
	var all []time.Duration
	var seq atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	b.SetParallelism(max(1, Clients/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := ProcessCPU()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		post, done, err := client.open(url, auth)
		if err != nil {
			firstErr.CompareAndSwap(nil, err)
			for pb.Next() {
				failed.Add(1)
			}
			return
		}
		defer done()
		var mine []time.Duration
		for pb.Next() {
			req := body(seq.Add(1) - 1)
			t0 := time.Now()
			status, failure, err := post(req)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				failed.Add(1)
				// A broken connection stays broken: open a new one.
				done()
				if post, done, err = client.open(url, auth); err != nil {
					b.Error(err)
					return
				}
				continue
			}
			mine = append(mine, time.Since(t0))
			if status != want {
				firstErr.CompareAndSwap(nil, fmt.Errorf("status %d %s for request %s", status, failure, req))
				failed.Add(1)
			}
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu := ProcessCPU() - cpu0
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests did not get %d (first error: %v)", n, b.N, want, firstErr.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	// CPU time of the whole process (server and clients) per request: unlike req/s it
	// hardly depends on what else the shared machine runs. 2 cores / cpu-us is the
	// throughput this process would reach with both cores to itself.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	if len(all) > 0 {
		slices.Sort(all)
		b.ReportMetric(float64(all[len(all)*99/100])/float64(time.Millisecond), "p99-ms")
		b.ReportMetric(float64(all[len(all)-1])/float64(time.Millisecond), "max-ms")
	}
}
