package bench

import (
	"bufio"
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

// Poster posts a JSON body to a path of the server under test and returns the status
// and the response body.
type Poster func(path, body string) (status int, resp []byte, err error)

// RunFlows runs b.N flows (several requests each, which fn makes with post, reading
// one response to build the next request) from Clients goroutines, each on its own
// connection, and reports flows/s, the p99 latency of a whole flow and the process's
// CPU per flow. client picks the load generator (its Name: wire or nethttp).
func RunFlows(b *testing.B, client Client, base, projectID string, fn func(i int64, post Poster) error) {
	auth := "Bearer " + projectID
	var mu sync.Mutex
	var all []time.Duration
	var seq, failed atomic.Int64
	var firstErr atomic.Value
	b.SetParallelism(max(1, Clients/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := ProcessCPU()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		post, done, err := openPoster(client.Name, base, auth)
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
			t0 := time.Now()
			if err := fn(seq.Add(1)-1, post); err != nil {
				firstErr.CompareAndSwap(nil, err)
				failed.Add(1)
				continue
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu := ProcessCPU() - cpu0
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d flows failed (first error: %v)", n, b.N, firstErr.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "flows/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	if len(all) > 0 {
		slices.Sort(all)
		b.ReportMetric(float64(all[len(all)*99/100])/float64(time.Millisecond), "p99-ms")
	}
}

// openPoster opens one client's connection: the lean wire client, or net/http's.
func openPoster(name, base, auth string) (Poster, func(), error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, nil, err
	}
	if name == NetHTTP.Name {
		tr := &http.Transport{MaxIdleConnsPerHost: 2, MaxConnsPerHost: 2}
		c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		return func(path, body string) (int, []byte, error) {
			req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
			if err != nil {
				return 0, nil, err
			}
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				return 0, nil, err
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			return resp.StatusCode, data, err
		}, tr.CloseIdleConnections, nil
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, 16<<10)
	var buf []byte
	return func(path, body string) (int, []byte, error) {
		buf = append(buf[:0], "POST "...)
		buf = append(buf, path...)
		buf = append(buf, " HTTP/1.1\r\nHost: "...)
		buf = append(buf, u.Host...)
		buf = append(buf, "\r\nAuthorization: "...)
		buf = append(buf, auth...)
		buf = append(buf, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		buf = strconv.AppendInt(buf, int64(len(body)), 10)
		buf = append(buf, "\r\n\r\n"...)
		buf = append(buf, body...)
		if _, err := conn.Write(buf); err != nil {
			return 0, nil, err
		}
		return readWireBody(br)
	}, func() { conn.Close() }, nil
}

// readWireBody reads one HTTP/1.1 response with a Content-Length, body included.
func readWireBody(br *bufio.Reader) (int, []byte, error) {
	status, length, err := readWireHead(br)
	if err != nil {
		return 0, nil, err
	}
	body := make([]byte, length)
	_, err = io.ReadFull(br, body)
	return status, body, err
}
