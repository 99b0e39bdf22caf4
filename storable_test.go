package hookline

import "testing"

func TestJSONEscapeProblem(t *testing.T) {
	for _, tc := range []struct {
		in       string
		nul, bad bool
	}{
		{`{"a":"plain é"}`, true, false},
		{`{"a":"\ud83d\ude00"}`, true, false}, // a pair
		{`{"a":"\uD83D\uDE00"}`, true, false},
		{`{"a":"\\ud800"}`, true, false}, // an escaped backslash, then text
		{`{"a":"\n\"\u00e9"}`, true, false},
		{`{"a":"\u0000"}`, false, false},
		{`{"a":"\u0000"}`, true, true},
		{`{"a":"\ud800"}`, false, true},
		{`{"a":"\udfff"}`, false, true},
		{`{"a":"\ud800x"}`, false, true},
		{`{"a":"\ud800\ud800"}`, false, true},
		{`{"a":"\ude00\ud83d"}`, false, true},
		{`{"a":"x\ud83d\ude00\ud83d"}`, false, true},
		{`{"a":"\\\ud800"}`, false, true},
		{`"\ud800`, false, true},
	} {
		if got := jsonEscapeProblem([]byte(tc.in), tc.nul) != ""; got != tc.bad {
			t.Errorf("jsonEscapeProblem(%s, nul %v): a problem %v, want %v", tc.in, tc.nul, got, tc.bad)
		}
	}
}
