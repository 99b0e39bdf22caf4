package api

import (
	"time"

	"github.com/hookline/hookline"
)

// How responses show values: times, metadata and pages of lists.

// jsonTime is a time that encodes as RFC 3339 in UTC with microseconds.
type jsonTime time.Time

// timeLayout is RFC 3339 in UTC with microseconds, the precision stored.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// MarshalJSON implements json.Marshaler.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	return appendJSONTime(nil, time.Time(t)), nil
}

func optTime(t *time.Time) *jsonTime {
	if t == nil {
		return nil
	}
	jt := jsonTime(*t)
	return &jt
}

// metadataOut is metadata as a response shows it: an object, {} when
// there is none.
func metadataOut(md map[string]string) map[string]string {
	if md == nil {
		return map[string]string{}
	}
	return md
}

// listResponse is a page of a list, as Svix returns it. Iterator continues
// after the last item; prevIterator goes back before the first.
type listResponse[T any] struct {
	Data         []T     `json:"data"`
	Iterator     *string `json:"iterator"`
	PrevIterator *string `json:"prevIterator"`
	Done         bool    `json:"done"`
}

// makeList converts a page of the store to a listResponse.
func makeList[S, T any](p page, got hookline.Page[S], key func(S) string, conv func(S) T) listResponse[T] {
	items := got.Items
	out := listResponse[T]{Data: make([]T, 0, len(items)), Done: got.Done}
	for i := range items {
		j := i
		if p.reverse {
			j = len(items) - 1 - i
		}
		out.Data = append(out.Data, conv(items[j]))
	}
	if n := len(items); n > 0 {
		first, last := items[0], items[n-1]
		if p.reverse {
			first, last = last, first
		}
		next, prev := key(last), prevMark+key(first)
		out.Iterator, out.PrevIterator = &next, &prev
	} else if p.iter != "" {
		next, prev := p.opts.Iterator, prevMark+p.opts.Iterator
		out.Iterator, out.PrevIterator = &next, &prev
	}
	return out
}

// listVisible lists with list the items keep keeps. A page that lost some
// is filled from the next ones, so that nothing shows they exist: not their
// keys in an iterator, nor a short or empty page with more after it. It
// looks for one kept item more than the page holds, so that Done is true on
// the last page that has any, whatever follows it unkept.
func listVisible[T any](opts hookline.ListOptions, list func(hookline.ListOptions) (hookline.Page[T], error),
	keep func(T) bool, key func(T) string) (hookline.Page[T], error) {
	var out hookline.Page[T]
	size := opts.PageSize()
	next := opts
	next.Limit = size + 1
	for {
		got, err := list(next)
		if err != nil {
			return got, err
		}
		for _, item := range got.Items {
			if keep(item) {
				out.Items = append(out.Items, item)
			}
		}
		if len(out.Items) > size {
			out.Items = out.Items[:size]
			return out, nil
		}
		if got.Done || len(got.Items) == 0 {
			out.Done = true
			return out, nil
		}
		next = hookline.ListOptions{Limit: size + 1 - len(out.Items), Iterator: key(got.Items[len(got.Items)-1]), Descending: opts.Descending}
	}
}
