package httpapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is at most N events per Per, in bursts of up to N: a token bucket that holds N
// tokens and refills N every Per. The zero Rate means "the default"; NoLimit (N < 0)
// means no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// NoLimit turns a limit off.
var NoLimit = Rate{N: -1}

// The sign-up rate limits otpair serve applies unless told otherwise. Sign-up needs only
// the public project id, and each one stores a user row until the purge removes it, so
// these bound how fast anyone can add rows. A person signs up once; a client address
// behind which a whole office sits still gets one sign-up every 6 s after a burst of
// 10. The total bounds the rows an attacker with many addresses can add: at 300 a
// minute, with pending enrolments purged 16 minutes after they start, about 5,000
// rows of at most 1 kB. Descope's SDK suites (scripts/ci.d) sign up 6 times per
// server, under a frozen clock that never refills a bucket.
var (
	DefaultSignUpRate      = Rate{N: 10, Per: time.Minute}  // per client address
	DefaultSignUpRateTotal = Rate{N: 300, Per: time.Minute} // all clients together
)

// Off reports whether r is no limit.
func (r Rate) Off() bool { return r.N < 0 }

// String is r as ParseRate reads it and as a person writes it: "10/min", "600/h",
// "5/30s", "off".
func (r Rate) String() string {
	per := r.Per.String()
	switch {
	case r.Off():
		return "off"
	case r.Per == time.Minute:
		per = "min"
	case r.Per == time.Hour:
		per = "h"
	case r.Per == time.Second:
		per = "s"
	}
	return strconv.Itoa(r.N) + "/" + per
}

// ParseRate reads a rate: "off", or N/PERIOD where PERIOD is s, min (or m), h, or a Go
// duration ("10/min", "600/h", "5/30s", "100/1m30s").
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "none" {
		return NoLimit, nil
	}
	n, per, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(n)
	if !ok || err != nil || count < 1 {
		return Rate{}, fmt.Errorf("rate %q: want N/PERIOD with N at least 1 (10/min, 600/h, 5/30s) or off", s)
	}
	var d time.Duration
	switch per {
	case "s", "sec":
		d = time.Second
	case "m", "min":
		d = time.Minute
	case "h", "hour":
		d = time.Hour
	default:
		if d, err = time.ParseDuration(per); err != nil || d <= 0 {
			return Rate{}, fmt.Errorf("rate %q: the period must be s, min, h or a positive duration such as 30s", s)
		}
	}
	return Rate{N: count, Per: d}, nil
}

func (r Rate) limiter() *rate.Limiter {
	return rate.NewLimiter(rate.Every(r.Per/time.Duration(r.N)), r.N)
}

// maxTrackedClients bounds the per-client buckets kept in memory (about 100 bytes
// each). Idle ones, whose bucket is full again, are dropped first.
const maxTrackedClients = 1 << 16

// signUpLimiter is the sign-up rate limit: a bucket per client address and one for all.
// The server keeps one for sign-ups and one, with the same rates, for flow starts
// (each stores an execution, and sign-up-or-in signs up): what names the calls in the
// answer.
type signUpLimiter struct {
	what             string // "sign-ups", "flow starts"
	perClient, total Rate
	trusted          []netip.Prefix

	mu        sync.Mutex
	all       *rate.Limiter // nil: no total limit
	clients   map[netip.Prefix]*rate.Limiter
	lastSweep time.Time
}

func newSignUpLimiter(what string, perClient, total Rate, trusted []netip.Prefix) *signUpLimiter {
	if perClient == (Rate{}) {
		perClient = DefaultSignUpRate
	}
	if total == (Rate{}) {
		total = DefaultSignUpRateTotal
	}
	l := &signUpLimiter{what: what, perClient: perClient, total: total, trusted: trusted, clients: map[netip.Prefix]*rate.Limiter{}}
	if !total.Off() {
		l.all = total.limiter()
	}
	return l
}

// errRateLimited is what a refused call answers: 429, Descope's rate-limit code, and
// Retry-After.
func (l *signUpLimiter) errRateLimited(scope string, wait time.Duration) *apiError {
	secs := max(int64(math.Ceil(wait.Seconds())), 1)
	e := apiErr(http.StatusTooManyRequests, CodeRateLimited, "too many requests",
		fmt.Sprintf("too many %s %s; retry in %d s", l.what, scope, secs))
	e.retryAfter = secs
	return e
}

// allow takes a token for a sign-up from r's client and from the total at now, or
// answers how long to wait. A client refused by the total keeps its own token.
func (l *signUpLimiter) allow(r *http.Request, now time.Time) error {
	var mine *rate.Reservation
	if !l.perClient.Off() {
		client := l.clientPrefix(r)
		l.mu.Lock()
		lim := l.clients[client]
		if lim == nil {
			l.makeRoom(now)
			lim = l.perClient.limiter()
			l.clients[client] = lim
		}
		l.mu.Unlock()
		mine = lim.ReserveN(now, 1)
		if wait := mine.DelayFrom(now); !mine.OK() || wait > 0 {
			mine.CancelAt(now)
			return l.errRateLimited("from this address", wait)
		}
	}
	if l.all != nil {
		res := l.all.ReserveN(now, 1)
		if wait := res.DelayFrom(now); !res.OK() || wait > 0 {
			res.CancelAt(now)
			if mine != nil {
				mine.CancelAt(now)
			}
			return l.errRateLimited("on this server", wait)
		}
	}
	return nil
}

// makeRoom keeps the client map under maxTrackedClients: at most once per period it
// drops every bucket that is full again (an idle client), and when that frees nothing
// it drops an arbitrary one. Called with mu held.
func (l *signUpLimiter) makeRoom(now time.Time) {
	if len(l.clients) < maxTrackedClients {
		return
	}
	if now.Sub(l.lastSweep) >= l.perClient.Per || now.Before(l.lastSweep) {
		l.lastSweep = now
		for k, lim := range l.clients {
			if lim.TokensAt(now) >= float64(lim.Burst()) {
				delete(l.clients, k)
			}
		}
	}
	for k := range l.clients {
		if len(l.clients) < maxTrackedClients {
			break
		}
		delete(l.clients, k)
	}
}

// clientPrefix is the client a sign-up is counted against: the peer's address, or,
// when the peer is a trusted proxy, the nearest address in X-Forwarded-For that is not
// one (read from the right, as each proxy appends the address it received from); an
// IPv4 address whole, an IPv6 address as its /64, which one host usually owns whole.
// Without trusted proxies X-Forwarded-For is ignored: any client can write it.
func (l *signUpLimiter) clientPrefix(r *http.Request) netip.Prefix {
	client, err := netip.ParseAddrPort(r.RemoteAddr)
	addr := client.Addr()
	if err != nil {
		addr = netip.IPv6Unspecified() // not a TCP peer (a test's recorder): one bucket for all such
	}
	addr = addr.Unmap()
	if l.isTrusted(addr) {
		hops := r.Header.Values("X-Forwarded-For")
		for i := len(hops) - 1; i >= 0 && l.isTrusted(addr); i-- {
			parts := strings.Split(hops[i], ",")
			for j := len(parts) - 1; j >= 0 && l.isTrusted(addr); j-- {
				hop, ok := parseHop(parts[j])
				if !ok {
					i = -1 // a hop that is no address: trust nothing left of it
					break
				}
				addr = hop
			}
		}
	}
	if addr.Is4() {
		return netip.PrefixFrom(addr, 32)
	}
	p, _ := addr.Prefix(64)
	return p
}

func (l *signUpLimiter) isTrusted(a netip.Addr) bool {
	for _, p := range l.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a port.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR prefixes
// ("127.0.0.1, 10.0.0.0/8, fd00::/8").
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	if len(out) == 0 {
		return nil, errors.New("no trusted proxy given")
	}
	return out, nil
}
