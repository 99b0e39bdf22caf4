package hookline

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// SentHeaders are the headers of an attempt's request as the dispatcher
// sent them, in the form a Store keeps: a JSON object of each header's
// name and value (several values joined with ", "), where a header whose
// value is not kept has the value null. The value of a header whose name
// suggests a credential (SensitiveName) is never kept, nor that of a
// header the egress client set (an OAuth bearer token, a URL's
// credentials). They are those of the request the dispatcher made, also
// when it did not reach the endpoint (a connection refused, by the
// endpoint or by the egress policy). Empty when no request was made (an
// action's attempt; an expunged payload; an invalid URL), and for the
// attempts logged before Hookline kept them.
type SentHeaders string

// EncodeSentHeaders returns the SentHeaders of a request with the headers
// h (an http.Header), to which the egress client adds the headers named in
// withheld, whose values the caller never sees.
//
// It is on the delivery path, once an attempt: it writes the JSON itself,
// in one allocation for the usual headers, into a string that the stores
// bind as it is.
func EncodeSentHeaders(h map[string][]string, withheld ...string) SentHeaders {
	size := 2
	for k, v := range h {
		size += len(k) + 8
		for _, s := range v {
			size += len(s) + 2
		}
	}
	var b strings.Builder
	b.Grow(size + len(withheld)*24)
	b.WriteByte('{')
	for k, v := range h {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k)
		b.WriteByte(':')
		switch {
		case SensitiveName(k):
			b.WriteString("null")
		case len(v) == 1:
			writeJSONString(&b, v[0])
		default:
			writeJSONString(&b, strings.Join(v, ", "))
		}
	}
	for _, k := range withheld {
		if _, ok := h[k]; ok {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k)
		b.WriteString(":null")
	}
	b.WriteByte('}')
	return SentHeaders(b.String())
}

// writeJSONString writes s as a JSON string: as it is when it is printable
// ASCII with nothing to escape, as header values almost always are, else as
// encoding/json writes it.
func writeJSONString(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			b.Write(q)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// Decode returns the headers whose values were kept, and the sorted names
// of those whose values were not. Both are empty, not nil, for empty
// SentHeaders.
func (s SentHeaders) Decode() (headers map[string]string, withheld []string, err error) {
	headers, withheld = map[string]string{}, []string{}
	if len(s) == 0 {
		return headers, withheld, nil
	}
	var m map[string]*string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, nil, errors.New("hookline: stored headers of an attempt: " + err.Error())
	}
	for k, v := range m {
		if v == nil {
			withheld = append(withheld, k)
		} else {
			headers[k] = *v
		}
	}
	slices.Sort(withheld)
	return headers, withheld, nil
}
