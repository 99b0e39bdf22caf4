package bench

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookline/hookline/signature"
)

// receiver is the webhook receiver the benchmark delivers to: a net/http
// server on 127.0.0.1 that answers 204 to every POST under /r/<run>/<ep>,
// and records, for the tracker of that run, the first arrival of each
// message at each endpoint.
type receiver struct {
	url string // http://127.0.0.1:port
	srv *http.Server
	ln  net.Listener

	mu      sync.RWMutex
	runs    map[int]*tracker
	nextRun int

	stray atomic.Int64 // requests for no known run (e.g. late retries of a finished scenario)
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rv := &receiver{url: "http://" + ln.Addr().String(), ln: ln, runs: map[int]*tracker{}}
	rv.srv = &http.Server{
		Handler:           rv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Minute,
	}
	go rv.srv.Serve(ln)
	return rv, nil
}

func (rv *receiver) close() { rv.srv.Close() }

// track registers a run of msgs messages to eps endpoints and returns its
// number, to be put in the endpoint URLs (endpointURL).
func (rv *receiver) track(tr *tracker) int {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	rv.nextRun++
	rv.runs[rv.nextRun] = tr
	return rv.nextRun
}

func (rv *receiver) untrack(run int) {
	rv.mu.Lock()
	delete(rv.runs, run)
	rv.mu.Unlock()
}

func (rv *receiver) endpointURL(run, ep int) string {
	return rv.url + "/r/" + strconv.Itoa(run) + "/" + strconv.Itoa(ep)
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxBody bounds what the receiver reads of one request.
const maxBody = 4 << 20

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bp := bodyPool.Get().(*[]byte)
	body, err := readBody((*bp)[:0], r)
	defer func() { *bp = body[:0]; bodyPool.Put(bp) }()
	arrival := time.Now().UnixNano()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	run, ep, ok := parsePath(r.URL.Path)
	var tr *tracker
	if ok {
		rv.mu.RLock()
		tr = rv.runs[run]
		rv.mu.RUnlock()
	}
	if tr == nil {
		rv.stray.Add(1)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	tr.record(r.Header, body, ep, arrival)
	w.WriteHeader(http.StatusNoContent)
}

func readBody(buf []byte, r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= maxBody {
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		_, err := io.ReadFull(r.Body, buf)
		return buf, err
	}
	b := bytes.NewBuffer(buf)
	_, err := b.ReadFrom(io.LimitReader(r.Body, maxBody))
	return b.Bytes(), err
}

// parsePath reads /r/<run>/<ep>.
func parsePath(p string) (run, ep int, ok bool) {
	rest, found := strings.CutPrefix(p, "/r/")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	run, err1 := strconv.Atoi(a)
	ep, err2 := strconv.Atoi(b)
	return run, ep, err1 == nil && err2 == nil
}

// idSeed hashes message ids: the tracker keeps a 64-bit hash of the
// webhook-id of each first arrival rather than the string.
var idSeed = maphash.MakeSeed()

func hashID(id string) uint64 {
	h := maphash.String(idSeed, id)
	if h <= acceptedNoID {
		h += 2 // 0 means "none", 1 "no id"
	}
	return h
}

// acceptedNoID marks a message that was accepted without an id (the bare
// baseline has none).
const acceptedNoID = 1

// slot is what the tracker knows of one message at one endpoint.
type slot struct {
	arrival atomic.Int64 // unix nanos of the first arrival; 0 none; -1 being written
	latency atomic.Int64 // arrival − publish time carried in the payload
	id      atomic.Uint64
}

// tracker records the deliveries of one scenario: msgs messages (numbered
// 0..msgs-1 by the "seq" of their payload) to eps endpoints.
type tracker struct {
	msgs, eps   int
	slots       []slot
	verifier    *signature.Standard // nil: signatures are not checked (the bare baseline)
	verifyEvery int64

	requests   atomic.Int64
	received   atomic.Int64 // first arrivals
	duplicates atomic.Int64
	corrupt    atomic.Int64 // a body the tracker cannot read, or a seq out of range
	checked    atomic.Int64 // signatures verified
	badSig     atomic.Int64
	badSigErr  atomic.Pointer[string]
}

func newTracker(msgs, eps int, verifier *signature.Standard, verifyEvery int) *tracker {
	if verifyEvery < 1 {
		verifyEvery = 1
	}
	return &tracker{msgs: msgs, eps: eps, slots: make([]slot, msgs*eps), verifier: verifier, verifyEvery: int64(verifyEvery)}
}

func (tr *tracker) record(h http.Header, body []byte, ep int, arrival int64) {
	n := tr.requests.Add(1)
	t, seq, ok := parsePayload(body)
	if !ok || seq < 0 || seq >= tr.msgs || ep < 0 || ep >= tr.eps {
		tr.corrupt.Add(1)
		return
	}
	if tr.verifier != nil && (n-1)%tr.verifyEvery == 0 {
		tr.checked.Add(1)
		if err := tr.verifier.Verify(h, body); err != nil {
			if tr.badSig.Add(1) == 1 {
				s := err.Error()
				tr.badSigErr.Store(&s)
			}
		}
	}
	s := &tr.slots[ep*tr.msgs+seq]
	if !s.arrival.CompareAndSwap(0, -1) {
		tr.duplicates.Add(1)
		return
	}
	s.latency.Store(arrival - t)
	if id := h.Get(signature.HeaderID); id != "" {
		s.id.Store(hashID(id))
	}
	s.arrival.Store(arrival)
	tr.received.Add(1)
}

// parsePayload reads the publish time and sequence number of a benchmark
// payload, {"t":<unix nanos>,"seq":<n>,"pad":"..."}: first by looking at
// the bytes (the server keeps the payload as sent), else as JSON.
func parsePayload(b []byte) (t int64, seq int, ok bool) {
	if rest, found := bytes.CutPrefix(b, []byte(`{"t":`)); found {
		if i := bytes.IndexByte(rest, ','); i > 0 {
			tv, err1 := strconv.ParseInt(string(rest[:i]), 10, 64)
			if rest, found = bytes.CutPrefix(rest[i:], []byte(`,"seq":`)); found && err1 == nil {
				j := 0
				for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
					j++
				}
				if sv, err := strconv.Atoi(string(rest[:j])); err == nil && j > 0 {
					return tv, sv, true
				}
			}
		}
	}
	var p struct {
		T   *int64 `json:"t"`
		Seq *int   `json:"seq"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.T == nil || p.Seq == nil {
		return 0, 0, false
	}
	return *p.T, *p.Seq, true
}

// appendPayload appends a payload of about size bytes (exactly size when
// size leaves room for the fields) carrying t and seq.
func appendPayload(dst []byte, t int64, seq, size int) []byte {
	start := len(dst)
	dst = append(dst, `{"t":`...)
	dst = strconv.AppendInt(dst, t, 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, int64(seq), 10)
	dst = append(dst, `,"pad":"`...)
	if pad := size - (len(dst) - start) - 2; pad > 0 {
		for len(padding) < pad {
			pad -= len(padding)
			dst = append(dst, padding...)
		}
		dst = append(dst, padding[:pad]...)
	}
	return append(dst, `"}`...)
}

var padding = strings.Repeat("abcdefghijklmnopqrstuvwxyz012345", 32)

// scan summarises the slots of a tracker for the expected messages.
type scan struct {
	expected     int     // slots that should have arrived
	arrived      int     // of those, how many did
	lost         int     // expected − arrived
	wrongID      int     // arrived with a webhook-id other than the id the API returned
	lastArrival  int64   // unix nanos, 0 if none
	firstArrival int64   // unix nanos, 0 if none
	latencies    []int64 // ns, of the arrived slots (only when asked for)
}

// scan looks at the slots of the accepted messages (ids[seq] != 0, or
// every message when ids is nil).
func (tr *tracker) scan(ids []atomic.Uint64, withLatencies bool) scan {
	var s scan
	if withLatencies {
		s.latencies = make([]int64, 0, tr.received.Load())
	}
	for ep := 0; ep < tr.eps; ep++ {
		for seq := 0; seq < tr.msgs; seq++ {
			var want uint64
			if ids != nil {
				if want = ids[seq].Load(); want == 0 {
					continue
				}
			}
			s.expected++
			sl := &tr.slots[ep*tr.msgs+seq]
			a := sl.arrival.Load()
			if a <= 0 {
				s.lost++
				continue
			}
			s.arrived++
			if want > acceptedNoID && sl.id.Load() != want {
				s.wrongID++
			}
			if a > s.lastArrival {
				s.lastArrival = a
			}
			if s.firstArrival == 0 || a < s.firstArrival {
				s.firstArrival = a
			}
			if withLatencies {
				s.latencies = append(s.latencies, sl.latency.Load())
			}
		}
	}
	return s
}
